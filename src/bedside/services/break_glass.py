"""Break-glass: a clinician opens a record outside their care team in an emergency.

Allowed only with a written justification, for `DURATION` (4 hours) and then never again without
a new request; every opening is audited as `access.break_glass` (a distinct action admins can
filter on), listed for the admins' review, and ends by itself: `bedside.services.access` only
honours rows whose `expires_at` is in the future.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bedside.db import repos
from bedside.db.base import utcnow
from bedside.db.tables import User, UserRole
from bedside.db.tables_access import BreakGlassAccess
from bedside.errors import NotFound, PermissionDenied
from bedside.services import audit

__all__ = [
    "DURATION",
    "MIN_JUSTIFICATION",
    "end",
    "for_review",
    "mark_reviewed",
    "open_access",
]

DURATION = timedelta(hours=4)
MIN_JUSTIFICATION = 20
MAX_JUSTIFICATION = 2000


def open_access(
    session: Session,
    clinician: User,
    justification: str,
    *,
    patient_email: str = "",
    patient_id: int | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> BreakGlassAccess:
    """Open a patient's record for `DURATION`, with a justification of at least 20 characters.

    The patient is named by e-mail, or by id (from a whole-team urgent task on the care page,
    whose patient has no care team the clinician is on).

    Raises:
        PermissionDenied: not an active clinician, or the justification is too short or long.
        NotFound: no such patient in the clinician's organisation.
    """
    if clinician.user_role is not UserRole.CLINICIAN or not clinician.is_active:
        raise PermissionDenied("break-glass access is for active clinician accounts")
    reason = " ".join(justification.split())
    if len(reason) < MIN_JUSTIFICATION:
        raise PermissionDenied(
            f"write why you need this record now (at least {MIN_JUSTIFICATION} characters); "
            "admins review every break-glass access"
        )
    if len(reason) > MAX_JUSTIFICATION:
        raise PermissionDenied(f"the justification is limited to {MAX_JUSTIFICATION} characters")
    org = clinician.organisation_id
    patient = (
        repos.organisation_user(session, patient_id, organisation_id=org)
        if patient_id is not None
        else repos.organisation_user_by_email(session, patient_email, organisation_id=org)
    )
    if patient is None or patient.user_role is not UserRole.PATIENT:
        raise NotFound("no such patient account in your organisation")
    opened = now or utcnow()
    grant = BreakGlassAccess(
        organisation_id=clinician.organisation_id,
        clinician_id=clinician.id,
        patient_id=patient.id,
        justification=reason,
        opened_at=opened,
        expires_at=opened + DURATION,
    )
    session.add(grant)
    session.flush()
    audit.record(
        session, clinician, "access.break_glass", f"user:{patient.id}", ip=ip,
        detail=f"break_glass:{grant.id} hours={DURATION.total_seconds() / 3600:g}",
    )
    session.commit()
    return grant


def end(session: Session, clinician: User, grant_id: int, *, ip: str | None = None) -> None:
    """The clinician closes their own break-glass access before it expires."""
    grant = session.get(BreakGlassAccess, grant_id)
    if grant is None or grant.clinician_id != clinician.id:
        raise NotFound("no such break-glass access")
    if grant.ended_at is None:
        grant.ended_at = utcnow()
        audit.record(
            session, clinician, "access.break_glass_end", f"user:{grant.patient_id}", ip=ip,
            detail=f"break_glass:{grant.id}",
        )
        session.commit()


def for_review(session: Session, admin: User, *, limit: int = 200) -> Sequence[BreakGlassAccess]:
    """The organisation's break-glass openings, unreviewed first, newest first."""
    if admin.user_role is not UserRole.ADMIN:
        raise PermissionDenied("only an admin reviews break-glass access")
    return session.scalars(
        select(BreakGlassAccess)
        .where(BreakGlassAccess.organisation_id == admin.organisation_id)
        .order_by(BreakGlassAccess.reviewed_at.is_not(None), BreakGlassAccess.id.desc())
        .limit(limit)
    ).all()


def mark_reviewed(session: Session, admin: User, grant_id: int, *, ip: str | None = None) -> None:
    """An admin records that they reviewed one break-glass access."""
    if admin.user_role is not UserRole.ADMIN:
        raise PermissionDenied("only an admin reviews break-glass access")
    grant = session.get(BreakGlassAccess, grant_id)
    if grant is None or grant.organisation_id != admin.organisation_id:
        raise NotFound("no such break-glass access")
    if grant.reviewed_at is None:
        grant.reviewed_by_id, grant.reviewed_at = admin.id, utcnow()
        audit.record(
            session, admin, "access.break_glass_review", f"break_glass:{grant.id}", ip=ip
        )
        session.commit()
