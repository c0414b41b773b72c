"""oncall-dashboard's logic, importable and testable without Streamlit."""
