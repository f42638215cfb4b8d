"""Validation of R4 JSON with `fhir.resources.R4B` (structure, cardinality, types, choice types).

fhir.resources 8 has no pure 4.0.1 package; R4B (4.3.0) is structurally R4 for every resource
bedside writes (QuestionnaireResponse, Observation, CarePlan, Goal, ServiceRequest, Bundle).
Terminology bindings and profiles are not checked by the library (libraries.md §3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from bedside.errors import FormatError

__all__ = ["validate_bundle", "validate_resource"]


def validate_resource(resource: Mapping[str, Any], *, source: str = "<fhir>") -> None:
    """Check one resource against its R4B model; raises `FormatError` naming the bad field."""
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        raise FormatError("expected a FHIR resource with a resourceType", source=source)
    try:
        model = get_fhir_model_class(kind)
    except (KeyError, ValueError):
        raise FormatError(f"unknown FHIR resourceType {kind!r}", source=source) from None
    try:
        model.model_validate(dict(resource))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise FormatError(f"{kind}.{where}: {first['msg']}", source=source) from None


def validate_bundle(bundle: Mapping[str, Any], *, source: str = "<fhir>") -> None:
    """Check a Bundle and, one by one, every resource in it (for an exact error location)."""
    validate_resource(bundle, source=source)
    for number, entry in enumerate(bundle.get("entry", [])):
        validate_resource(entry["resource"], source=f"{source}#entry[{number}]")
