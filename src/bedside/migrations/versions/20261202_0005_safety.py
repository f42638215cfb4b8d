"""Safety routing: each organisation's duty clinician and the routing history of care tasks.

An urgent task goes to an active clinician of the patient's care team, else the duty clinician,
else every active clinician; `task_routings` records each assignment and reassignment (security
issue 11, findings 3 and 4).

Revision ID: 0005_safety
Revises: 0004_access
Create Date: 2026-12-02 02:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_safety'
down_revision: str | Sequence[str] | None = '0004_access'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('duty_clinicians',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('clinician_id', sa.Integer(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinician_id'], ['users.id'], name=op.f('fk_duty_clinicians_clinician_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_duty_clinicians_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_duty_clinicians_set_by_id_users')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_duty_clinicians'))
    )
    op.create_table('task_routings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('previous_assignee_id', sa.Integer(), nullable=True),
    sa.Column('route', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_task_routings_assignee_id_users')),
    sa.ForeignKeyConstraint(['previous_assignee_id'], ['users.id'], name=op.f('fk_task_routings_previous_assignee_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['care_tasks.id'], name=op.f('fk_task_routings_task_id_care_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_routings'))
    )
    with op.batch_alter_table('task_routings', schema=None) as batch_op:
        batch_op.create_index('ix_task_routings_task', ['task_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('task_routings', schema=None) as batch_op:
        batch_op.drop_index('ix_task_routings_task')
    op.drop_table('task_routings')
    op.drop_table('duty_clinicians')
