"""Audit trail: organisation scope, hash chain, least-privilege database roles (security issue 11).

- `audit_events` gains `organisation_id` (admins see only their organisation's trail),
  `actor_role` (the admin view hides patients' own clinical actions), and `prev_hash` /
  `row_hash`, the SHA-256 chain of `bedside.db.audit_chain`. Existing rows are scoped (from
  the actor's, else the subject's organisation) and chained in id order.
- PostgreSQL only: a NOLOGIN role (`BEDSIDE_DATABASE_APP_ROLE`, default `bedside_app`) that the
  application's login role joins. It may SELECT and INSERT `audit_events` and `safety_flags`
  but not UPDATE, DELETE or TRUNCATE them (a flag may change only its status and resolution
  columns), owns no table and so cannot disable a trigger or alter a table; every other table
  gets SELECT, INSERT, UPDATE, DELETE, and tables of later migrations get the same by default.
  Roles are cluster-wide: the downgrade revokes what this schema granted and leaves the role.
  SQLite has no roles; there the triggers and the hash chain are the only protection.

Revision ID: 0007_audit
Revises: 0006_credentials
Create Date: 2026-12-02 02:40:00
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from bedside.db.audit_chain import GENESIS, canonical, chain_hash
from bedside.db.base import UTCDateTime

revision: str = '0007_audit'
down_revision: str | Sequence[str] | None = '0006_credentials'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("audit_events", "safety_flags")
FLAG_FIXED_COLUMNS = {"id", "organisation_id", "patient_id", "kind", "source", "created_at"}
"""Safety-flag columns no one may change once stored; the others (status, resolution, the link
to the check-in or message stored after the flag) stay updatable by the application."""


def app_role() -> str:
    name = os.environ.get("BEDSIDE_DATABASE_APP_ROLE", "bedside_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(
            f"BEDSIDE_DATABASE_APP_ROLE={name!r} is not a plain role name; use lower-case "
            "letters, digits and underscores"
        )
    return name


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _triggers(enabled=False, postgres=postgres)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('actor_role', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_events_organisation_id'), ['organisation_id'], unique=False)
    _scope_and_chain_existing_rows()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('row_hash', existing_type=sa.String(length=64), nullable=False)
    _triggers(enabled=True, postgres=postgres)
    if postgres:
        _grant_app_role(app_role())


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        _revoke_app_role(app_role())
    _triggers(enabled=False, postgres=postgres)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_organisation_id'))
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('actor_role')
        batch_op.drop_column('organisation_id')
    _triggers(enabled=True, postgres=postgres)


def _triggers(*, enabled: bool, postgres: bool) -> None:
    """The append-only triggers of 0001: off while existing rows are chained, then back on.

    SQLite rebuilds the table for some column changes, which drops its triggers, so they are
    dropped and created again; PostgreSQL only disables and enables its trigger.
    """
    if postgres:
        verb = "ENABLE" if enabled else "DISABLE"
        op.execute(f"ALTER TABLE audit_events {verb} TRIGGER audit_events_append_only")
        return
    for action in ("UPDATE", "DELETE"):
        name = f"audit_events_no_{action.lower()}"
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        if enabled:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {action} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )


def _scope_and_chain_existing_rows() -> None:
    bind = op.get_bind()
    users = {row.id: (row.organisation_id, row.role) for row in bind.execute(
        sa.text("SELECT id, organisation_id, role FROM users"))}
    events = sa.table(
        'audit_events', sa.column('id', sa.Integer()), sa.column('at', UTCDateTime()),
        sa.column('organisation_id', sa.Integer()), sa.column('actor_id', sa.Integer()),
        sa.column('actor_email', sa.String()), sa.column('actor_role', sa.String()),
        sa.column('action', sa.String()), sa.column('subject_type', sa.String()),
        sa.column('subject_id', sa.String()), sa.column('ip', sa.String()),
        sa.column('detail', sa.String()), sa.column('prev_hash', sa.String()),
        sa.column('row_hash', sa.String()),
    )
    prev = GENESIS
    for row in bind.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        values = dict(row)
        actor = users.get(values["actor_id"]) if values["actor_id"] is not None else None
        values["organisation_id"] = _organisation_of(values, actor, users)
        values["actor_role"] = actor[1] if actor is not None else None
        values["prev_hash"] = prev
        values["row_hash"] = prev = chain_hash(prev, canonical(values))
        bind.execute(
            events.update().where(events.c.id == values["id"]).values(
                organisation_id=values["organisation_id"], actor_role=values["actor_role"],
                prev_hash=values["prev_hash"], row_hash=values["row_hash"],
            )
        )


def _organisation_of(
    values: dict[str, Any], actor: tuple[int, str] | None, users: dict[int, tuple[int, str]]
) -> int | None:
    if actor is not None:
        return actor[0]
    subject_id = values["subject_id"]
    if subject_id and subject_id.isdigit():
        if values["subject_type"] == "organisation":
            return int(subject_id)
        if values["subject_type"] == "user" and int(subject_id) in users:
            return users[int(subject_id)][0]
    return None


def _grant_app_role(role: str) -> None:
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    op.execute(
        f"DO $$ BEGIN CREATE ROLE \"{role}\" NOLOGIN; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    )
    flag_columns = [row[0] for row in op.get_bind().execute(sa.text(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = 'safety_flags'"))]
    updatable = ", ".join(f'"{c}"' for c in sorted(set(flag_columns) - FLAG_FIXED_COLUMNS))
    statements = [
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"',
        f'REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, safety_flags FROM "{role}"',
        f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" '
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT USAGE, SELECT ON SEQUENCES TO "{role}"',
    ]
    if updatable:
        statements.append(f'GRANT UPDATE ({updatable}) ON safety_flags TO "{role}"')
    for statement in statements:
        op.execute(statement)


def _revoke_app_role(role: str) -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is None:
        return
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    for statement in (
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" REVOKE ALL ON SEQUENCES FROM "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" REVOKE ALL ON TABLES FROM "{role}"',
        f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "{schema}" FROM "{role}"',
        f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"',
        f'REVOKE USAGE ON SCHEMA "{schema}" FROM "{role}"',
    ):
        op.execute(statement)
