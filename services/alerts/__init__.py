"""Alert history analysis: firing now, flapping, likely false, counts."""
