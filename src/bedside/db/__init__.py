"""bedside.db."""
