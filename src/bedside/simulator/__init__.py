"""bedside.simulator."""
