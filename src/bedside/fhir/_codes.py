"""Code systems and canonical URLs used in bedside's FHIR R4 documents."""

from __future__ import annotations

LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

#: Base of bedside's own canonical URLs (questionnaires, code systems for items LOINC lacks).
#: A deployment with its own FHIR base passes `base=` to the export functions.
DEFAULT_BASE = "http://bedside.example.org/fhir"


def questionnaire_url(base: str, instrument_id: str) -> str:
    """Canonical URL of a shipped instrument's Questionnaire."""
    return f"{base}/Questionnaire/{instrument_id}"


def code_system(base: str, name: str) -> str:
    """bedside code system for concepts without a verified LOINC code (bands, WHO-5 items)."""
    return f"{base}/CodeSystem/{name}"
