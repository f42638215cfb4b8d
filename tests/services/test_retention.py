"""Retention: per-organisation policies, a dry-run purge that counts, an applied purge that deletes
only what is older than the policy, never the audit trail or safety flags, and audits each kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from bedside.cli.main import app as cli
from bedside.db import load_table_modules, metadata, utcnow
from bedside.db.tables import AuditEvent, Encounter, Organisation, User
from bedside.db.tables_care import CheckIn, PatientMessage, SafetyFlag
from bedside.errors import PermissionDenied, ScoringError
from bedside.services import lifecycle
from web_fixtures import store_patient_records

OLD = timedelta(days=40)


def _age(world, ids, *, by=OLD):
    """Move the given rows' creation back in time (as if stored `by` ago)."""
    tables = {"encounters": Encounter, "patient_messages": PatientMessage, "checkins": CheckIn}
    with world.session() as session:
        for name, table in tables.items():
            session.execute(update(table).where(table.id == ids[name]).values(created_at=utcnow() - by))
        session.commit()


def _count(world, table, *where):
    with world.session() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where))


def _second_organisation(world, password_hash):
    """Organisation B with one patient and old records, and no retention policy."""
    with world.session() as session:
        other = Organisation(name="Other Clinic")
        session.add(other)
        session.flush()
        patient = User(organisation_id=other.id, email="b-patient@test.example", display_name="B",
                       role="patient", password_hash=password_hash)
        session.add(patient)
        session.flush()
        rows = [
            Encounter(organisation_id=other.id, owner_id=patient.id, title="B", source_name="b.txt",
                      turn_count=0, conversation={}, analysis={}, report={},
                      created_at=utcnow() - OLD),
            PatientMessage(organisation_id=other.id, patient_id=patient.id, text="b",
                           created_at=utcnow() - OLD),
        ]
        session.add_all(rows)
        session.commit()
        return other.id


def test_the_retention_table_matches_its_migration(database):
    load_table_modules()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, metadata) if "retention_policies" in repr(d)]
    assert diff == []


def test_no_policy_keeps_everything(world):
    _age(world, store_patient_records(world, "keep"))
    with world.session() as session:
        assert lifecycle.purge(session, apply=True) == []
    assert _count(world, Encounter) == 1 and _count(world, PatientMessage) == 1


def test_purge_deletes_only_what_is_older_than_the_policy(world, password_hash):
    old = store_patient_records(world, "old")
    _age(world, old)
    new = store_patient_records(world, "new")
    other_org = _second_organisation(world, password_hash)
    with world.session() as session:
        session.add(SafetyFlag(organisation_id=world.organisation_id, patient_id=world.users["patient"].id,
                               kind="self_harm_risk", source="checkin", detail={"item9": 2},
                               created_at=utcnow() - OLD))
        session.commit()
    audit_before = _count(world, AuditEvent)
    with world.session() as session:
        admin = session.get(User, world.users["admin"].id)
        lifecycle.set_retention(session, admin, world.organisation_id,
                                encounters_days=30, messages_days=30, checkins_days=None)

    with world.session() as session:
        dry = lifecycle.purge(session, apply=False)
    assert {(line.kind, line.rows) for line in dry} == {("encounters", 1), ("messages", 1)}
    assert _count(world, Encounter) == 3 and _count(world, PatientMessage) == 3  # a dry run deletes nothing

    with world.session() as session:
        applied = lifecycle.purge(session, apply=True)
    assert [(line.kind, line.rows) for line in applied] == [("encounters", 1), ("messages", 1)]
    assert _count(world, Encounter, Encounter.id == old["encounters"]) == 0
    assert _count(world, PatientMessage, PatientMessage.id == old["patient_messages"]) == 0
    assert _count(world, Encounter, Encounter.id == new["encounters"]) == 1
    assert _count(world, PatientMessage, PatientMessage.id == new["patient_messages"]) == 1
    assert _count(world, CheckIn) == 2  # check-ins have no period: kept
    assert _count(world, SafetyFlag) == 1  # flags are never purged
    assert _count(world, Encounter, Encounter.organisation_id == other_org) == 1  # B has no policy
    assert _count(world, PatientMessage, PatientMessage.organisation_id == other_org) == 1
    with world.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge")
                                 .order_by(AuditEvent.id)).all()
        assert [e.detail.split(":")[0] for e in events] == ["encounters", "messages"]
        assert all(e.subject_id == str(world.organisation_id) for e in events)
    assert _count(world, AuditEvent) == audit_before + 1 + 2  # the policy change and two purges

    with world.session() as session:
        assert all(line.rows == 0 for line in lifecycle.purge(session, apply=True))


def test_only_an_admin_of_the_organisation_sets_a_policy_in_whole_days(world):
    with world.session() as session:
        clinician = session.get(User, world.users["clinician"].id)
        with pytest.raises(PermissionDenied):
            lifecycle.set_retention(session, clinician, world.organisation_id,
                                    encounters_days=1, messages_days=None, checkins_days=None)
        admin = session.get(User, world.users["admin"].id)
        with pytest.raises(PermissionDenied):
            lifecycle.set_retention(session, admin, world.organisation_id + 1,
                                    encounters_days=1, messages_days=None, checkins_days=None)
        with pytest.raises(ScoringError, match="at least 1"):
            lifecycle.set_retention(session, admin, world.organisation_id,
                                    encounters_days=0, messages_days=None, checkins_days=None)


def test_the_cli_sets_a_policy_and_purges_dry_run_first(world, monkeypatch):
    _age(world, store_patient_records(world, "old"))
    monkeypatch.setenv("BEDSIDE_DATABASE_URL", world.database.url)
    runner = CliRunner()
    result = runner.invoke(cli, ["data", "retention", str(world.organisation_id), "--messages-days", "30"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["data", "purge"])
    assert result.exit_code == 0, result.output
    assert "would delete 1 messages" in result.output and "--apply" in result.output
    assert _count(world, PatientMessage) == 1
    result = runner.invoke(cli, ["data", "purge", "--apply"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 messages" in result.output
    assert _count(world, PatientMessage) == 0 and _count(world, Encounter) == 1
