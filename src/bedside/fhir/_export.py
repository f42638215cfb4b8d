"""Domain -> FHIR R4 JSON: QuestionnaireResponse, Observation, CarePlan, Goal, ServiceRequest, Bundle.

Resources are built as plain dicts (fast, and exactly the JSON that is sent); tests validate every
resource type with `fhir.resources.R4B`, and `export_bundle(..., validate=True)` does so at run
time. Totals and items carry their LOINC codes where published sources agree (libraries.md §3:
PHQ-9 total 44261-6, item 9 44260-8 ...); concepts without a verified LOINC code (WHO-5, GAD-2
total, bands) use bedside's own code systems under `base`, never a guessed LOINC code.

PHQ-9 item 9 gets its own Observation in every case: interpretation "critical" when above 0, a
note that a 0 "does not rule out risk", and `dataAbsentReason: not-asked` with "needs asking" when
it is missing, so the state can never be lost on the way to another system.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bedside.errors import FormatError
from bedside.fhir._codes import (
    DATA_ABSENT_REASON,
    DEFAULT_BASE,
    INTERPRETATION,
    LOINC,
    OBSERVATION_CATEGORY,
    code_system,
    questionnaire_url,
)
from bedside.fhir._validate import validate_bundle
from bedside.instruments import CarePlan, Instrument, SafetyStatus, Score, get_instrument

__all__ = [
    "care_plan_resources",
    "export_bundle",
    "observations",
    "questionnaire_response",
]

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, DEFAULT_BASE)
_SURVEY = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}]
_UCUM = "http://unitsofmeasure.org"


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FormatError("FHIR times need a timezone; pass an aware datetime (for example UTC)")
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _answer_coding(instrument: Instrument, value: int, base: str) -> dict[str, Any]:
    option = instrument.option(value)
    if option.loinc is not None:
        return {"system": LOINC, "code": option.loinc, "display": option.text}
    return {
        "system": code_system(base, f"{instrument.id}-answers"),
        "code": str(value),
        "display": option.text,
    }


def _item_code(instrument: Instrument, number: int, base: str) -> dict[str, Any]:
    item = instrument.items[number - 1]
    if item.loinc is not None:
        coding = {"system": LOINC, "code": item.loinc, "display": item.text}
    else:
        coding = {
            "system": code_system(base, "items"),
            "code": f"{instrument.id}-{number}",
            "display": item.text,
        }
    return {"coding": [coding], "text": item.text}


def _total_code(instrument: Instrument, base: str) -> dict[str, Any]:
    display = f"{instrument.short_title} total score"
    if instrument.loinc.total is not None:
        return {
            "coding": [{"system": LOINC, "code": instrument.loinc.total, "display": display}],
            "text": display,
        }
    coding = {
        "system": code_system(base, "totals"),
        "code": f"{instrument.id}-total",
        "display": display,
    }
    return {"coding": [coding], "text": display}


def questionnaire_response(
    result: Score, *, patient: str, authored: datetime, base: str = DEFAULT_BASE
) -> dict[str, Any]:
    """The patient's answers as a QuestionnaireResponse (linkId = item number, LOINC answer codes).

    Unanswered items are kept, without an answer, so that "not asked" survives the trip.
    """
    instrument = get_instrument(result.instrument, result.version)
    items = []
    for number, (item, value) in enumerate(
        zip(instrument.items, result.answers, strict=True), start=1
    ):
        entry: dict[str, Any] = {"linkId": str(number), "text": item.text}
        if value is not None:
            entry["answer"] = [{"valueCoding": _answer_coding(instrument, value, base)}]
        items.append(entry)
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{questionnaire_url(base, instrument.id)}|{instrument.version}",
        "status": "completed" if result.complete else "in-progress",
        "subject": {"reference": patient},
        "authored": _instant(authored),
        "item": items,
    }


def _safety_observation(
    result: Score, instrument: Instrument, *, patient: str, issued: str, base: str
) -> dict[str, Any] | None:
    index = next((n for n, item in enumerate(instrument.items) if item.safety), None)
    if index is None or result.safety is None:
        return None
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": _SURVEY,
        "code": _item_code(instrument, index + 1, base),
        "subject": {"reference": patient},
        "effectiveDateTime": issued,
        "note": [{"text": result.safety.clinician_text}],
    }
    value = result.answers[index]
    if result.safety is SafetyStatus.NEEDS_ASKING:
        observation["dataAbsentReason"] = {
            "coding": [{"system": DATA_ABSENT_REASON, "code": "not-asked", "display": "Not Asked"}],
            "text": "needs asking",
        }
    else:
        assert value is not None
        observation["valueCodeableConcept"] = {"coding": [_answer_coding(instrument, value, base)]}
        if result.safety is SafetyStatus.RISK:
            observation["interpretation"] = [
                {
                    "coding": [
                        {"system": INTERPRETATION, "code": "AA", "display": "Critical abnormal"}
                    ],
                    "text": "self_harm_risk",
                }
            ]
    return observation


def observations(
    result: Score, *, patient: str, effective: datetime, base: str = DEFAULT_BASE
) -> list[dict[str, Any]]:
    """Observations for one scored response: the total (when complete) first, then each item.

    The total carries the band (bedside code system), the screening result and, for WHO-5, the
    percentage as a component. The safety item is always present (see the module docstring).
    """
    instrument = get_instrument(result.instrument, result.version)
    when = _instant(effective)
    found: list[dict[str, Any]] = []
    if result.total is not None:
        total: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "category": _SURVEY,
            "code": _total_code(instrument, base),
            "subject": {"reference": patient},
            "effectiveDateTime": when,
            "valueInteger": result.total,
        }
        interpretation = [
            {
                "coding": [
                    {
                        "system": code_system(base, "screen"),
                        "code": "positive" if result.positive else "negative",
                    }
                ],
                "text": "positive screen" if result.positive else "negative screen",
            }
        ]
        if result.band is not None:
            label = next(band.label for band in instrument.bands if band.name == result.band)
            band_coding = {
                "system": code_system(base, f"{instrument.id}-bands"),
                "code": result.band,
                "display": label,
            }
            interpretation.insert(0, {"coding": [band_coding], "text": label})
        total["interpretation"] = interpretation
        if result.percentage is not None:
            percentage_code = {
                "system": code_system(base, "totals"),
                "code": f"{instrument.id}-percentage",
            }
            total["component"] = [
                {
                    "code": {
                        "coding": [percentage_code],
                        "text": f"{instrument.short_title} percentage score",
                    },
                    "valueQuantity": {
                        "value": result.percentage,
                        "unit": "%",
                        "system": _UCUM,
                        "code": "%",
                    },
                }
            ]
        if result.flags:
            total["note"] = [{"text": "Flags: " + ", ".join(result.flags)}]
        found.append(total)
    safety_index = next((n for n, item in enumerate(instrument.items) if item.safety), None)
    for number, value in enumerate(result.answers, start=1):
        if number - 1 == safety_index:
            safety = _safety_observation(
                result, instrument, patient=patient, issued=when, base=base
            )
            if safety is not None:
                found.append(safety)
            continue
        if value is None:
            continue
        found.append(
            {
                "resourceType": "Observation",
                "status": "final",
                "category": _SURVEY,
                "code": _item_code(instrument, number, base),
                "subject": {"reference": patient},
                "effectiveDateTime": when,
                "valueCodeableConcept": {"coding": [_answer_coding(instrument, value, base)]},
            }
        )
    return found


def _date(day: date) -> str:
    return day.isoformat()


def care_plan_resources(
    plan: CarePlan, *, patient: str, reference: dict[str, str], supporting: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Goals, ServiceRequests and the CarePlan that references them (last in the list).

    Args:
        plan: the care plan; a draft maps to FHIR status "draft", a signed plan to "active".
        patient: a reference such as "Patient/123" (never a name).
        reference: resource key ("goal-0", "referral-0", "careplan") -> fullUrl to reference it by.
        supporting: fullUrls of the QuestionnaireResponses the plan was built from.
    """
    active = plan.status == "signed"
    subject = {"reference": patient}
    resources: list[dict[str, Any]] = []
    goal_refs = []
    for number, goal in enumerate(plan.goals):
        resource: dict[str, Any] = {
            "resourceType": "Goal",
            "lifecycleStatus": "active" if active else "proposed",
            "description": {"text": goal.text},
            "subject": subject,
            "startDate": _date(plan.created),
        }
        if goal.source == "patient":
            resource["expressedBy"] = subject
            resource["note"] = [{"text": "In the patient's own words."}]
        resources.append(resource)
        goal_refs.append({"reference": reference[f"goal-{number}"]})
    activities: list[dict[str, Any]] = []
    for number, referral in enumerate(plan.referrals):
        resources.append(
            {
                "resourceType": "ServiceRequest",
                "status": "active" if active else "draft",
                "intent": "plan",
                "code": {"text": referral.service},
                "subject": subject,
                "reasonCode": [{"text": referral.reason}],
                "patientInstruction": referral.plain,
                "authoredOn": _date(plan.created),
            }
        )
        activities.append(
            {
                "reference": {
                    "reference": reference[f"referral-{number}"],
                    "display": referral.service,
                }
            }
        )
    for action in plan.actions:
        activities.append({"detail": {"status": "not-started", "description": action.text}})
    for problem in plan.problems:
        if problem.follow_up is not None:
            activities.append(
                {
                    "detail": {
                        "status": "scheduled",
                        "description": f"Follow-up review: {problem.title}",
                        "scheduledPeriod": {"start": _date(problem.follow_up)},
                    }
                }
            )
    care_plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "status": "active" if active else "draft",
        "intent": "plan",
        "title": "Personalised care plan",
        "subject": subject,
        "created": _date(plan.created),
        "addresses": [{"display": problem.title} for problem in plan.problems],
        "goal": goal_refs,
        "activity": activities,
        "identifier": [{"system": "urn:bedside:careplan-ruleset", "value": plan.ruleset}],
    }
    if plan.what_matters:
        care_plan["description"] = f"What matters to the patient: {plan.what_matters}"
    if supporting:
        care_plan["supportingInfo"] = [{"reference": url} for url in supporting]
    if active and plan.signed_by:
        care_plan["author"] = {"display": plan.signed_by}
        signed = f" at {plan.signed_at.isoformat()}" if plan.signed_at else ""
        care_plan["note"] = [
            {"text": f"Signed by {plan.signed_by}{signed} (revision {plan.revision})."}
        ]
    for key in ("addresses", "goal", "activity"):
        if not care_plan[key]:
            del care_plan[key]
    resources.append(care_plan)
    return resources


def export_bundle(
    *,
    patient: str,
    responses: Sequence[tuple[Score, datetime]] = (),
    care_plan: CarePlan | None = None,
    timestamp: datetime,
    bundle_id: str | None = None,
    base: str = DEFAULT_BASE,
    validate: bool = False,
) -> dict[str, Any]:
    """A `collection` Bundle of everything above, with `urn:uuid:` fullUrls linking the resources.

    Args:
        patient: a reference such as "Patient/123"; bedside never puts names in FHIR output.
        responses: scored responses with the time each was completed, oldest first.
        care_plan: the plan to include (with its Goals and ServiceRequests).
        timestamp: when the bundle was assembled (timezone-aware).
        bundle_id: seed for deterministic resource ids (same input -> same bundle); random if None.
        base: canonical base for bedside's Questionnaires and code systems.
        validate: check the bundle and every resource with fhir.resources.R4B before returning.
    """
    seed = bundle_id if bundle_id is not None else str(uuid.uuid4())
    counter = iter(range(1_000_000))

    def new_url() -> str:
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{seed}/{next(counter)}')}"

    entries: list[dict[str, Any]] = []
    response_urls: list[str] = []
    for result, authored in responses:
        response_url = new_url()
        response_urls.append(response_url)
        entries.append(
            {
                "fullUrl": response_url,
                "resource": questionnaire_response(
                    result, patient=patient, authored=authored, base=base
                ),
            }
        )
        for observation in observations(result, patient=patient, effective=authored, base=base):
            observation["derivedFrom"] = [{"reference": response_url}]
            entries.append({"fullUrl": new_url(), "resource": observation})
    if care_plan is not None:
        keys = [f"goal-{n}" for n in range(len(care_plan.goals))]
        keys += [f"referral-{n}" for n in range(len(care_plan.referrals))]
        keys.append("careplan")
        reference = {key: new_url() for key in keys}
        resources = care_plan_resources(
            care_plan, patient=patient, reference=reference, supporting=response_urls
        )
        entries.extend(
            {"fullUrl": reference[key], "resource": resource}
            for key, resource in zip(keys, resources, strict=True)
        )
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(_NAMESPACE, seed)),
        "type": "collection",
        "timestamp": _instant(timestamp),
        "entry": entries,
    }
    if validate:
        validate_bundle(bundle)
    return bundle
