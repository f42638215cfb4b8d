"""Cohort membership: invited by the educator, accepted by the member, or added by an admin.

Membership lets an educator read the member's encounters and training attempts, so an educator
cannot make it on their own (security issue 11, finding 5): their "add" is an invitation
(`cohort.invite`) that gives no access until the member accepts it (`cohort.accept`). An admin of
the organisation may add a member directly (`cohort.admin_add`). The member, the educator or an
admin may end a membership (`cohort.remove`), which ends the educator's access at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bedside.db import repos
from bedside.db.base import utcnow
from bedside.db.tables import Cohort, CohortMember, User, UserRole
from bedside.db.tables_access import CohortInvitation
from bedside.errors import NotFound, PermissionDenied
from bedside.services import audit

__all__ = [
    "MEMBER_ROLES",
    "CohortEntry",
    "Invitation",
    "Membership",
    "accept",
    "admin_add",
    "decline",
    "invite",
    "memberships_of",
    "organisation_cohorts",
    "pending_for_cohort",
    "pending_for_user",
    "remove",
]

MEMBER_ROLES = frozenset({UserRole.LEARNER, UserRole.CLINICIAN})
"""Roles that may belong to a cohort."""


@dataclass(frozen=True)
class Invitation:
    """A pending invitation as the invited member sees it."""

    id: int
    cohort_name: str
    educator_name: str


def _cohort(session: Session, actor: User, cohort_id: int) -> Cohort:
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or cohort.organisation_id != actor.organisation_id:
        raise NotFound("no such cohort")
    if actor.user_role is UserRole.ADMIN:
        return cohort
    if actor.user_role is UserRole.EDUCATOR and cohort.educator_id == actor.id:
        return cohort
    raise NotFound("no such cohort")


def _member_by_email(session: Session, actor: User, email: str) -> User:
    member = repos.organisation_user_by_email(session, email, organisation_id=actor.organisation_id)
    if member is None:
        raise NotFound(f"no account {email.strip()!r} in your organisation")
    if member.user_role not in MEMBER_ROLES:
        raise PermissionDenied("only learner and clinician accounts can join a cohort")
    return member


def invite(
    session: Session, educator: User, cohort_id: int, email: str, *, ip: str | None = None
) -> User:
    """Invite a learner or clinician to the educator's cohort; no access until they accept."""
    if educator.user_role is not UserRole.EDUCATOR:
        raise PermissionDenied("cohorts are managed by educator accounts")
    cohort = _cohort(session, educator, cohort_id)
    member = _member_by_email(session, educator, email)
    already = session.get(CohortMember, (cohort.id, member.id)) is not None or session.scalar(
        select(CohortInvitation.id).where(
            CohortInvitation.cohort_id == cohort.id,
            CohortInvitation.user_id == member.id,
            CohortInvitation.status == "pending",
        )
    )
    if not already:
        invitation = CohortInvitation(
            organisation_id=cohort.organisation_id,
            cohort_id=cohort.id,
            user_id=member.id,
            invited_by_id=educator.id,
        )
        session.add(invitation)
        session.flush()
        audit.record(
            session, educator, "cohort.invite", f"cohort:{cohort.id}", ip=ip,
            detail=f"user:{member.id} invitation:{invitation.id}",
        )
        session.commit()
    return member


def pending_for_user(session: Session, user: User) -> list[Invitation]:
    """The invitations waiting for this account's answer."""
    rows = session.execute(
        select(CohortInvitation.id, Cohort.name, User.display_name)
        .join(Cohort, Cohort.id == CohortInvitation.cohort_id)
        .join(User, User.id == Cohort.educator_id)
        .where(
            CohortInvitation.user_id == user.id,
            CohortInvitation.organisation_id == user.organisation_id,
            CohortInvitation.status == "pending",
        )
        .order_by(CohortInvitation.id)
    ).all()
    return [Invitation(id=i, cohort_name=name, educator_name=by) for i, name, by in rows]


def pending_for_cohort(session: Session, actor: User, cohort_id: int) -> Sequence[User]:
    """Accounts invited to a cohort who have not answered yet (for the educator's page)."""
    cohort = _cohort(session, actor, cohort_id)
    return session.scalars(
        select(User)
        .join(CohortInvitation, CohortInvitation.user_id == User.id)
        .where(
            CohortInvitation.cohort_id == cohort.id,
            CohortInvitation.status == "pending",
            User.organisation_id == cohort.organisation_id,
        )
        .order_by(User.display_name, User.id)
    ).all()


def _own_invitation(session: Session, user: User, invitation_id: int) -> CohortInvitation:
    invitation = session.get(CohortInvitation, invitation_id)
    if invitation is None or invitation.user_id != user.id or invitation.status != "pending":
        raise NotFound("no such invitation")
    return invitation


def _join(session: Session, cohort_id: int, user_id: int) -> None:
    if session.get(CohortMember, (cohort_id, user_id)) is None:
        session.add(CohortMember(cohort_id=cohort_id, user_id=user_id))


def accept(session: Session, user: User, invitation_id: int, *, ip: str | None = None) -> None:
    """The invited member accepts: they join, and the educator may now follow their work."""
    invitation = _own_invitation(session, user, invitation_id)
    invitation.status, invitation.decided_at = "accepted", utcnow()
    _join(session, invitation.cohort_id, user.id)
    audit.record(
        session, user, "cohort.accept", f"cohort:{invitation.cohort_id}", ip=ip,
        detail=f"invitation:{invitation.id}",
    )
    session.commit()


def decline(session: Session, user: User, invitation_id: int, *, ip: str | None = None) -> None:
    """The invited member declines; nothing is shared."""
    invitation = _own_invitation(session, user, invitation_id)
    invitation.status, invitation.decided_at = "declined", utcnow()
    audit.record(
        session, user, "cohort.decline", f"cohort:{invitation.cohort_id}", ip=ip,
        detail=f"invitation:{invitation.id}",
    )
    session.commit()


def admin_add(
    session: Session, admin: User, cohort_id: int, email: str, *, ip: str | None = None
) -> User:
    """An admin adds a member directly (the organisation's decision, audited)."""
    if admin.user_role is not UserRole.ADMIN:
        raise PermissionDenied("only an admin can add a cohort member directly")
    cohort = _cohort(session, admin, cohort_id)
    member = _member_by_email(session, admin, email)
    if session.get(CohortMember, (cohort.id, member.id)) is None:
        _join(session, cohort.id, member.id)
        audit.record(
            session, admin, "cohort.admin_add", f"cohort:{cohort.id}", ip=ip,
            detail=f"user:{member.id}",
        )
        session.commit()
    return member


def remove(
    session: Session, actor: User, cohort_id: int, user_id: int, *, ip: str | None = None
) -> None:
    """End a membership: the member themself, the cohort's educator, or an admin."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or cohort.organisation_id != actor.organisation_id:
        raise NotFound("no such cohort")
    if actor.id != user_id:
        _cohort(session, actor, cohort_id)
    membership = session.get(CohortMember, (cohort.id, user_id))
    if membership is None:
        raise NotFound("not a member of this cohort")
    session.delete(membership)
    audit.record(
        session, actor, "cohort.remove", f"cohort:{cohort.id}", ip=ip, detail=f"user:{user_id}"
    )
    session.commit()


@dataclass(frozen=True)
class Membership:
    """A cohort the account belongs to, as the member sees it."""

    cohort_id: int
    cohort_name: str
    educator_name: str


def memberships_of(session: Session, user: User) -> list[Membership]:
    """The cohorts this account belongs to (whose educator may follow their work)."""
    rows = session.execute(
        select(Cohort.id, Cohort.name, User.display_name)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .join(User, User.id == Cohort.educator_id)
        .where(CohortMember.user_id == user.id, Cohort.organisation_id == user.organisation_id)
        .order_by(Cohort.name, Cohort.id)
    ).all()
    return [Membership(cohort_id=i, cohort_name=name, educator_name=by) for i, name, by in rows]


@dataclass(frozen=True)
class CohortEntry:
    """A cohort as the admins' access page shows it: who teaches it, who is in it."""

    cohort: Cohort
    members: Sequence[User]
    pending: Sequence[User]


def organisation_cohorts(session: Session, admin: User) -> list[CohortEntry]:
    """Every cohort of the admin's organisation with its members and open invitations."""
    if admin.user_role is not UserRole.ADMIN:
        raise PermissionDenied("only an admin sees every cohort")
    cohorts = session.scalars(
        select(Cohort).where(Cohort.organisation_id == admin.organisation_id).order_by(Cohort.name)
    ).all()
    return [
        CohortEntry(
            cohort=cohort,
            members=repos.members_of_cohort(session, cohort.id, organisation_id=admin.organisation_id),
            pending=pending_for_cohort(session, admin, cohort.id),
        )
        for cohort in cohorts
    ]
