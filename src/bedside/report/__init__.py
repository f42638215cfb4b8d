"""bedside.report."""
