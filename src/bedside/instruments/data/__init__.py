"""Package data: instrument definitions, care-plan rules and safety phrases (versioned YAML)."""
