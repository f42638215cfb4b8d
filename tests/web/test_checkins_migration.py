"""Migration 0002_care: creates exactly the care tables, matches their declarations, downgrades."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bedside.db import load_table_modules, metadata
from bedside.services.database import downgrade, upgrade

CARE_TABLES = {
    "care_assignments",
    "checkins",
    "patient_messages",
    "safety_flags",
    "care_tasks",
    "patient_voice",
    "care_plans",
}


def test_care_tables_match_the_migration(database):
    load_table_modules()
    assert set(inspect(database.engine).get_table_names()) >= CARE_TABLES
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, metadata) if CARE_TABLES & set(_names(d))]
    assert diff == []


def _names(item):
    change = item[0] if isinstance(item, list) else item
    for part in change[1:]:
        table = getattr(part, "table", None)
        if table is not None:
            yield table.name
        name = getattr(part, "name", None)
        if isinstance(name, str):
            yield name


def test_downgrade_removes_only_the_care_tables(database):
    downgrade(database.url, "0001_web")
    names = set(inspect(database.engine).get_table_names())
    assert not CARE_TABLES & names and "users" in names
    upgrade(database.url, "head")
    assert set(inspect(database.engine).get_table_names()) >= CARE_TABLES
