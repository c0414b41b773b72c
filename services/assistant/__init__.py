"""The assistant: routing, grounded context, offline and model answers, log triage."""
