"""Migration 0004_access: the access tables match their declarations, and existing data moves.

Self-granted cohort memberships become pending invitations (the member decides); existing care
assignments stay, with no grantor (marked for the admins' review); the downgrade puts both back.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from bedside.db import load_table_modules, metadata
from bedside.services.database import downgrade, upgrade

ACCESS_TABLES = {"care_assignments", "care_consents", "cohort_invitations", "break_glass_access"}


def _tables_of(item):
    change = item[0] if isinstance(item, list) else item
    for part in change[1:]:
        table = getattr(part, "table", None)
        if table is not None:
            yield table.name
        name = getattr(part, "name", None)
        if isinstance(name, str):
            yield name


def test_access_tables_match_the_migration(database):
    load_table_modules()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, metadata) if ACCESS_TABLES & set(_tables_of(d))]
    assert diff == []


def _rows(database, sql):
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_memberships_become_invitations_and_assignments_stay_for_review(database):
    downgrade(database.url, "0003_training")
    with database.engine.begin() as connection:
        connection.execute(text("INSERT INTO organisations (id, name, created_at) VALUES (1, 'o', CURRENT_TIMESTAMP)"))
        for user_id, role in ((1, "educator"), (2, "clinician"), (3, "patient"), (4, "clinician")):
            connection.execute(text(
                "INSERT INTO users (id, organisation_id, email, display_name, role, password_hash, "
                "is_active, failed_logins, must_change_password, created_at) VALUES "
                f"({user_id}, 1, 'u{user_id}@x.example', 'U', '{role}', 'h', true, 0, false, CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO cohorts (id, organisation_id, name, educator_id) VALUES (1, 1, 'c', 1)"))
        connection.execute(text("INSERT INTO cohort_members (cohort_id, user_id) VALUES (1, 2)"))
        connection.execute(text(
            "INSERT INTO care_assignments (patient_id, clinician_id, created_at) VALUES (3, 2, CURRENT_TIMESTAMP)"))
    upgrade(database.url, "0004_access")
    assert _rows(database, "SELECT cohort_id, user_id, invited_by_id, status FROM cohort_invitations") == [
        (1, 2, 1, "pending")]
    assert _rows(database, "SELECT * FROM cohort_members") == []
    assert _rows(database, "SELECT patient_id, clinician_id, granted_by_id FROM care_assignments") == [(3, 2, None)]
    # a care team now holds several clinicians
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO care_assignments (patient_id, clinician_id, created_at, granted_by_id) "
            "VALUES (3, 4, CURRENT_TIMESTAMP, 2)"))
    downgrade(database.url, "0003_training")
    assert _rows(database, "SELECT cohort_id, user_id FROM cohort_members") == [(1, 2)]
    assert _rows(database, "SELECT patient_id, clinician_id FROM care_assignments") == [(3, 2)]
    upgrade(database.url, "head")
