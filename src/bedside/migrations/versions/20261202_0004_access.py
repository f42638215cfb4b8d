"""Care relationships, consent, cohort invitations, break-glass access (security issue 11, finding 5).

A patient's care team becomes one row per clinician (`care_assignments` keyed by patient and
clinician, with who granted it); `care_consents` records the patient's consent to each clinician;
`cohort_invitations` holds an educator's invitation until the member accepts it; and
`break_glass_access` the time-limited emergency openings admins review.

Existing cohort memberships were added by educators on their own, which is the self-granting the
issue reports: they become pending invitations that each member accepts or declines. Existing
care assignments are kept (a patient must not lose the clinician who gets their urgent tasks)
with no grantor, which marks them for review on the admins' access page.

Revision ID: 0004_access
Revises: 0003_training
Create Date: 2026-12-02 02:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_access'
down_revision: str | Sequence[str] | None = '0003_training'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('care_assignments', schema=None, recreate='always') as batch_op:
        batch_op.add_column(sa.Column('granted_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_care_assignments_granted_by_id_users'), 'users', ['granted_by_id'], ['id']
        )
        batch_op.drop_constraint('pk_care_assignments', type_='primary')
        batch_op.create_primary_key('pk_care_assignments', ['patient_id', 'clinician_id'])

    op.create_table('care_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('clinician_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['clinician_id'], ['users.id'], name=op.f('fk_care_consents_clinician_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_care_consents_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_care_consents_patient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_care_consents_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_consents'))
    )
    with op.batch_alter_table('care_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_consents_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_care_consents_patient_clinician', ['patient_id', 'clinician_id'], unique=False)

    op.create_table('cohort_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_invitations_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_cohort_invitations_invited_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_cohort_invitations_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cohort_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_invitations'))
    )
    with op.batch_alter_table('cohort_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohort_invitations_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cohort_invitations_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_cohort_invitations_user_status', ['user_id', 'status'], unique=False)

    op.create_table('break_glass_access',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('clinician_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['clinician_id'], ['users.id'], name=op.f('fk_break_glass_access_clinician_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_break_glass_access_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_break_glass_access_patient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_break_glass_access_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_break_glass_access'))
    )
    with op.batch_alter_table('break_glass_access', schema=None) as batch_op:
        batch_op.create_index('ix_break_glass_access_clinician_expires', ['clinician_id', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_break_glass_access_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_break_glass_access_patient_id'), ['patient_id'], unique=False)

    # Self-granted cohort memberships become invitations the member must accept.
    op.execute(
        "INSERT INTO cohort_invitations (organisation_id, cohort_id, user_id, invited_by_id, status, created_at) "
        "SELECT c.organisation_id, m.cohort_id, m.user_id, c.educator_id, 'pending', CURRENT_TIMESTAMP "
        "FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id"
    )
    op.execute("DELETE FROM cohort_members")


def downgrade() -> None:
    # Pending and accepted invitations go back to being memberships (the old model had no other).
    op.execute(
        "INSERT INTO cohort_members (cohort_id, user_id) "
        "SELECT DISTINCT i.cohort_id, i.user_id FROM cohort_invitations i "
        "WHERE i.status = 'pending' AND NOT EXISTS (SELECT 1 FROM cohort_members m "
        "WHERE m.cohort_id = i.cohort_id AND m.user_id = i.user_id)"
    )
    with op.batch_alter_table('break_glass_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_break_glass_access_patient_id'))
        batch_op.drop_index(batch_op.f('ix_break_glass_access_organisation_id'))
        batch_op.drop_index('ix_break_glass_access_clinician_expires')
    op.drop_table('break_glass_access')
    with op.batch_alter_table('cohort_invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_cohort_invitations_user_status')
        batch_op.drop_index(batch_op.f('ix_cohort_invitations_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_cohort_invitations_cohort_id'))
    op.drop_table('cohort_invitations')
    with op.batch_alter_table('care_consents', schema=None) as batch_op:
        batch_op.drop_index('ix_care_consents_patient_clinician')
        batch_op.drop_index(batch_op.f('ix_care_consents_organisation_id'))
    op.drop_table('care_consents')
    # One clinician per patient again: keep the oldest relationship of each patient.
    op.execute(
        "DELETE FROM care_assignments WHERE EXISTS (SELECT 1 FROM care_assignments older "
        "WHERE older.patient_id = care_assignments.patient_id "
        "AND (older.created_at < care_assignments.created_at OR (older.created_at = "
        "care_assignments.created_at AND older.clinician_id < care_assignments.clinician_id)))"
    )
    with op.batch_alter_table('care_assignments', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_care_assignments', type_='primary')
        batch_op.create_primary_key('pk_care_assignments', ['patient_id'])
        batch_op.drop_constraint(batch_op.f('fk_care_assignments_granted_by_id_users'), type_='foreignkey')
        batch_op.drop_column('granted_by_id')
