"""bedside.io."""
