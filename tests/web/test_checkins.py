"""Check-ins, safety escalation (also under failure), care team views, care plans and the FHIR API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from bedside.db.tables import AuditEvent, User
from bedside.db.tables_care import CareAssignment, CareTask, CheckIn, SafetyFlag
from bedside.fhir import validate_bundle
from bedside.services import checkins, safety_routing
from web_fixtures import grant_care

PHQ9_ITEM9_POSITIVE = {f"item{n}": "0" for n in range(1, 9)} | {"item9": "2"}


def submit(client, instrument: str, answers: dict[str, str]):
    return client.post(f"/checkins/new/{instrument}", data=answers)


def rows(world, model, **where):
    with world.session() as session:
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return session.scalars(query).all()


def actions(world) -> list[str]:
    with world.session() as session:
        return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_item9_positive_shows_crisis_resources_and_the_clinician_sees_an_urgent_task(
    world, client_for
):
    patient = client_for("patient")
    response = submit(patient, "phq9", PHQ9_ITEM9_POSITIVE)
    assert response.status_code == 200
    assert "Getting help now" in response.text and "988" in response.text
    # low total (2, minimal), but the flag is raised whatever the total
    (checkin,) = rows(world, CheckIn)
    assert (checkin.total, checkin.band, checkin.safety) == (2, "minimal", "self_harm_risk")
    (flag,) = rows(world, SafetyFlag)
    assert (
        flag.kind == "self_harm_risk"
        and flag.status == "open"
        and flag.detail["checkin_id"] == checkin.id
    )
    care = client_for("clinician").get("/care")
    assert care.status_code == 200
    assert "Urgent" in care.text and "PHQ-9 item 9 above 0" in care.text
    assert "self_harm_risk" in care.text
    trail = actions(world)
    assert trail.index("safety.flag") < trail.index("checkin.submit") < trail.index("task.create")


def test_the_flag_is_committed_before_the_checkin(world, client_for, monkeypatch):
    seen = {}
    original = checkins._store_checkin

    def spy(session, patient, result, ip):
        with world.session() as other:  # a separate connection sees only committed rows
            seen["flags"] = len(other.scalars(select(SafetyFlag)).all())
        return original(session, patient, result, ip)

    monkeypatch.setattr(checkins, "_store_checkin", spy)
    submit(client_for("patient"), "phq9", PHQ9_ITEM9_POSITIVE)
    assert seen["flags"] == 1


def test_when_storing_the_checkin_fails_the_flag_and_task_survive(world, client_for, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(checkins, "_store_checkin", broken)
    response = submit(client_for("patient"), "phq9", PHQ9_ITEM9_POSITIVE)
    assert response.status_code == 200
    assert "Getting help now" in response.text
    assert rows(world, CheckIn) == []
    (flag,) = rows(world, SafetyFlag)
    (task,) = rows(world, CareTask)
    assert task.flag_id == flag.id and task.priority == "urgent"


def test_when_every_later_step_fails_the_open_flag_gets_its_task_on_the_next_care_page(
    world, client_for, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(checkins, "_store_checkin", broken)
    monkeypatch.setattr(safety_routing, "_create_task", broken)
    response = submit(client_for("patient"), "phq9", PHQ9_ITEM9_POSITIVE)
    assert "Getting help now" in response.text
    assert len(rows(world, SafetyFlag)) == 1 and rows(world, CareTask) == []
    monkeypatch.undo()
    care = client_for("clinician").get("/care")
    assert "PHQ-9 item 9 above 0" in care.text
    assert len(rows(world, CareTask)) == 1


def test_safety_flags_cannot_be_deleted(world, client_for):
    submit(client_for("patient"), "phq9", PHQ9_ITEM9_POSITIVE)
    with world.session() as session, pytest.raises(DBAPIError, match="never deleted"):
        session.execute(text("DELETE FROM safety_flags"))
        session.flush()


def test_a_skipped_item9_raises_a_needs_asking_task_without_a_total(world, client_for):
    answers = {f"item{n}": "1" for n in range(1, 9)}
    response = submit(client_for("patient"), "phq9", answers)
    assert response.status_code == 200
    assert "no total" in response.text and "Getting help now" not in response.text
    (checkin,) = rows(world, CheckIn)
    assert checkin.total is None and checkin.safety == "needs_asking"
    (task,) = rows(world, CareTask)
    assert "was not answered" in task.title and task.priority == "urgent"


def test_item9_zero_creates_no_task_and_is_not_called_no_risk(world, client_for):
    answers = {f"item{n}": "3" for n in range(1, 9)} | {"item9": "0"}
    submit(client_for("patient"), "phq9", answers)
    assert rows(world, SafetyFlag) == [] and rows(world, CareTask) == []
    grant_care(world, "patient", "clinician")
    patient_id = world.users["patient"].id
    page = client_for("clinician").get(f"/care/patients/{patient_id}")
    assert "does not rule out risk" in page.text and "no risk" not in page.text.lower()
    assert ">severe<" in page.text  # 24 of 27


def test_out_of_range_answers_are_refused_on_the_form(world, client_for):
    response = submit(client_for("patient"), "gad7", {"item1": "9"})
    assert response.status_code == 400
    assert "out of range" in response.text
    assert rows(world, CheckIn) == []


def test_who5_checkin_and_history_chart(world, client_for):
    patient = client_for("patient")
    submit(patient, "who5", {f"item{n}": "2" for n in range(1, 6)})
    submit(patient, "who5", {f"item{n}": "4" for n in range(1, 6)})
    home = patient.get("/checkins")
    assert home.status_code == 200
    assert "<svg" in home.text and "WHO-5 percentage over time" in home.text
    assert "40%" in home.text and "80%" in home.text


def test_risk_message_escalates_and_an_ordinary_message_does_not(world, client_for):
    patient = client_for("patient")
    calm = patient.post("/checkins/message", data={"text": "Can we move my appointment to Friday?"})
    assert calm.status_code == 200 and "Getting help now" not in calm.text
    assert rows(world, CareTask) == []
    risky = patient.post("/checkins/message", data={"text": "I don't want to be here any more"})
    assert "Getting help now" in risky.text
    (flag,) = rows(world, SafetyFlag)
    assert flag.kind == "message_self_harm" and flag.source == "message"
    care = client_for("clinician").get("/care")
    assert "suggests risk of suicide or self-harm" in care.text


def test_distress_from_the_emotion_model_gives_a_routine_task(world, client_for, app):
    app.state.emotion_scores = lambda text: {"sadness": 0.93, "fear": 0.1}
    client_for("patient").post("/checkins/message", data={"text": "Everything feels heavy lately."})
    (task,) = rows(world, CareTask)
    assert task.priority == "routine" and "distressed" in task.title
    assert rows(world, SafetyFlag) == []


def test_tasks_go_to_the_responsible_clinician(world, client_for):
    other = client_for("other")
    grant_care(world, "patient", "other")
    submit(client_for("patient"), "phq9", PHQ9_ITEM9_POSITIVE)
    (task,) = rows(world, CareTask)
    assert task.assignee_id == world.users["other"].id
    assert "PHQ-9 item 9 above 0" in other.get("/care").text
    clinician = client_for("clinician")
    assert "PHQ-9 item 9 above 0" not in clinician.get("/care").text
    assert clinician.get(f"/care/patients/{world.users['patient'].id}").status_code == 404


def test_done_and_resolve_are_audited(world, client_for):
    submit(client_for("patient"), "phq9", PHQ9_ITEM9_POSITIVE)
    clinician = client_for("clinician")
    (task,) = rows(world, CareTask)
    (flag,) = rows(world, SafetyFlag)
    assert clinician.post(f"/care/tasks/{task.id}/done").status_code == 303
    assert clinician.post(f"/care/flags/{flag.id}/resolve").status_code == 303
    assert rows(world, CareTask)[0].status == "done"
    assert rows(world, SafetyFlag)[0].status == "resolved"
    assert {"task.done", "safety.resolve"} <= set(actions(world))


def test_roles_are_kept_apart(client_for, world):
    assert client_for("clinician").get("/checkins").status_code == 403
    assert client_for("patient").get("/care").status_code == 403
    assert client_for("learner").get("/care").status_code == 403
    assert client_for(None).get("/checkins").status_code == 303
    anonymous = client_for(None).get(f"/api/v1/patients/{world.users['patient'].id}/fhir")
    assert anonymous.status_code == 401


def test_care_plan_draft_edit_sign_then_the_patient_reads_it(world, client_for):
    grant_care(world, "patient", "clinician")
    patient = client_for("patient")
    patient.post(
        "/checkins/voice",
        data={"what_matters": "Walking my dog with my grandson", "goals": "Sleep better\n"},
    )
    submit(
        patient,
        "phq9",
        {f"item{n}": "2" for n in range(1, 7)} | {"item7": "0", "item8": "0", "item9": "0"},
    )
    assert "Your care team has not agreed a plan" in patient.get("/checkins/plan").text
    clinician = client_for("clinician")
    pid = world.users["patient"].id
    assert clinician.post(f"/care/patients/{pid}/plan").status_code == 303
    page = clinician.get(f"/care/patients/{pid}")
    assert "Moderate depressive symptoms" in page.text and "draft" in page.text
    assert "offer counselling" in page.text
    edited = clinician.post(
        f"/care/patients/{pid}/plan/edit",
        data={
            "what_matters": "Walking my dog with my grandson",
            "goals": "Sleep better\nBack to choir",
            "actions": "Discuss the result with the patient; offer counselling (talking therapy); consider medication.\nCall in one week.",
        },
    )
    assert edited.status_code == 303
    assert clinician.post(f"/care/patients/{pid}/plan/sign").status_code == 303
    plan = patient.get("/checkins/plan").text
    assert "Back to choir" in plan and "Call in one week." in plan
    assert "Agreed with Clinician" in plan
    assert "talking therapy" in plan
    assert {"careplan.draft", "careplan.edit", "careplan.sign"} <= set(actions(world))
    signed_again = clinician.post(f"/care/patients/{pid}/plan/sign")
    assert signed_again.status_code == 400


def test_fhir_api_gives_a_valid_bundle_and_is_audited(world, client_for):
    patient = client_for("patient")
    submit(patient, "phq9", PHQ9_ITEM9_POSITIVE)
    submit(patient, "gad7", {f"item{n}": "1" for n in range(1, 8)})
    clinician = client_for("clinician")
    pid = world.users["patient"].id
    clinician.post(f"/care/patients/{pid}/plan")
    response = clinician.get(f"/api/v1/patients/{pid}/fhir")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    validate_bundle(bundle)
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"QuestionnaireResponse", "Observation", "CarePlan"} <= kinds
    assert f"Patient/{pid}" in response.text
    assert world.users["patient"].email not in response.text  # a reference, never who they are
    assert "fhir.export" in actions(world)
    # a patient can fetch their own record but nobody else's
    assert patient.get(f"/api/v1/patients/{pid}/fhir").status_code == 200
    assert patient.get(f"/api/v1/patients/{world.users['clinician'].id}/fhir").status_code == 404
    assert client_for("researcher").get(f"/api/v1/patients/{pid}/fhir").status_code == 404
    assert "/api/v1/patients/{patient_id}/fhir" in clinician.get("/openapi.json").json()["paths"]


def test_the_checkin_form_is_phone_ready(client_for):
    page = client_for("patient").get("/checkins/new/phq9")
    assert page.status_code == 200
    assert 'name="viewport"' in page.text
    assert len(re.findall(r'type="radio" name="item9"', page.text)) == 4
    assert "Thoughts that you would be better off dead" in page.text
    css = client_for("patient").get("/checkins/care.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_a_clinician_cannot_assign_a_patient_to_themselves(client_for, world):
    """Issue 11, finding 5: `POST /care/patients` used to hand any patient to the caller."""
    clinician = client_for("clinician")
    for email in ("learner@test.example", "patient@test.example"):
        refused = clinician.post("/care/patients", data={"email": email})
        assert refused.status_code == 403 and "cannot add a patient to your own care" in refused.text
    assert rows(world, CareAssignment) == []
    assert actions(world).count("access.denied") == 2
    with world.session() as session:
        assert session.get(User, world.users["patient"].id) is not None


SAFETY_POSITIVE = {
    "physically_hurt": "sometimes",
    "insult": "fairly_often",
    "threaten": "rarely",
    "scream_curse": "fairly_often",
}  # 3 + 4 + 2 + 4 = 13 > 10


def test_social_needs_screen_feeds_the_care_plan_and_safety_escalates(world, client_for):
    patient = client_for("patient")
    form = {
        "food_worry": "often",
        "food_ran_out": "never",
        "transportation": "no",
        "housing_problems": ["mold", "pests"],
    } | SAFETY_POSITIVE
    response = patient.post("/checkins/social", data=form)
    assert response.status_code == 200
    assert "Food insecurity" in response.text and "Interpersonal safety" in response.text
    assert "Getting help now" in response.text
    (flag,) = rows(world, SafetyFlag)
    assert flag.kind == "interpersonal_safety" and flag.detail["safety_total"] == 13
    (checkin,) = rows(world, CheckIn)
    assert checkin.instrument == "ahc_hrsn" and checkin.total == 13
    assert set(checkin.flags.split(",")) == {"housing_quality", "food", "interpersonal_safety"}
    clinician = client_for("clinician")
    assert "Speak with them privately" in clinician.get("/care").text
    pid = world.users["patient"].id
    clinician.post(f"/care/patients/{pid}/plan")
    page = clinician.get(f"/care/patients/{pid}").text
    assert "Food insecurity" in page and "food bank" in page.lower()
    assert "Domestic abuse advocacy service" in page
    bundle = clinician.get(f"/api/v1/patients/{pid}/fhir").json()
    validate_bundle(bundle)
    assert not any(
        e["resource"]["resourceType"] == "QuestionnaireResponse" for e in bundle["entry"]
    )


def test_social_needs_bad_answer_is_refused(world, client_for):
    response = client_for("patient").post("/checkins/social", data={"food_worry": "maybe"})
    assert response.status_code == 400 and "unknown answer &#39;maybe&#39;" in response.text
    assert rows(world, CheckIn) == []


def test_if_even_the_flag_cannot_be_stored_the_patient_still_gets_crisis_resources(
    world, client_for, monkeypatch, caplog
):
    def database_down(*args, **kwargs):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(safety_routing, "_store_flags", database_down)
    with caplog.at_level("CRITICAL", logger="bedside.services.safety_routing"):
        response = submit(client_for("patient"), "phq9", PHQ9_ITEM9_POSITIVE)
        message = client_for("patient").post(
            "/checkins/message", data={"text": "I want to end my life"}
        )
    for page in (response, message):
        assert page.status_code == 200
        assert "Getting help now" in page.text and "could not save this" in page.text
    assert rows(world, CheckIn) == [] and rows(world, SafetyFlag) == []
    alerts = [r for r in caplog.records if r.levelname == "CRITICAL"]
    assert len(alerts) == 2 and "SAFETY FLAG NOT STORED" in alerts[0].getMessage()
    assert "end my life" not in caplog.text  # ids only, never the patient's words
