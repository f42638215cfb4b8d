"""Least privilege in the database (issue 11, finding 11; HIPAA §164.312(b), ASVS 1.4.x/7.3.x).

On PostgreSQL migration 0007 makes an application role that may INSERT and SELECT the audit
trail and the safety flags but not UPDATE, DELETE or TRUNCATE them (a flag may change only its
status and resolution), owns no table, and so cannot disable a trigger. The test migrates a
fresh schema with a uniquely named role (roles are cluster-wide), connects as a login role that
is a member of it (the documented production set-up), runs the real check-in protocol as it,
then shows each forbidden statement failing. Both roles are dropped afterwards.

SQLite has no roles: whoever can open the file can `DROP TRIGGER` and `DELETE`. There the
append-only triggers stop bedside itself and the hash chain shows the tampering (tested below
and in tests/services/test_audit_trail.py).
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from bedside.db.tables import AuditEvent, Organisation, User
from bedside.db.tables_care import SafetyFlag
from bedside.services import audit, checkins
from bedside.services.database import open_database, upgrade
from web_fixtures import PG_ROOT

POSTGRES = os.environ.get("BEDSIDE_TEST_POSTGRES", "1") != "0"
INSUFFICIENT_PRIVILEGE = "42501"


def _refused(connection, statement: str) -> str:
    """Run a statement that must fail; returns its SQLSTATE (and rolls the failure back)."""
    with pytest.raises(DBAPIError) as failure:
        connection.execute(text(statement))
    connection.rollback()
    return getattr(failure.value.orig, "sqlstate", "?")


if POSTGRES:

    @pytest.fixture
    def app_role(monkeypatch, password_hash):
        """A fresh schema migrated with a unique app role, and a login role that joins it."""
        tag = uuid.uuid4().hex[:10]
        role, login, schema = f"bedside_app_t{tag}", f"bedside_web_t{tag}", f"bedside_roles_{tag}"
        owner = create_engine(PG_ROOT, isolation_level="AUTOCOMMIT")
        with owner.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        monkeypatch.setenv("BEDSIDE_DATABASE_APP_ROLE", role)
        owner_url = f"{PG_ROOT}?options=-csearch_path%3D{schema}"
        try:
            upgrade(owner_url)
            with owner.connect() as connection:
                connection.execute(text(f'CREATE ROLE "{login}" LOGIN IN ROLE "{role}"'))
            host = PG_ROOT.split("@", 1)[1]
            app_url = f"postgresql+psycopg://{login}@{host}?options=-csearch_path%3D{schema}"
            yield {"role": role, "login": login, "schema": schema, "owner_url": owner_url,
                   "app_url": app_url, "password_hash": password_hash}
        finally:
            with owner.connect() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                for name in (login, role):
                    exists = connection.execute(
                        text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
                    if exists:
                        connection.execute(text(f'DROP OWNED BY "{name}"'))
                        connection.execute(text(f'DROP ROLE "{name}"'))
            owner.dispose()

    def _seed(url: str, password_hash: str) -> dict[str, int]:
        database = open_database(url)
        try:
            with database.sessions() as session:
                organisation = Organisation(name="Role Clinic")
                session.add(organisation)
                session.flush()
                patient = User(organisation_id=organisation.id, email="p@roles.example",
                               display_name="P", role="patient", password_hash=password_hash)
                session.add(patient)
                session.commit()
                return {"patient": patient.id}
        finally:
            database.dispose()

    def test_the_app_role_runs_bedside_but_cannot_rewrite_the_audit_trail_or_flags(app_role):
        ids = _seed(app_role["owner_url"], app_role["password_hash"])
        app = open_database(app_role["app_url"])
        try:
            with app.sessions() as session:  # the real protocol, as the application connects
                patient = session.get(User, ids["patient"])
                result = checkins.submit_checkin(session, patient, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 2])
                assert result.flag_ids and result.checkin_id is not None
                flag = session.get(SafetyFlag, result.flag_ids[0])
                flag.status, flag.resolved_at = "resolved", flag.created_at  # resolution: allowed
                session.commit()
                audit.record(session, None, "test.as_app", "thing:1")
                session.commit()
                assert audit.verify(session).ok
                event_id = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
            with app.engine.connect() as connection:
                role = connection.execute(text("SELECT current_user")).scalar_one()
                assert role == app_role["login"]
                flag_id = result.flag_ids[0]
                forbidden = {
                    "TRUNCATE audit_events": "TRUNCATE audit_events",
                    "DELETE audit": f"DELETE FROM audit_events WHERE id = {event_id}",
                    "UPDATE audit": f"UPDATE audit_events SET detail = 'x' WHERE id = {event_id}",
                    "DISABLE TRIGGER": "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
                    "DROP TRIGGER": "DROP TRIGGER audit_events_append_only ON audit_events",
                    "TRUNCATE flags": "TRUNCATE safety_flags",
                    "DELETE flag": f"DELETE FROM safety_flags WHERE id = {flag_id}",
                    "UPDATE flag kind": f"UPDATE safety_flags SET kind = 'none' WHERE id = {flag_id}",
                    "UPDATE flag patient": f"UPDATE safety_flags SET patient_id = 1 WHERE id = {flag_id}",
                    "DISABLE flag trigger": "ALTER TABLE safety_flags DISABLE TRIGGER ALL",
                    "DROP audit table": "DROP TABLE audit_events",
                    "CREATE in schema": "CREATE TABLE shadow (id int)",
                }
                states = {name: _refused(connection, sql) for name, sql in forbidden.items()}
                assert states == dict.fromkeys(forbidden, INSUFFICIENT_PRIVILEGE)
                owned = connection.execute(text(
                    "SELECT count(*) FROM pg_tables WHERE tableowner IN (:r, :l)"),
                    {"r": app_role["role"], "l": app_role["login"]}).scalar_one()
                assert owned == 0
                super_or_bypass = connection.execute(text(
                    "SELECT rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb FROM pg_roles "
                    "WHERE rolname = :r"), {"r": app_role["role"]}).scalar_one()
                assert super_or_bypass is False
        finally:
            app.dispose()
        with open_database(app_role["owner_url"]).sessions() as session:  # nothing was changed
            assert session.scalar(select(AuditEvent.detail).where(AuditEvent.id == event_id)) is None
            assert session.get(SafetyFlag, flag_id).kind == "self_harm_risk"


def test_sqlite_has_no_roles_so_the_chain_shows_what_a_file_owner_changed(world):
    """The documented limit: on SQLite the file's owner drops the trigger and deletes a row;
    nothing in SQLite stops that, and `audit.verify` names the row after the gap."""
    with world.session() as session:
        first = audit.record(session, None, "test.a", "thing:1", organisation_id=world.organisation_id)
        second = audit.record(session, None, "test.b", "thing:2", organisation_id=world.organisation_id)
        third = audit.record(session, None, "test.c", "thing:3", organisation_id=world.organisation_id)
        session.commit()
        ids = first.id, second.id, third.id
    with world.database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
            connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))
            connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    with world.session() as session:
        report = audit.verify(session)
    assert not report.ok and report.broken.row_id == ids[2]


def test_migrations_run_as_the_owner_url_and_the_app_uses_its_own(tmp_path, monkeypatch):
    """`bedside db upgrade` connects with BEDSIDE_MIGRATION_DATABASE_URL (the table owner);
    the application keeps BEDSIDE_DATABASE_URL (its low-privilege role)."""
    from typer.testing import CliRunner

    from bedside.cli.main import app as cli
    from bedside.config import Settings

    owner = f"sqlite:///{tmp_path / 'owned.sqlite3'}"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("BEDSIDE_MIGRATION_DATABASE_URL", owner)
    monkeypatch.setenv("BEDSIDE_DATABASE_URL", f"sqlite:///{tmp_path / 'app-role.sqlite3'}")
    settings = Settings()
    assert settings.resolved_migration_url() == owner
    assert settings.resolved_database_url().endswith("app-role.sqlite3")
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "owned.sqlite3").exists() and not (tmp_path / "app-role.sqlite3").exists()
    monkeypatch.delenv("BEDSIDE_MIGRATION_DATABASE_URL")
    assert Settings().resolved_migration_url().endswith("app-role.sqlite3")  # one URL: the same
    monkeypatch.setenv("BEDSIDE_DATABASE_APP_ROLE", "Robert'); DROP TABLE users;--")
    with pytest.raises(ValueError, match="database_app_role"):
        Settings()
