"""Command line edge: parse, call the library, print."""
