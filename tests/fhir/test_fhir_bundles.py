"""FHIR R4 export validated with fhir.resources.R4B, import, and the export -> import round trip."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan
from fhir.resources.R4B.goal import Goal
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.servicerequest import ServiceRequest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bedside.cli.main import app
from bedside.errors import FormatError, ScoringError
from bedside.fhir import (
    export_bundle,
    import_questionnaire_response,
    observations,
    questionnaire_response,
    questionnaire_responses_in,
    validate_bundle,
    validate_resource,
)
from bedside.instruments import (
    INSTRUMENT_IDS,
    build_care_plan,
    get_instrument,
    score,
    screen_social_needs,
    sign_care_plan,
)

WHEN = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
PATIENT = "Patient/42"
MODELS = {
    "Bundle": Bundle,
    "QuestionnaireResponse": QuestionnaireResponse,
    "Observation": Observation,
    "CarePlan": FhirCarePlan,
    "Goal": Goal,
    "ServiceRequest": ServiceRequest,
}
SIZES = {"phq9": 9, "phq2": 2, "gad7": 7, "gad2": 2, "who5": 5}


def full_bundle(*, signed: bool = True) -> dict:
    responses = [
        (score("phq9", [1, 1, 2, 2, 1, 2, 2, 2, 1]), WHEN),
        (score("gad7", [2, 2, 2, 1, 1, 1, 1]), WHEN + timedelta(minutes=5)),
        (score("who5", [3, 3, 1, 0, 0]), WHEN + timedelta(minutes=9)),
    ]
    social = screen_social_needs({"food_worry": "often", "transportation": "yes"})
    plan = build_care_plan(
        scores=[result for result, _ in responses],
        social_needs=social,
        what_matters="Being able to look after my grandchildren",
        goals=["Sleep better"],
        today=date(2026, 11, 25),
    )
    if signed:
        plan = sign_care_plan(plan, clinician="Dr Lee", at=WHEN)
    return export_bundle(
        patient=PATIENT, responses=responses, care_plan=plan, timestamp=WHEN, bundle_id="t1"
    )


def resources_of(bundle: dict, kind: str) -> list[dict]:
    return [
        entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind
    ]


@pytest.mark.parametrize("signed", [True, False])
def test_every_resource_type_validates_with_r4b_models(signed: bool) -> None:
    bundle = full_bundle(signed=signed)
    Bundle.model_validate(bundle)
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert kinds == {"QuestionnaireResponse", "Observation", "CarePlan", "Goal", "ServiceRequest"}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        parsed = MODELS[resource["resourceType"]].model_validate(resource)
        # the model keeps what we wrote: nothing silently dropped
        assert json.loads(parsed.model_dump_json(exclude_none=True)) == resource
    validate_bundle(bundle)


def test_references_resolve_inside_the_bundle() -> None:
    bundle = full_bundle()
    urls = {entry["fullUrl"] for entry in bundle["entry"]}
    assert len(urls) == len(bundle["entry"])
    text = json.dumps(bundle)
    for url in urls:
        assert url.startswith("urn:uuid:")
    referenced = {
        ref
        for ref in (part.split('"')[0] for part in text.split('"reference": "')[1:])
        if ref.startswith("urn:uuid:")
    }
    assert referenced <= urls
    care_plan = resources_of(bundle, "CarePlan")[0]
    assert len(care_plan["supportingInfo"]) == 3
    assert care_plan["status"] == "active" and care_plan["author"] == {"display": "Dr Lee"}
    assert "grandchildren" in care_plan["description"]


def test_export_is_deterministic_with_a_bundle_id() -> None:
    assert full_bundle() == full_bundle()


def test_loinc_codes_for_totals_and_items() -> None:
    bundle = full_bundle()
    codes = [obs["code"]["coding"][0] for obs in resources_of(bundle, "Observation")]
    loinc = {coding["code"] for coding in codes if coding["system"] == "http://loinc.org"}
    assert {"44261-6", "44260-8", "44250-9", "70274-6", "69725-0"} <= loinc
    assert "44249-1" not in loinc  # the panel is not the total
    phq9_total = next(
        o
        for o in resources_of(bundle, "Observation")
        if o["code"]["coding"][0]["code"] == "44261-6"
    )
    assert phq9_total["valueInteger"] == 14
    assert phq9_total["interpretation"][0]["coding"][0]["code"] == "moderate"
    # WHO-5 has no verified LOINC codes: bedside's own system, never a guessed LOINC code
    who5_total = next(
        o
        for o in resources_of(bundle, "Observation")
        if o["code"]["coding"][0]["code"] == "who5-total"
    )
    assert who5_total["code"]["coding"][0]["system"] != "http://loinc.org"
    assert who5_total["component"][0]["valueQuantity"]["value"] == 28


def item9_observation(result) -> dict:
    found = observations(result, patient=PATIENT, effective=WHEN)
    return next(o for o in found if o["code"]["coding"][0]["code"] == "44260-8")


def test_item9_risk_is_a_critical_observation() -> None:
    obs = item9_observation(score("phq9", [0] * 8 + [1]))
    validate_resource(obs)
    assert obs["interpretation"][0]["coding"][0]["code"] == "AA"
    assert obs["valueCodeableConcept"]["coding"][0]["code"] == "LA6569-3"


def test_item9_zero_is_exported_without_saying_no_risk() -> None:
    obs = item9_observation(score("phq9", [0] * 9))
    validate_resource(obs)
    assert "interpretation" not in obs
    assert "does not rule out risk" in obs["note"][0]["text"]
    assert "no risk" not in json.dumps(obs).lower()


def test_missing_item9_is_exported_as_not_asked_needs_asking() -> None:
    result = score("phq9", [1] * 8 + [None], allow_missing=True)
    found = observations(result, patient=PATIENT, effective=WHEN)
    assert all(
        o["code"]["coding"][0]["code"] != "44261-6" for o in found
    )  # no total when incomplete
    obs = item9_observation(result)
    validate_resource(obs)
    assert obs["dataAbsentReason"]["coding"][0]["code"] == "not-asked"
    assert obs["dataAbsentReason"]["text"] == "needs asking"
    response = questionnaire_response(result, patient=PATIENT, authored=WHEN)
    validate_resource(response)
    assert response["status"] == "in-progress"
    assert "answer" not in response["item"][8]


@pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
def test_round_trip_every_instrument_every_answer_value(instrument_id: str) -> None:
    top = get_instrument(instrument_id).max_answer
    for value in range(top + 1):
        answers = [value] * SIZES[instrument_id]
        answers[0] = top - value
        original = score(instrument_id, answers)
        bundle = export_bundle(
            patient=PATIENT, responses=[(original, WHEN)], timestamp=WHEN, bundle_id="r"
        )
        (response,) = questionnaire_responses_in(bundle)
        imported = import_questionnaire_response(json.dumps(response))
        assert imported.score == original
        assert (imported.subject, imported.authored) == (PATIENT, WHEN)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=9, max_size=9))
def test_round_trip_keeps_missing_answers_missing(answers: list[int | None]) -> None:
    original = score("phq9", answers, allow_missing=True)
    response = questionnaire_response(original, patient=PATIENT, authored=WHEN)
    assert import_questionnaire_response(response).score == original


def test_import_of_a_loinc_keyed_response_lhc_forms_style() -> None:
    answers = [
        "LA6568-5",
        "LA6569-3",
        "LA6570-1",
        "LA6571-9",
        "LA6568-5",
        "LA6568-5",
        "LA6568-5",
        "LA6568-5",
        "LA6569-3",
    ]
    codes = [item.loinc for item in get_instrument("phq9").items]
    document = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": "http://loinc.org/q/44249-1",
        "item": [
            {
                "linkId": "/44249-1",
                "item": [
                    {
                        "linkId": f"/44249-1/{code}",
                        "answer": [{"valueCoding": {"system": "http://loinc.org", "code": answer}}],
                    }
                    for code, answer in zip(codes, answers, strict=True)
                ]
                + [{"linkId": "/44249-1/44261-6", "answer": [{"valueInteger": 7}]}],
            }
        ],
    }
    imported = import_questionnaire_response(document, source="lhc.json")
    assert imported.answers == (0, 1, 2, 3, 0, 0, 0, 0, 1)
    assert imported.score.total == 7 and imported.score.flags == ("self_harm_risk",)


def test_value_integer_answers() -> None:
    document = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": "http://example.org/Questionnaire/gad2",
        "item": [
            {"linkId": "1", "answer": [{"valueInteger": 2}]},
            {"linkId": "2", "answer": [{"valueInteger": 1}]},
        ],
    }
    assert import_questionnaire_response(document).score.positive is True


@pytest.mark.parametrize(
    ("document", "error", "message"),
    [
        ("{not json", FormatError, "q.json:1: not valid JSON"),
        ({"resourceType": "Patient"}, FormatError, "expected a FHIR QuestionnaireResponse"),
        ({"resourceType": "QuestionnaireResponse"}, FormatError, r"status: .*required"),
        (
            {"resourceType": "QuestionnaireResponse", "status": "completed"},
            FormatError,
            "questionnaire is missing",
        ),
        (
            {
                "resourceType": "QuestionnaireResponse",
                "status": "completed",
                "questionnaire": "x/Questionnaire/bdi",
            },
            FormatError,
            "'x/Questionnaire/bdi' is not a known instrument",
        ),
        (
            {
                "resourceType": "QuestionnaireResponse",
                "status": "completed",
                "questionnaire": "Questionnaire/phq2",
                "item": [
                    {
                        "linkId": "1",
                        "answer": [
                            {"valueCoding": {"system": "http://loinc.org", "code": "LA0000-0"}}
                        ],
                    }
                ],
            },
            FormatError,
            "answer code 'LA0000-0' is not an answer of phq2",
        ),
        (
            {
                "resourceType": "QuestionnaireResponse",
                "status": "completed",
                "questionnaire": "Questionnaire/phq2",
                "item": [{"linkId": "1", "answer": [{"valueInteger": 7}]}],
            },
            ScoringError,
            "q.json: phq2 item 1 answer 7 is out of range",
        ),
        (
            {
                "resourceType": "QuestionnaireResponse",
                "status": "completed",
                "questionnaire": "Questionnaire/phq2",
                "item": [{"linkId": "1", "answer": [{"valueString": "often"}]}],
            },
            FormatError,
            "expected valueCoding or valueInteger",
        ),
    ],
)
def test_bad_imports_are_clear_errors(
    document: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        import_questionnaire_response(document, source="q.json")  # type: ignore[arg-type]


def test_validation_rejects_broken_resources() -> None:
    observation = observations(score("gad2", [1, 1]), patient=PATIENT, effective=WHEN)[0]
    with pytest.raises(FormatError, match="Observation"):
        validate_resource({**observation, "valueString": "two values"})
    with pytest.raises(FormatError, match="unknown FHIR resourceType"):
        validate_resource({"resourceType": "Nonsense"})
    bundle = full_bundle()
    bundle["entry"][1]["resource"] = {**bundle["entry"][1]["resource"], "colour": "red"}
    with pytest.raises(FormatError, match=r"entry\.1\.resource\.colour"):
        validate_bundle(bundle)


def test_naive_times_are_refused() -> None:
    with pytest.raises(FormatError, match="timezone"):
        questionnaire_response(
            score("gad2", [0, 0]), patient=PATIENT, authored=datetime(2026, 1, 1)
        )
    other_zone = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    assert questionnaire_response(score("gad2", [0, 0]), patient=PATIENT, authored=other_zone)[
        "authored"
    ].endswith("+02:00")


runner = CliRunner()


def test_cli_export_then_import(tmp_path) -> None:
    out = tmp_path / "bundle.json"
    result = runner.invoke(
        app,
        [
            "fhir",
            "export",
            "phq9=1,1,2,2,1,2,2,2,1",
            "gad2=1,?",
            "--patient",
            PATIENT,
            "--goal",
            "Walk again",
            "--need",
            "food_worry=often",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text())
    validate_bundle(bundle)
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} >= {
        "CarePlan",
        "Goal",
        "ServiceRequest",
    }
    imported = runner.invoke(app, ["fhir", "import", str(out)])
    assert imported.exit_code == 0
    lines = [json.loads(line) for line in imported.stdout.splitlines()]
    assert [(d["instrument"], d["total"], d["missing"]) for d in lines] == [
        ("phq9", 14, []),
        ("gad2", None, [2]),
    ]


def test_cli_import_errors(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Bundle", "type": "collection"}')
    result = runner.invoke(app, ["fhir", "import", str(bad)])
    assert result.exit_code != 0
    assert isinstance(result.exception, FormatError)
    assert "no QuestionnaireResponse found" in str(result.exception)


def test_all_phq2_vectors_round_trip() -> None:
    for answers in itertools.product(range(4), repeat=2):
        original = score("phq2", list(answers))
        response = questionnaire_response(original, patient=PATIENT, authored=WHEN)
        assert import_questionnaire_response(response).score == original
