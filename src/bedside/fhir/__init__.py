"""bedside.fhir."""
