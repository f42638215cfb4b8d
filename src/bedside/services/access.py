"""Who may see and do what: role gates plus object-level rules, in one place.

* clinician, learner: their own encounters and those shared with them;
* educator: their own, those shared with them, and those of members of the cohorts they follow;
* patient: encounters recorded about them (`patient_id`), nothing else;
* researcher: de-identified aggregates only, never an encounter or a transcript;
* admin: accounts and the audit trail, not clinical content (least privilege).
"""

from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy.orm import Session

from bedside.db import repos
from bedside.db.tables import Encounter, User, UserRole

__all__ = [
    "AGGREGATE_ROLES",
    "TREND_ROLES",
    "UPLOAD_ROLES",
    "UserRole",
    "can_see_trends_of",
    "can_share",
    "can_view",
    "visible_encounters",
]

UPLOAD_ROLES = frozenset({UserRole.CLINICIAN, UserRole.LEARNER, UserRole.EDUCATOR})
TREND_ROLES = frozenset({UserRole.CLINICIAN, UserRole.LEARNER, UserRole.EDUCATOR})
AGGREGATE_ROLES = frozenset({UserRole.RESEARCHER, UserRole.ADMIN})


def visible_encounters(session: Session, user: User) -> Select[Encounter]:
    """The query of every encounter this account may open."""
    role = user.user_role
    if role in (UserRole.CLINICIAN, UserRole.LEARNER):
        return repos.encounters_visible_query(owner_ids=[user.id], shared_with=user.id)
    if role is UserRole.EDUCATOR:
        owners = {user.id} | repos.cohort_member_ids(session, user.id)
        return repos.encounters_visible_query(owner_ids=sorted(owners), shared_with=user.id)
    if role is UserRole.PATIENT:
        return repos.encounters_visible_query(patient_id=user.id)
    return repos.encounters_visible_query()


def can_view(session: Session, user: User, encounter: Encounter) -> bool:
    """True when this account may open this encounter (same rules as `visible_encounters`)."""
    if encounter.organisation_id != user.organisation_id:
        return False
    role = user.user_role
    if role in (UserRole.CLINICIAN, UserRole.LEARNER, UserRole.EDUCATOR):
        if encounter.owner_id == user.id:
            return True
        if user.id in repos.shared_user_ids(session, encounter.id):
            return True
        if role is UserRole.EDUCATOR:
            return encounter.owner_id in repos.cohort_member_ids(session, user.id)
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
        session, viewer.id
    )
