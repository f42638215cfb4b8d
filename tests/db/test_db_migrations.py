"""Alembic: upgrade from empty, downgrade to empty, and the migration matches the tables."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from bedside.db import load_table_modules, metadata
from bedside.db.tables import AuditEvent
from bedside.services import audit
from bedside.services.database import downgrade, upgrade

WEB_TABLES = {
    "organisations", "users", "web_sessions", "api_tokens", "cohorts", "cohort_members",
    "encounters", "encounter_shares", "audit_events",
}


def test_upgrade_from_empty_then_downgrade_to_empty(database):
    url = database.url
    downgrade(url, "base")
    assert not WEB_TABLES & set(inspect(database.engine).get_table_names())
    upgrade(url, "head")
    assert set(inspect(database.engine).get_table_names()) >= WEB_TABLES


def test_migrations_match_the_table_declarations(database):
    load_table_modules()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, metadata)
                if _table_of(d) in WEB_TABLES]
    assert diff == []


def _table_of(item):
    change = item[0] if isinstance(item, list) else item
    for part in change[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        if name in WEB_TABLES:
            return name
    return None


def test_the_audit_trail_is_append_only_in_the_database(world):
    with world.session() as session:
        event = audit.record(session, None, "test.event", "thing:1")
        session.commit()
        event_id = event.id
    for statement in ("UPDATE audit_events SET action = 'x' WHERE id = :id",
                      "DELETE FROM audit_events WHERE id = :id"):
        with world.session() as session, pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement), {"id": event_id})
    with world.session() as session:
        assert session.get(AuditEvent, event_id).action == "test.event"
