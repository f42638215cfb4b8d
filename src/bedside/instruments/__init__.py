"""bedside.instruments."""
