"""bedside.web."""
