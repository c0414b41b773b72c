"""Untrusted text made safe: secrets redacted before text leaves, markup escaped where it is shown."""
