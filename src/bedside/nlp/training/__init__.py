"""Training code for the shipped models (optional: only `bedside models train` and tests use it)."""
