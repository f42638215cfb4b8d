"""The audit trail to HIPAA §164.312(b): organisation scope, admins see actions not clinical
content, the hash chain (`bedside audit verify`), the resumable JSON Lines export, concurrent
appends, and the migration that scopes and chains rows written before it (issue 11 findings 2, 11)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from bedside.cli.main import app as cli
from bedside.db.audit_chain import GENESIS, canonical, chain_hash, row_values
from bedside.db.base import utcnow
from bedside.db.tables import AuditEvent, Organisation, User
from bedside.db.tables_credentials import TotpCredential
from bedside.errors import AuditChainError
from bedside.services import audit
from bedside.services.database import downgrade, upgrade
from web_fixtures import ADMIN_TOTP_SECRET, Client


def _second_organisation(world, password_hash):
    """Organisation B with an admin and a patient of its own."""
    with world.session() as session:
        other = Organisation(name="Other Clinic")
        session.add(other)
        session.flush()
        for name, role in (("admin_b", "admin"), ("patient_b", "patient")):
            user = User(organisation_id=other.id, email=f"{name}@b.example", display_name=name,
                        role=role, password_hash=password_hash)
            session.add(user)
            world.users[name] = user
        session.flush()
        session.add(TotpCredential(user_id=world.users["admin_b"].id, secret=ADMIN_TOTP_SECRET,
                                   confirmed_at=utcnow(), last_step=0))  # admins must have one
        session.commit()
        return other.id


def _record(world, name, action, subject, **kwargs):
    with world.session() as session:
        actor = session.get(User, world.users[name].id) if name else None
        event = audit.record(session, actor, action, subject, **kwargs)
        session.commit()
        return event.id


def _csv_rows(response):
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


def test_an_admin_sees_and_exports_only_their_own_organisations_events(app, world, password_hash):
    _second_organisation(world, password_hash)
    for _ in range(5):
        _record(world, "clinician", "encounter.view", "encounter:7", ip="10.0.0.1")
    _record(world, "patient_b", "checkin.submit", "checkin:3", detail="phq9")
    admin_b = Client(app, world, "admin_b")
    rows = _csv_rows(admin_b.get("/admin/audit.csv"))
    assert rows, "admin B's own export is empty"
    assert not [r for r in rows if r["actor_email"] == "clinician@test.example"]
    assert not [r for r in rows if r["action"] == "encounter.view"]
    page = admin_b.get("/admin/audit")
    assert "clinician@test.example" not in page.text
    admin_a = Client(app, world, "admin")
    rows_a = _csv_rows(admin_a.get("/admin/audit.csv"))
    assert sum(r["action"] == "encounter.view" for r in rows_a) == 5
    assert not [r for r in rows_a if r["action"] == "checkin.submit"]
    with world.session() as session:
        scoped = session.scalars(select(AuditEvent.organisation_id).where(
            AuditEvent.action == "encounter.view")).all()
    assert set(scoped) == {world.organisation_id}


def test_admins_see_actions_not_which_patient_raised_which_flag(app, world):
    _record(world, "patient", "safety.flag", "safety_flag:41", detail="self_harm_risk", ip="10.9.9.9")
    _record(world, "clinician", "care.patient_view", f"user:{world.users['patient'].id}")
    _record(world, "admin", "user.create", "user:99", detail="role=clinician")
    admin = Client(app, world, "admin")
    rows = {r["action"]: r for r in _csv_rows(admin.get("/admin/audit.csv"))}
    flag = rows["safety.flag"]
    assert flag["actor_email"] == "" and flag["actor_id"] == "" and flag["ip"] == ""
    assert flag["subject_id"] == "" and flag["detail"] == "" and flag["redacted"] == "yes"
    viewed = rows["care.patient_view"]
    assert viewed["actor_email"] == "clinician@test.example"  # who looked is the point of audit
    assert viewed["subject_id"] == ""  # at whom is clinical
    assert rows["user.create"]["detail"] == "role=clinician" and rows["user.create"]["redacted"] == "no"
    page = admin.get("/admin/audit").text
    assert "self_harm_risk" not in page and "patient@test.example" not in page
    assert "a patient" in page
    with world.session() as session:  # the full row stays for the chain and governance
        stored = session.scalar(select(AuditEvent).where(AuditEvent.action == "safety.flag"))
        assert (stored.actor_email, stored.subject_id, stored.detail) == (
            "patient@test.example", "41", "self_harm_risk")


def test_every_row_is_chained_to_the_one_before(world):
    ids = [_record(world, "clinician", "encounter.view", f"encounter:{n}") for n in range(4)]
    with world.session() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [r.id for r in rows][-4:] == ids
        prev = GENESIS
        for row in rows:
            assert row.prev_hash == prev
            assert row.row_hash == chain_hash(prev, canonical(row_values(row)))
            prev = row.row_hash
        report = audit.verify(session)
    assert report.ok and report.rows == len(rows) and report.last_hash == prev


def _tamper(database, statement, params):
    """What an owner of the tables can do: switch the append-only trigger off, change history."""
    with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        connection.execute(text(statement), params)
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def _verify_cli(database, monkeypatch, *args):
    monkeypatch.setenv("BEDSIDE_DATABASE_URL", database.url)
    return CliRunner().invoke(cli, ["audit", "verify", *args])


def test_verify_reports_ok_then_the_first_changed_row(world, monkeypatch):
    ids = [_record(world, "clinician", "encounter.view", f"encounter:{n}") for n in range(5)]
    ok = _verify_cli(world.database, monkeypatch)
    assert ok.exit_code == 0, ok.output
    with world.session() as session:
        total = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
        count = len(session.scalars(select(AuditEvent.id)).all())
    assert f"audit chain OK: {count} rows" in ok.output
    _tamper(world.database, "UPDATE audit_events SET detail = 'rewritten' WHERE id = :id", {"id": ids[2]})
    broken = _verify_cli(world.database, monkeypatch)
    assert broken.exit_code == 1
    assert f"broken at row {ids[2]}" in broken.stderr and "changed" in broken.stderr
    as_json = json.loads(_verify_cli(world.database, monkeypatch, "--format", "json").stdout)
    assert as_json["ok"] is False and as_json["broken"]["row_id"] == ids[2]
    assert total == ids[-1]


def test_verify_finds_a_deleted_row_by_the_next_rows_link(world, monkeypatch):
    ids = [_record(world, "clinician", "encounter.view", f"encounter:{n}") for n in range(5)]
    _tamper(world.database, "DELETE FROM audit_events WHERE id = :id", {"id": ids[1]})
    broken = _verify_cli(world.database, monkeypatch)
    assert broken.exit_code == 1
    assert f"broken at row {ids[2]}" in broken.stderr and "removed" in broken.stderr


def test_concurrent_appends_keep_one_chain(world):
    """Eight threads, each its own connection and transaction, append at the same time."""
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def append(worker: int) -> None:
        try:
            start.wait()
            for n in range(10):
                with world.session() as session:
                    audit.record(session, None, "test.concurrent", f"thing:{worker}-{n}",
                                 organisation_id=world.organisation_id)
                    session.commit()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=append, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with world.session() as session:
        report = audit.verify(session)
        appended = session.scalars(select(AuditEvent).where(AuditEvent.action == "test.concurrent")).all()
    assert len(appended) == 80
    assert report.ok, report.broken


def _export(database, path, monkeypatch):
    monkeypatch.setenv("BEDSIDE_DATABASE_URL", database.url)
    return CliRunner().invoke(cli, ["audit", "export", "--jsonl", str(path)])


def test_jsonl_export_appends_only_new_rows_and_resumes(world, tmp_path, monkeypatch):
    path = tmp_path / "audit.jsonl"
    for n in range(3):
        _record(world, "clinician", "encounter.view", f"encounter:{n}")
    first = _export(world.database, path, monkeypatch)
    assert first.exit_code == 0, first.output
    lines = path.read_text().splitlines()
    with world.session() as session:
        count = len(session.scalars(select(AuditEvent.id)).all())
    assert len(lines) == count
    assert json.loads(lines[0])["prev_hash"] == GENESIS
    again = _export(world.database, path, monkeypatch)
    assert "appended 0 audit rows" in again.output
    _record(world, "clinician", "encounter.view", "encounter:9")
    with path.open("a") as handle:  # a crash in the middle of a line
        handle.write('{"id": 99, "row_')
    resumed = _export(world.database, path, monkeypatch)
    assert resumed.exit_code == 0, resumed.output
    assert "appended 1 audit rows" in resumed.output
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == count + 1
    for before, after in itertools.pairwise(rows):
        assert after["prev_hash"] == before["row_hash"]
        assert after["id"] > before["id"]
    for row in rows:  # a log store can check the copy on its own, line by line
        assert row["row_hash"] == chain_hash(row["prev_hash"], canonical(row))


def test_jsonl_export_refuses_a_file_that_does_not_continue_the_chain(world, tmp_path, monkeypatch):
    path = tmp_path / "audit.jsonl"
    _record(world, "clinician", "encounter.view", "encounter:1")
    assert _export(world.database, path, monkeypatch).exit_code == 0
    row = json.loads(path.read_text().splitlines()[-1])
    row["row_hash"] = "f" * 64
    path.write_text(json.dumps(row) + "\n")
    refused = _export(world.database, path, monkeypatch)
    assert refused.exit_code == 1
    assert "differs from the database" in refused.stderr
    with world.session() as session, pytest.raises(AuditChainError):
        audit.export_jsonl(session, path)


def test_the_migration_scopes_and_chains_rows_written_before_it(world):
    url = world.database.url
    downgrade(url, "0006_credentials")
    clinician, patient = world.users["clinician"], world.users["patient"]
    with world.database.engine.begin() as connection:
        for actor_id, email, action, subject_type, subject_id in (
            (clinician.id, clinician.email, "encounter.view", "encounter", "3"),
            (None, None, "organisation.create", "organisation", str(world.organisation_id)),
            (None, None, "auth.failure", "user", str(patient.id)),
            (None, None, "demo.seed", "thing", None),
        ):
            connection.execute(text(
                "INSERT INTO audit_events (at, actor_id, actor_email, action, subject_type, subject_id) "
                "VALUES (:at, :actor, :email, :action, :type, :id)"),
                {"at": "2026-11-30 10:00:00.000001", "actor": actor_id, "email": email,
                 "action": action, "type": subject_type, "id": subject_id})
    upgrade(url, "head")
    with world.session() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [r.organisation_id for r in rows] == [world.organisation_id] * 3 + [None]
        assert rows[0].actor_role == "clinician"
        assert audit.verify(session).ok
    _record(world, "clinician", "encounter.view", "encounter:4")  # new rows continue the chain
    with world.session() as session:
        assert audit.verify(session).rows == 5


def test_events_without_an_actor_take_the_organisation_of_their_subject(world):
    from bedside.services import accounts, checkins

    with world.session() as session:
        patient = session.get(User, world.users["patient"].id)
        checkins.submit_checkin(session, patient, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 2])
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(session, "clinician@test.example", "not the password")
        created = session.scalars(select(AuditEvent).where(
            AuditEvent.actor_id.is_(None),
            AuditEvent.action.in_(("task.create", "auth.failure")))).all()
    assert {e.action for e in created} == {"task.create", "auth.failure"}
    assert {e.organisation_id for e in created} == {world.organisation_id}


def test_verify_against_the_export_finds_the_newest_rows_deleted(world, tmp_path, monkeypatch):
    """Deleting the newest rows leaves a chain that verifies on its own; the copy shows it."""
    path = tmp_path / "audit.jsonl"
    ids = [_record(world, "clinician", "encounter.view", f"encounter:{n}") for n in range(3)]
    assert _export(world.database, path, monkeypatch).exit_code == 0
    assert _verify_cli(world.database, monkeypatch, "--against", str(path)).exit_code == 0
    _tamper(world.database, "DELETE FROM audit_events WHERE id = :id", {"id": ids[-1]})
    assert _verify_cli(world.database, monkeypatch).exit_code == 0  # the chain alone: fine
    against = _verify_cli(world.database, monkeypatch, "--against", str(path))
    assert against.exit_code == 1
    assert f"broken at row {ids[-1]}" in against.stderr and "not in the database" in against.stderr
    missing = _verify_cli(world.database, monkeypatch, "--against", str(tmp_path / "none.jsonl"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
