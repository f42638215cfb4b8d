"""A patient's complete export and their erasure: service, admin web routes and CLI, audited with
who and why; erasure deletes their words, disables the account and keeps their safety flags bare."""

from __future__ import annotations

import json
import os
import stat

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from bedside.cli.main import app as cli
from bedside.db.tables import ApiToken, AuditEvent, Encounter, Organisation, User, WebSession
from bedside.db.tables_care import (
    CarePlanRecord,
    CareTask,
    CheckIn,
    PatientMessage,
    PatientVoice,
    SafetyFlag,
)
from bedside.errors import NotFound, PermissionDenied, ScoringError
from bedside.services import accounts, lifecycle
from web_fixtures import PASSWORD, store_patient_records

MARKER = "MARKER-otter-5519"
PATIENT_TABLES = (PatientMessage, CheckIn, PatientVoice, CarePlanRecord, Encounter)


def _flag_and_task(world):
    """A safety flag and its urgent task for the patient, the task titled with their name."""
    patient = world.users["patient"]
    with world.session() as session:
        flag = SafetyFlag(organisation_id=world.organisation_id, patient_id=patient.id,
                          kind="self_harm_risk", source="message", detail={"ruleset": "r1"})
        session.add(flag)
        session.flush()
        session.add(CareTask(organisation_id=world.organisation_id, patient_id=patient.id,
                             flag_id=flag.id, priority="urgent",
                             title=f"Contact {patient.display_name} today: self-harm risk"))
        session.commit()
        return flag.id


def _rows(world, table, patient_id):
    with world.session() as session:
        return session.scalar(select(func.count()).select_from(table).where(table.patient_id == patient_id))


def _events(world, action):
    with world.session() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_the_export_holds_everything_the_patient_has_and_is_audited(world):
    store_patient_records(world, MARKER)
    _flag_and_task(world)
    with world.session() as session:
        admin = session.get(User, world.users["admin"].id)
        document = lifecycle.export_patient(
            session, admin, world.users["patient"].id, reason="subject access request SAR-17"
        ).to_json()
    assert document["schema"] == "bedside.patient-export/1"
    assert document["fhir"]["resourceType"] == "Bundle"
    assert any(e["resource"]["resourceType"] == "CarePlan" for e in document["fhir"]["entry"])
    assert document["messages"][0]["text"] == MARKER
    assert document["what_matters"][0]["what_matters"] == MARKER
    assert document["checkins"][0]["answers"] == {"answers": {"free_text": MARKER}}
    assert document["care_plans"][0]["document"]["what_matters"] == MARKER
    assert MARKER in json.dumps(document["encounters"][0]["conversation"])
    assert document["safety_flags"][0]["kind"] == "self_harm_risk"
    [event] = _events(world, "patient.export")
    assert event.actor_id == world.users["admin"].id
    assert event.subject_id == str(world.users["patient"].id)
    assert event.detail == "reason: subject access request SAR-17"
    assert MARKER not in (event.detail or "")


def test_export_and_erasure_need_a_reason_and_an_admin_of_the_patients_organisation(world, password_hash):
    with world.session() as session:
        other = Organisation(name="Elsewhere")
        session.add(other)
        session.flush()
        outsider = User(organisation_id=other.id, email="b-admin@test.example", display_name="B",
                        role="admin", password_hash=password_hash)
        session.add(outsider)
        session.commit()
        patient_id = world.users["patient"].id
        clinician = session.get(User, world.users["clinician"].id)
        admin = session.get(User, world.users["admin"].id)
        with pytest.raises(PermissionDenied):
            lifecycle.export_patient(session, clinician, patient_id, reason="curious")
        with pytest.raises(NotFound):
            lifecycle.erase_patient(session, outsider, patient_id, reason="request 1")
        with pytest.raises(NotFound):  # only patients are erased this way
            lifecycle.erase_patient(session, admin, world.users["clinician"].id, reason="request 1")
        with pytest.raises(ScoringError, match="reason"):
            lifecycle.erase_patient(session, admin, patient_id, reason="  ")
    assert world.users["patient"].is_active


def test_erasure_deletes_their_words_disables_the_account_and_keeps_bare_flags(world):
    patient = world.users["patient"]
    store_patient_records(world, MARKER)
    flag_id = _flag_and_task(world)
    with world.session() as session:
        accounts.start_session(session, session.get(User, patient.id))
    with world.session() as session:
        admin = session.get(User, world.users["admin"].id)
        report = lifecycle.erase_patient(session, admin, patient.id, reason="erasure request ER-4")
    assert report.deleted == {"messages": 1, "checkins": 1, "what_matters": 1, "care_plans": 1,
                              "encounters": 1}
    for table in PATIENT_TABLES:
        assert _rows(world, table, patient.id) == 0, table.__tablename__
    with world.session() as session:
        erased = session.get(User, patient.id)
        assert not erased.is_active and erased.display_name == "Erased patient"
        assert erased.email == f"erased-{patient.id}@erased.invalid"
        assert session.scalar(select(func.count()).select_from(WebSession)
                              .where(WebSession.user_id == patient.id)) == 0
        assert session.scalar(select(func.count()).select_from(ApiToken)
                              .where(ApiToken.user_id == patient.id)) == 0
        flag = session.get(SafetyFlag, flag_id)
        assert flag.kind == "self_harm_risk" and flag.detail == {"erased": True}
        task = session.scalar(select(CareTask).where(CareTask.flag_id == flag_id))
        assert patient.display_name not in task.title and "Erased patient" in task.title
    with world.session() as session, pytest.raises(PermissionDenied):
        accounts.authenticate(session, patient.email, PASSWORD)
    with world.database.engine.connect() as connection:  # nothing of theirs left in the raw tables
        for table in ("patient_messages", "patient_voice", "care_plans", "checkins", "encounters"):
            dump = " ".join(str(row) for row in connection.execute(text(f"SELECT * FROM {table}")))
            assert MARKER not in dump
    [event] = _events(world, "patient.erase")
    assert event.actor_id == world.users["admin"].id and event.subject_id == str(patient.id)
    assert event.detail.startswith("reason: erasure request ER-4; messages=1")


def test_admins_export_and_erase_from_the_web(world, client_for):
    store_patient_records(world, MARKER)
    patient_id = world.users["patient"].id
    admin = client_for("admin")
    response = admin.post(f"/admin/patients/{patient_id}/export", data={"reason": "SAR-9"})
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.json()["messages"][0]["text"] == MARKER
    assert client_for("clinician").post(f"/admin/patients/{patient_id}/export",
                                        data={"reason": "SAR-9"}).status_code == 403
    assert client_for("admin").get("/admin/users").status_code == 200

    refused = admin.post(f"/admin/patients/{patient_id}/erase", data={"reason": "ER-9"})
    assert refused.status_code == 400 and _rows(world, PatientMessage, patient_id) == 1
    done = admin.post(f"/admin/patients/{patient_id}/erase", data={"reason": "ER-9", "confirm": "ERASE"})
    assert done.status_code == 200 and "erased" in done.text
    assert _rows(world, PatientMessage, patient_id) == 0

    # Another organisation's admin gets 404: see the service test above and the route matrix.


def test_the_cli_exports_to_a_private_file_and_erases_with_who_and_why(world, monkeypatch, tmp_path):
    store_patient_records(world, MARKER)
    patient_id = world.users["patient"].id
    monkeypatch.setenv("BEDSIDE_DATABASE_URL", world.database.url)
    runner = CliRunner()
    out = tmp_path / "export.json"
    result = runner.invoke(cli, ["data", "export-patient", str(patient_id), "--reason", "SAR-1",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert json.loads(out.read_text())["messages"][0]["text"] == MARKER

    result = runner.invoke(cli, ["data", "erase-patient", str(patient_id), "--reason", "ER-1",
                                 "--by", "admin@test.example"], input="n\n")
    assert result.exit_code != 0 and _rows(world, PatientMessage, patient_id) == 1  # declined
    result = runner.invoke(cli, ["data", "erase-patient", str(patient_id), "--reason", "ER-1",
                                 "--by", "admin@test.example", "--yes"])
    assert result.exit_code == 0, result.output
    assert "erased" in result.output and _rows(world, PatientMessage, patient_id) == 0
    by_action = {e.action: e for e in _events(world, "patient.export") + _events(world, "patient.erase")}
    assert by_action["patient.export"].actor_id is None  # the operator at the command line
    assert by_action["patient.erase"].actor_id == world.users["admin"].id
