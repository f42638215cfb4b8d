"""bedside.engine."""
