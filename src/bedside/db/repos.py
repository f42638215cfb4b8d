"""Queries over the web tables. Repository functions read and add; they never commit.

The service that calls them owns the transaction (one unit of work per use case), so that an
audit event and the change it records are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from bedside.db.tables import (
    ApiToken,
    AuditEvent,
    Cohort,
    CohortMember,
    Encounter,
    EncounterShare,
    Organisation,
    User,
    WebSession,
)

__all__ = [
    "audit_events",
    "cohort_member_ids",
    "cohorts_of_educator",
    "count",
    "encounters_visible_query",
    "find_api_token",
    "find_web_session",
    "get_user",
    "get_user_by_email",
    "members_of_cohort",
    "organisation_users",
    "page",
    "shared_user_ids",
    "user_tokens",
]


def get_user(session: Session, user_id: int) -> User | None:
    """The account with this id, or None."""
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    """The account with this e-mail (compared case-insensitively), or None."""
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def organisation_users(session: Session, organisation_id: int) -> Sequence[User]:
    """Every account of an organisation, by e-mail."""
    return session.scalars(
        select(User).where(User.organisation_id == organisation_id).order_by(User.email)
    ).all()


def first_organisation(session: Session) -> Organisation | None:
    """The oldest organisation (the one `bedside admin create` puts the first admin in)."""
    return session.scalar(select(Organisation).order_by(Organisation.id).limit(1))


def find_web_session(session: Session, token_hash: str, now: datetime) -> WebSession | None:
    """The unexpired browser session with this token hash."""
    return session.scalar(
        select(WebSession).where(WebSession.token_hash == token_hash, WebSession.expires_at > now)
    )


def find_api_token(session: Session, token_hash: str) -> ApiToken | None:
    """The unrevoked API token with this hash."""
    return session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    )


def user_tokens(session: Session, user_id: int) -> Sequence[ApiToken]:
    """A user's API tokens, newest first (revoked ones included, for the record)."""
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    ).all()


def cohorts_of_educator(session: Session, educator_id: int) -> Sequence[Cohort]:
    """The cohorts an educator follows."""
    return session.scalars(
        select(Cohort).where(Cohort.educator_id == educator_id).order_by(Cohort.name)
    ).all()


def members_of_cohort(session: Session, cohort_id: int) -> Sequence[User]:
    """The accounts in a cohort."""
    return session.scalars(
        select(User)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort_id)
        .order_by(User.display_name)
    ).all()


def cohort_member_ids(session: Session, educator_id: int) -> set[int]:
    """Ids of every account in any cohort the educator follows."""
    rows = session.scalars(
        select(CohortMember.user_id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(Cohort.educator_id == educator_id)
    )
    return set(rows)


def shared_user_ids(session: Session, encounter_id: int) -> set[int]:
    """Accounts an encounter has been shared with."""
    return set(
        session.scalars(
            select(EncounterShare.user_id).where(EncounterShare.encounter_id == encounter_id)
        )
    )


def encounters_visible_query(
    *,
    owner_ids: Sequence[int] = (),
    shared_with: int | None = None,
    patient_id: int | None = None,
) -> Select[Encounter]:
    """Encounters owned by any of `owner_ids`, shared with `shared_with`, or about `patient_id`.

    The service decides which of these apply to the caller; an empty selection matches nothing.
    """
    clauses: list[ColumnElement[bool]] = []
    if owner_ids:
        clauses.append(Encounter.owner_id.in_(list(owner_ids)))
    if shared_with is not None:
        shared = select(EncounterShare.encounter_id).where(EncounterShare.user_id == shared_with)
        clauses.append(Encounter.id.in_(shared))
    if patient_id is not None:
        clauses.append(Encounter.patient_id == patient_id)
    query = select(Encounter)
    if not clauses:
        return query.where(Encounter.id.is_(None))
    return query.where(or_(*clauses))


def page(
    session: Session, query: Select[Encounter], *, offset: int, limit: int
) -> Sequence[Encounter]:
    """One page of encounters, newest first."""
    return session.scalars(
        query.order_by(Encounter.created_at.desc(), Encounter.id.desc()).offset(offset).limit(limit)
    ).all()


def count(session: Session, query: Select[Encounter]) -> int:
    """How many rows a query selects."""
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def audit_events(
    session: Session,
    *,
    offset: int = 0,
    limit: int | None = 100,
    action: str | None = None,
    actor_id: int | None = None,
) -> Sequence[AuditEvent]:
    """One organisation's audit events, newest first, optionally filtered by action or actor.

    `organisation_id` is required: an admin's view and export are scoped to their own tenant
    (issue 11: an admin of one organisation downloaded another's trail). None selects the
    events that belong to no organisation (failed sign-ins for unknown accounts).
    """
    order = AuditEvent.id.asc() if oldest_first else AuditEvent.id.desc()
    query = select(AuditEvent).where(
        AuditEvent.organisation_id.is_(None)
        if organisation_id is None
        else AuditEvent.organisation_id == organisation_id
    ).order_by(order)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()
    organisation_id: int | None,
    oldest_first: bool = False,
