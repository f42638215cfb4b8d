"""The scenarios shipped with bedside, one `bedside.scenario/1` YAML file each (package data)."""
