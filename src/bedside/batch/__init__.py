"""bedside.batch."""
