"""FHIR R4 adapter: the only package that imports `fhir.resources` (validation against R4B).

Export scores, care plans, goals and referrals as an R4 Bundle; import a QuestionnaireResponse
back into bedside's answers and score.
"""

from bedside.fhir._codes import DEFAULT_BASE, LOINC
from bedside.fhir._export import (
    care_plan_resources,
    export_bundle,
    observations,
    questionnaire_response,
)
from bedside.fhir._import import (
    ImportedResponse,
    import_questionnaire_response,
    questionnaire_responses_in,
)
from bedside.fhir._validate import validate_bundle, validate_resource

__all__ = [
    "DEFAULT_BASE",
    "LOINC",
    "ImportedResponse",
    "care_plan_resources",
    "export_bundle",
    "import_questionnaire_response",
    "observations",
    "questionnaire_response",
    "questionnaire_responses_in",
    "validate_bundle",
    "validate_resource",
]
