"""Shift summaries, their background jobs, and insights over feedback and audit."""
