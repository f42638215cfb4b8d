"""Data at rest and lifecycle: encrypted columns, retention policies (security issue 11).

Transcripts, messages and free-text answers become AES-GCM sealed text (`bedside.db.crypto`):
on PostgreSQL their JSONB columns turn into TEXT; SQLite keeps the declared types (it stores any
text in them, and re-creating those tables would drop the triggers that guard them). Existing
rows are sealed with the configured data key (`BEDSIDE_DATA_KEYS` / `BEDSIDE_DATA_KEY`, or the
embedded SQLite key file) and opened again on downgrade; an empty database needs no key.

Revision ID: 0008_lifecycle
Revises: 0007_audit
Create Date: 2026-12-02 02:40:00
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0008_lifecycle'
down_revision: str | Sequence[str] | None = '0007_audit'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONB = postgresql.JSONB(astext_type=sa.Text())
# (table, column, holds JSON, PostgreSQL type before) as of this revision; never change this list.
SEALED = (
    ('encounters', 'title', False, sa.String(length=200)),
    ('encounters', 'source_name', False, sa.String(length=500)),
    ('encounters', 'conversation', True, JSONB),
    ('encounters', 'analysis', True, JSONB),
    ('encounters', 'report', True, JSONB),
    ('checkins', 'answers', True, JSONB),
    ('patient_messages', 'text', False, sa.Text()),
    ('patient_voice', 'what_matters', False, sa.Text()),
    ('patient_voice', 'goals', True, JSONB),
    ('care_plans', 'document', True, JSONB),
    ('training_attempts', 'state', True, JSONB),
    ('break_glass_access', 'justification', False, sa.Text()),
)
BATCH = 500


def _keyring():  # type: ignore[no-untyped-def]
    from bedside.config import Settings
    from bedside.services.keys import load_keyring

    bind = op.get_bind()
    url = 'sqlite://' if bind.dialect.name == 'sqlite' else bind.dialect.name + '://'
    return load_keyring(Settings(), database_url=url)


def _rewrite(table: str, column: str, change: Callable[[str], str | None]) -> None:
    """Apply `change` to every non-null value, in batches by id (None leaves a value as it is)."""
    bind = op.get_bind()
    rows = sa.table(table, sa.column('id', sa.Integer()), sa.column(column, sa.Text()))
    after = 0
    while True:
        batch = bind.execute(
            sa.select(rows.c.id, rows.c[column])
            .where(rows.c.id > after, rows.c[column].is_not(None))
            .order_by(rows.c.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return
        for row_id, value in batch:
            new = change(value)
            if new is not None:
                bind.execute(rows.update().where(rows.c.id == row_id).values({column: new}))
        after = batch[-1][0]


def _has_rows(table: str, column: str) -> bool:
    rows = sa.table(table, sa.column(column, sa.Text()))
    query = sa.select(sa.literal(1)).select_from(rows).where(rows.c[column].is_not(None)).limit(1)
    return op.get_bind().execute(query).first() is not None


def upgrade() -> None:
    op.create_table('retention_policies',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('encounters_days', sa.Integer(), nullable=True),
    sa.Column('messages_days', sa.Integer(), nullable=True),
    sa.Column('checkins_days', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_retention_policies_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_retention_policies_updated_by_id_users')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_retention_policies'))
    )
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table, column, _, before in SEALED:
        if postgres and not isinstance(before, sa.Text):
            op.alter_column(table, column, type_=sa.Text(), postgresql_using=f'"{column}"::text')
    if not any(_has_rows(table, column) for table, column, _, _ in SEALED):
        return
    from bedside.db.crypto import is_sealed, seal

    keyring = _keyring()
    for table, column, is_json, _ in SEALED:
        purpose = f'{table}.{column}'

        def encrypt(value: str, purpose: str = purpose, is_json: bool = is_json) -> str | None:
            if is_sealed(value):
                return None
            if is_json:  # compact, as the ORM writes it (JSONB text has spaces)
                value = json.dumps(json.loads(value), separators=(',', ':'), ensure_ascii=False)
            return seal(value.encode('utf-8'), keyring, purpose=purpose)

        _rewrite(table, column, encrypt)


def downgrade() -> None:
    if any(_has_rows(table, column) for table, column, _, _ in SEALED):
        from bedside.db.crypto import is_sealed, unseal

        keyring = _keyring()
        for table, column, _, _ in SEALED:
            purpose = f'{table}.{column}'

            def decrypt(value: str, purpose: str = purpose) -> str | None:
                if not is_sealed(value):
                    return None
                return unseal(value, keyring, purpose=purpose).decode('utf-8')

            _rewrite(table, column, decrypt)
    if op.get_bind().dialect.name == 'postgresql':
        for table, column, _, before in SEALED:
            if not isinstance(before, sa.Text):
                cast = 'jsonb' if before is JSONB else f'varchar({before.length})'
                op.alter_column(table, column, type_=before, postgresql_using=f'"{column}"::{cast}')
    op.drop_table('retention_policies')
