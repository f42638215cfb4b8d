"""Who may see and do what: role gates plus object-level rules, in one place.

* clinician, learner: their own encounters and those shared with them;
* educator: their own, those shared with them, and those of members of the cohorts they follow;
* patient: encounters recorded about them (`patient_id`), nothing else;
* researcher: de-identified aggregates only, never an encounter or a transcript;
* admin: accounts and the audit trail, not clinical content (least privilege).

A clinician opens a patient's record (`/care/patients/...`) only while on that patient's care
team (`bedside.services.grants`: granted by an admin or a team clinician, never by themselves) or
during an unexpired break-glass access (`bedside.services.break_glass`), or while safety routing
has given them the patient's open task (`bedside.services.safety_routing`; with no care team and
no duty clinician that is every active clinician, until the task is done). Otherwise unassigned
patients are visible to no clinician. Educators see a member's work only after the member accepted the
invitation (`bedside.services.cohort_membership`). Every rule is scoped by organisation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import Session

from bedside.db import repos
from bedside.db.base import utcnow
from bedside.db.tables import Encounter, User, UserRole
from bedside.db.tables_access import BreakGlassAccess
from bedside.db.tables_care import CareAssignment, CareTask
from bedside.services.safety_routing import task_visible_to

__all__ = [
    "AGGREGATE_ROLES",
    "TREND_ROLES",
    "UPLOAD_ROLES",
    "UserRole",
    "can_open_patient",
    "can_see_trends_of",
    "can_share",
    "can_view",
    "patients_in_care_of",
    "through_break_glass",
    "visible_encounters",
]

UPLOAD_ROLES = frozenset({UserRole.CLINICIAN, UserRole.LEARNER, UserRole.EDUCATOR})
TREND_ROLES = frozenset({UserRole.CLINICIAN, UserRole.LEARNER, UserRole.EDUCATOR})
AGGREGATE_ROLES = frozenset({UserRole.RESEARCHER, UserRole.ADMIN})


def visible_encounters(session: Session, user: User) -> Select[Encounter]:
    """The query of every encounter this account may open (in its own organisation)."""
    role = user.user_role
    org = user.organisation_id
    if role in (UserRole.CLINICIAN, UserRole.LEARNER):
        return repos.encounters_visible_query(
            organisation_id=org, owner_ids=[user.id], shared_with=user.id
        )
    if role is UserRole.EDUCATOR:
        owners = {user.id} | repos.cohort_member_ids(session, user)
        return repos.encounters_visible_query(
            organisation_id=org, owner_ids=sorted(owners), shared_with=user.id
        )
    if role is UserRole.PATIENT:
        return repos.encounters_visible_query(organisation_id=org, patient_id=user.id)
    return repos.encounters_visible_query(organisation_id=org)


def can_view(session: Session, user: User, encounter: Encounter) -> bool:
    """True when this account may open this encounter (same rules as `visible_encounters`)."""
    if encounter.organisation_id != user.organisation_id:
        return False
    role = user.user_role
    if role in (UserRole.CLINICIAN, UserRole.LEARNER, UserRole.EDUCATOR):
        if encounter.owner_id == user.id:
            return True
        if user.id in repos.shared_user_ids(
            session, encounter.id, organisation_id=user.organisation_id
        ):
            return True
        if role is UserRole.EDUCATOR:
            return encounter.owner_id in repos.cohort_member_ids(session, user)
        return False
    if role is UserRole.PATIENT:
        return encounter.patient_id == user.id
    return False


def can_share(user: User, encounter: Encounter) -> bool:
    """Only the owner shares an encounter."""
    return encounter.owner_id == user.id


def can_see_trends_of(session: Session, viewer: User, subject: User) -> bool:
    """Own trends for clinicians, learners and educators; an educator also their cohorts'."""
    if viewer.user_role not in TREND_ROLES or subject.organisation_id != viewer.organisation_id:
        return False
    if viewer.id == subject.id:
        return True
    return viewer.user_role is UserRole.EDUCATOR and subject.id in repos.cohort_member_ids(
        session, viewer
    )


def patients_in_care_of(clinician: User, *, now: datetime | None = None) -> ColumnElement[bool]:
    """SQL filter on `User`: the patients this clinician may open now.

    Patients of the clinician's organisation whose care team they are on, whose open task safety
    routing shows them, or for whom they hold an unexpired break-glass access; nothing for a
    disabled or non-clinician account.
    """
    if clinician.user_role is not UserRole.CLINICIAN or not clinician.is_active:
        return false()
    on_team = select(CareAssignment.patient_id).where(CareAssignment.clinician_id == clinician.id)
    # Safety routing gave them the patient's open task (no team, or the team is away): they
    # must be able to act on it, until the task is done.
    # A task for the whole team (no care team, no duty clinician) or one whose assignee has been
    # disabled reaches every active clinician: `safety_routing.task_visible_to` says which.
    routed = select(CareTask.patient_id).where(
        CareTask.status == "open", task_visible_to(clinician)
    )
    emergency = select(BreakGlassAccess.patient_id).where(
        BreakGlassAccess.clinician_id == clinician.id,
        BreakGlassAccess.organisation_id == clinician.organisation_id,
        BreakGlassAccess.expires_at > (now or utcnow()),
        BreakGlassAccess.ended_at.is_(None),
    )
    return and_(
        User.organisation_id == clinician.organisation_id,
        User.role == UserRole.PATIENT.value,
        or_(User.id.in_(on_team), User.id.in_(routed), User.id.in_(emergency)),
    )


def can_open_patient(
    session: Session, clinician: User, patient: User, *, now: datetime | None = None
) -> bool:
    """True when this clinician may open this patient's record now (same rule as the filter)."""
    found = session.scalar(
        select(User.id).where(User.id == patient.id, patients_in_care_of(clinician, now=now))
    )
    return found is not None


def through_break_glass(
    session: Session, clinician: User, patient: User, *, now: datetime | None = None
) -> bool:
    """True when this clinician may open this patient only by break-glass (reads are audited
    with their own action, `access.break_glass_view`, for the admins' review)."""
    if not can_open_patient(session, clinician, patient, now=now):
        return False
    without = and_(
        User.organisation_id == clinician.organisation_id,
        or_(
            User.id.in_(
                select(CareAssignment.patient_id).where(CareAssignment.clinician_id == clinician.id)
            ),
            User.id.in_(
                select(CareTask.patient_id).where(
                    CareTask.status == "open", task_visible_to(clinician)
                )
            ),
        ),
    )
    return session.scalar(select(User.id).where(User.id == patient.id, without)) is None
