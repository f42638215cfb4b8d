"""Risk turns in uploaded transcripts reach the care team; input warnings show on the report.

Issue 12 items 6 and 10: an upload linked to a patient whose transcript mentions suicide (or
self-harm, harm, safeguarding) raises the same urgent task as a PHQ-9 item 9 through
`safety_routing.raise_flag`; an unlinked one is marked on the list, the progress page and first
on the report. Runs on SQLite and PostgreSQL (the web fixtures' backends).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bedside.db.tables import Encounter, User
from bedside.db.tables_care import CareTask, SafetyFlag
from bedside.engine import analyse
from bedside.errors import BedsideError
from bedside.model import AnalysisReport, Conversation
from web_fixtures import PRIMOCK, Client, FakePipeline, follow_job, grant_care

RISK_TRANSCRIPT = (
    b"Dr Lee: Hello, what brings you in today?\n"
    b"Patient: I've been so low since my father committed suicide in the spring.\n"
    b"Dr Lee: I'm so sorry. How are you sleeping?\n"
    b"Patient: Badly. Sometimes I think everyone would be better off without me.\n"
    b"Dr Lee: Thank you for telling me. Have you had thoughts of ending your life?\n"
    b"Patient: I've also had a killer headache all week.\n"
)


class RulesPipeline(FakePipeline):
    """The real readers and the real engine, rules only (no model weights needed)."""

    def analyse(self, conversation: Conversation) -> AnalysisReport:
        self.calls += 1
        return analyse(conversation)


def _rows(world, model, **where):
    with world.session() as session:
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return session.scalars(query).all()


def _job_id(response) -> int:
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_a_linked_risk_turn_reaches_the_care_teams_urgent_tasks(make_app, world):
    grant_care(world, "patient", "clinician")
    app = make_app(pipeline=RulesPipeline())
    clinician = Client(app, world, "clinician")
    response = clinician.upload(("visit.txt", RISK_TRANSCRIPT), patient_email="patient@test.example")
    report = follow_job(clinician, response)
    encounter_id = int(report.rsplit("/", 1)[1])

    (flag,) = _rows(world, SafetyFlag)
    assert flag.patient_id == world.users["patient"].id
    assert (flag.kind, flag.source, flag.status) == ("transcript_risk", "transcript", "open")
    assert flag.detail["encounter_id"] == encounter_id
    assert flag.detail["turns"] == [1, 3]
    assert flag.detail["categories"] == ["suicide", "wish_to_die"]
    assert "father" not in str(flag.detail) and "better off" not in str(flag.detail)  # no words
    (task,) = _rows(world, CareTask)
    assert task.priority == "urgent" and task.flag_id == flag.id
    assert task.assignee_id == world.users["clinician"].id  # the patient's care team

    care = clinician.get("/care")
    assert care.status_code == 200
    assert "consultation transcript with Patient mentions suicide, self-harm" in care.text
    # a clinician outside the care team is not the assignee and does not see it
    assert "consultation transcript with Patient" not in Client(app, world, "other").get("/care").text

    page = clinician.get(report).text
    first = page.index("Risk mentioned: turn 1, suicide of a relative or someone else")
    assert first < page.lower().index("compassion score")  # the report's first block


def test_an_unlinked_risk_turn_is_marked_on_the_list_the_progress_page_and_the_report(
    make_app, world
):
    app = make_app(pipeline=RulesPipeline())
    clinician = Client(app, world, "clinician")
    response = clinician.upload(("visit.txt", RISK_TRANSCRIPT))
    report = follow_job(clinician, response)
    assert _rows(world, SafetyFlag) == [] and _rows(world, CareTask) == []  # no patient to route to

    (encounter,) = _rows(world, Encounter)
    assert encounter.risk_turns == 2
    listing = clinician.get("/encounters").text
    assert "risk mentioned (2)" in listing
    done = clinician.get(f"/encounters/jobs/{_job_id(response)}/status", headers={"hx-request": "true"})
    assert "Risk mentioned in 2 turn(s)" in done.text
    page = clinician.get(report).text
    assert 'class="risk" role="alert"' in page
    assert "Risk mentioned: turn 3, wish to die or not to be here" in page
    assert "Risk mentioned: turn 5" not in page  # the killer headache


def test_an_upload_without_risk_raises_nothing(make_app, world):
    grant_care(world, "patient", "clinician")
    app = make_app(pipeline=RulesPipeline())
    clinician = Client(app, world, "clinician")
    pair = [(p.name, p.read_bytes()) for p in sorted(PRIMOCK.glob("day1_consultation01_*.TextGrid"))]
    report = follow_job(clinician, clinician.upload(*pair, patient_email="patient@test.example"))
    assert _rows(world, SafetyFlag) == []
    (encounter,) = _rows(world, Encounter)
    assert encounter.risk_turns == 0
    page = clinician.get(report).text
    assert "Risk mentioned" not in page and "About this input" not in page


def test_a_one_speaker_upload_shows_its_warning_on_the_report_page(make_app, world):
    app = make_app(pipeline=RulesPipeline())
    clinician = Client(app, world, "clinician")
    doctor = PRIMOCK / "day1_consultation01_doctor.TextGrid"
    report = follow_job(clinician, clinician.upload((doctor.name, doctor.read_bytes())))
    page = clinician.get(report).text
    assert "About this input" in page
    assert "only one speaker found (Doctor)" in page
    assert "analyse both files with --merge" in page
    assert "not assessable" in page
    (encounter,) = _rows(world, Encounter)
    assert encounter.score is None


def _upload_linked(world, pipeline):
    from bedside.services import encounters

    grant_care(world, "patient", "clinician")
    with world.session() as session:
        actor = session.get(User, world.users["clinician"].id)
        return encounters.upload(
            session, actor, [encounters.Upload("visit.txt", RISK_TRANSCRIPT)], pipeline=pipeline,
            patient_email="patient@test.example",
        )


def test_the_flag_is_stored_first_and_stays_when_the_encounter_cannot_be(world, monkeypatch):
    from bedside.services import encounters

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(encounters, "store", broken)
    with pytest.raises(BedsideError, match="risk flag and the care team's urgent task were"):
        _upload_linked(world, RulesPipeline())
    assert _rows(world, Encounter) == []
    (flag,) = _rows(world, SafetyFlag)
    (task,) = _rows(world, CareTask)
    assert flag.kind == "transcript_risk" and task.flag_id == flag.id
    assert task.assignee_id == world.users["clinician"].id


def test_the_encounter_is_stored_even_when_its_flag_cannot_be(world, monkeypatch, caplog):
    from bedside.services import safety_routing

    def broken(*args, **kwargs):
        raise RuntimeError("flags table gone")

    monkeypatch.setattr(safety_routing, "_store_flags", broken)
    encounter = _upload_linked(world, RulesPipeline())
    assert encounter.risk_turns == 2  # its report leads with the risk; the list marks it
    assert _rows(world, SafetyFlag) == []
    assert any("SAFETY FLAG NOT STORED" in r.getMessage() for r in caplog.records)


def test_the_progress_page_says_the_flag_was_kept_when_the_encounter_was_not(
    make_app, world, monkeypatch
):
    import time

    from bedside.services import encounters

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    grant_care(world, "patient", "clinician")
    monkeypatch.setattr(encounters, "store", broken)
    clinician = Client(make_app(pipeline=RulesPipeline()), world, "clinician")
    response = clinician.upload(("visit.txt", RISK_TRANSCRIPT), patient_email="patient@test.example")
    deadline = time.monotonic() + 30
    while "did not finish" not in (page := clinician.get(response.headers["location"]).text):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert "its risk flag and the care team&#39;s urgent task were" in page or (
        "its risk flag and the care team's urgent task were" in page
    )
    assert len(_rows(world, CareTask)) == 1
