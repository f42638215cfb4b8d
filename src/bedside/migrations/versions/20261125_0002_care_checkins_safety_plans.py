"""Whole-person care: check-ins, patient messages, safety flags, care tasks, what matters, care plans.

Safety flags cannot be deleted: a trigger refuses DELETE on SQLite and PostgreSQL (a flag is
resolved, never removed).

Revision ID: 0002_care
Revises: 0001_web
Create Date: 2026-11-25 19:10:19.031076
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002_care'
down_revision: str | Sequence[str] | None = '0001_web'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('care_assignments',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('clinician_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinician_id'], ['users.id'], name=op.f('fk_care_assignments_clinician_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_care_assignments_patient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_care_assignments'))
    )
    with op.batch_alter_table('care_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_assignments_clinician_id'), ['clinician_id'], unique=False)

    op.create_table('care_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_care_plans_author_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_care_plans_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_care_plans_patient_id_users')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_care_plans_signed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plans'))
    )
    with op.batch_alter_table('care_plans', schema=None) as batch_op:
        batch_op.create_index('ix_care_plans_patient_revision', ['patient_id', 'revision'], unique=True)

    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('band', sa.String(length=32), nullable=True),
    sa.Column('positive', sa.Boolean(), nullable=True),
    sa.Column('percentage', sa.Integer(), nullable=True),
    sa.Column('flags', sa.String(length=200), nullable=False),
    sa.Column('safety', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_checkins_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_checkins_patient_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkins_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_checkins_patient_created', ['patient_id', 'created_at'], unique=False)

    op.create_table('patient_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('risk', sa.Boolean(), nullable=False),
    sa.Column('categories', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_patient_messages_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_patient_messages_patient_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_messages'))
    )
    with op.batch_alter_table('patient_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_messages_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_patient_messages_patient_created', ['patient_id', 'created_at'], unique=False)

    op.create_table('patient_voice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('what_matters', sa.Text(), nullable=False),
    sa.Column('goals', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_patient_voice_patient_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_voice'))
    )
    with op.batch_alter_table('patient_voice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_voice_patient_id'), ['patient_id'], unique=False)

    op.create_table('safety_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_safety_flags_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_safety_flags_patient_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_safety_flags_resolved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_flags'))
    )
    with op.batch_alter_table('safety_flags', schema=None) as batch_op:
        batch_op.create_index('ix_safety_flags_org_status', ['organisation_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_flags_patient_id'), ['patient_id'], unique=False)

    op.create_table('care_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('flag_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_care_tasks_assignee_id_users')),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_care_tasks_done_by_id_users')),
    sa.ForeignKeyConstraint(['flag_id'], ['safety_flags.id'], name=op.f('fk_care_tasks_flag_id_safety_flags')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_care_tasks_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_care_tasks_patient_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_tasks')),
    sa.UniqueConstraint('flag_id', name=op.f('uq_care_tasks_flag_id'))
    )
    with op.batch_alter_table('care_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_tasks_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index('ix_care_tasks_org_status', ['organisation_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_tasks_patient_id'), ['patient_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bedside_safety_flags_keep() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'safety_flags are never deleted; resolve them instead'; END; "
            "$$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER safety_flags_no_delete BEFORE DELETE ON safety_flags "
            "FOR EACH ROW EXECUTE FUNCTION bedside_safety_flags_keep()"
        )
    else:
        op.execute(
            "CREATE TRIGGER safety_flags_no_delete BEFORE DELETE ON safety_flags "
            "BEGIN SELECT RAISE(ABORT, 'safety_flags are never deleted; resolve them instead'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS safety_flags_no_delete ON safety_flags")
        op.execute("DROP FUNCTION IF EXISTS bedside_safety_flags_keep()")
    else:
        op.execute("DROP TRIGGER IF EXISTS safety_flags_no_delete")
    with op.batch_alter_table('care_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_tasks_patient_id'))
        batch_op.drop_index('ix_care_tasks_org_status')
        batch_op.drop_index(batch_op.f('ix_care_tasks_assignee_id'))

    op.drop_table('care_tasks')
    with op.batch_alter_table('safety_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_flags_patient_id'))
        batch_op.drop_index('ix_safety_flags_org_status')

    op.drop_table('safety_flags')
    with op.batch_alter_table('patient_voice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_voice_patient_id'))

    op.drop_table('patient_voice')
    with op.batch_alter_table('patient_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_patient_messages_patient_created')
        batch_op.drop_index(batch_op.f('ix_patient_messages_organisation_id'))

    op.drop_table('patient_messages')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_patient_created')
        batch_op.drop_index(batch_op.f('ix_checkins_organisation_id'))

    op.drop_table('checkins')
    with op.batch_alter_table('care_plans', schema=None) as batch_op:
        batch_op.drop_index('ix_care_plans_patient_revision')

    op.drop_table('care_plans')
    with op.batch_alter_table('care_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_assignments_clinician_id'))

    op.drop_table('care_assignments')
