"""Who is on a patient's care team: the one question both access and safety routing ask.

Access (who may read a patient's record) and safety routing (who gets an urgent task) must agree
on the answer, so it lives here once. Only active clinician accounts of the patient's own
organisation count: a disabled clinician is on no one's team. A patient's team holds one row
per clinician in `care_assignments`, added only by an admin or a clinician already on the team
(`bedside.services.grants`, with the patient's consent) and deleted when revoked.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bedside.db.tables import User, UserRole
from bedside.db.tables_care import CareAssignment

__all__ = ["care_team"]


def care_team(session: Session, patient: User) -> list[User]:
    """The active clinicians responsible for this patient, oldest relationship first."""
    rows = session.scalars(
        select(User)
        .join(CareAssignment, CareAssignment.clinician_id == User.id)
        .where(
            CareAssignment.patient_id == patient.id,
            User.organisation_id == patient.organisation_id,
            User.role == UserRole.CLINICIAN.value,
            User.is_active.is_(True),
        )
        .order_by(CareAssignment.created_at, User.id)
    )
    return list(rows)
