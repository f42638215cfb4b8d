"""Queries over the web tables, scoped by organisation. Repository functions read; they never commit.

Tenant isolation is a property of this layer (security issue 11, finding 5): every function
takes the caller's `organisation_id`, or derives it from the caller's `User`, and filters by it,
so a forged id from another organisation finds nothing. The only exceptions are the
`IDENTITY_LOOKUPS`, which turn a credential (a session cookie, a bearer token, an e-mail at
sign-in) into the account whose organisation then scopes everything else.
`tests/services/test_tenant_isolation.py` walks every public function here with two
organisations' data and fails on any row that crosses.

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
    "IDENTITY_LOOKUPS",
    "audit_events",
    "cohort_member_ids",
    "cohorts_of_educator",
    "count",
    "encounters_visible_query",
    "find_api_token",
    "find_web_session",
    "first_organisation",
    "get_user",
    "get_user_by_email",
    "members_of_cohort",
    "organisation_user",
    "organisation_user_by_email",
    "organisation_users",
    "page",
    "shared_user_ids",
    "user_tokens",
]

IDENTITY_LOOKUPS = frozenset(
    {"find_api_token", "find_web_session", "first_organisation", "get_user", "get_user_by_email"}
)
"""Lookups that run before the caller's organisation is known: they resolve a credential (or,
for `bedside admin create`, the first organisation) and key on a unique value only. Services use
`organisation_user` and `organisation_user_by_email` for everything after sign-in."""


# ----- identity: credential -> account (before any organisation is known) ----------------------


def get_user(session: Session, user_id: int) -> User | None:
    """The account behind a session or token row (identity lookup; see `organisation_user`)."""
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    """The account signing in with this e-mail (compared case-insensitively; e-mails are unique)."""
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


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


# ----- accounts of one organisation ----------------------------------------------------------


def organisation_user(session: Session, user_id: int, *, organisation_id: int) -> User | None:
    """The account with this id in this organisation, or None (also for another tenant's id)."""
    return session.scalar(
        select(User).where(User.id == user_id, User.organisation_id == organisation_id)
    )


def organisation_user_by_email(
    session: Session, email: str, *, organisation_id: int
) -> User | None:
    """The account with this e-mail in this organisation, or None."""
    return session.scalar(
        select(User).where(
            func.lower(User.email) == email.strip().lower(),
            User.organisation_id == organisation_id,
        )
    )


def organisation_users(session: Session, organisation_id: int) -> Sequence[User]:
    """Every account of an organisation, by e-mail."""
    return session.scalars(
        select(User).where(User.organisation_id == organisation_id).order_by(User.email)
    ).all()


def user_tokens(session: Session, user: User) -> Sequence[ApiToken]:
    """A user's API tokens, newest first (revoked ones included, for the record)."""
    return session.scalars(
        select(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.user_id == user.id, User.organisation_id == user.organisation_id)
        .order_by(ApiToken.id.desc())
    ).all()


# ----- cohorts -------------------------------------------------------------------------------


def cohorts_of_educator(session: Session, educator: User) -> Sequence[Cohort]:
    """The cohorts an educator follows (in their own organisation)."""
    return session.scalars(
        select(Cohort)
        .where(Cohort.educator_id == educator.id, Cohort.organisation_id == educator.organisation_id)
        .order_by(Cohort.name)
    ).all()


def members_of_cohort(session: Session, cohort_id: int, *, organisation_id: int) -> Sequence[User]:
    """The accounts in a cohort of this organisation (accepted members only)."""
    return session.scalars(
        select(User)
        .join(CohortMember, CohortMember.user_id == User.id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(
            CohortMember.cohort_id == cohort_id,
            Cohort.organisation_id == organisation_id,
            User.organisation_id == organisation_id,
        )
        .order_by(User.display_name)
    ).all()


def cohort_member_ids(session: Session, educator: User) -> set[int]:
    """Ids of every accepted member of any cohort the educator follows, in their organisation."""
    rows = session.scalars(
        select(CohortMember.user_id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .join(User, User.id == CohortMember.user_id)
        .where(
            Cohort.educator_id == educator.id,
            Cohort.organisation_id == educator.organisation_id,
            User.organisation_id == educator.organisation_id,
        )
    )
    return set(rows)


# ----- encounters ----------------------------------------------------------------------------


def shared_user_ids(session: Session, encounter_id: int, *, organisation_id: int) -> set[int]:
    """Accounts an encounter of this organisation has been shared with."""
    return set(
        session.scalars(
            select(EncounterShare.user_id)
            .join(Encounter, Encounter.id == EncounterShare.encounter_id)
            .join(User, User.id == EncounterShare.user_id)
            .where(
                EncounterShare.encounter_id == encounter_id,
                Encounter.organisation_id == organisation_id,
                User.organisation_id == organisation_id,
            )
        )
    )


def encounters_visible_query(
    *,
    organisation_id: int,
    owner_ids: Sequence[int] = (),
    shared_with: int | None = None,
    patient_id: int | None = None,
) -> Select[Encounter]:
    """Encounters of this organisation owned by any of `owner_ids`, shared with `shared_with`,
    or about `patient_id`.

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
    query = select(Encounter).where(Encounter.organisation_id == organisation_id)
    if not clauses:
        return query.where(Encounter.id.is_(None))
    return query.where(or_(*clauses))


def page(
    session: Session,
    query: Select[Encounter],
    *,
    organisation_id: int,
    offset: int,
    limit: int,
) -> Sequence[Encounter]:
    """One page of a query's encounters of this organisation, newest first."""
    return session.scalars(
        query.where(Encounter.organisation_id == organisation_id)
        .order_by(Encounter.created_at.desc(), Encounter.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()


def count(session: Session, query: Select[Encounter], *, organisation_id: int) -> int:
    """How many encounters of this organisation a query selects."""
    scoped = query.where(Encounter.organisation_id == organisation_id)
    return int(session.scalar(select(func.count()).select_from(scoped.subquery())) or 0)


def audit_events(
    session: Session,
    *,
    organisation_id: int | None,
    offset: int = 0,
    limit: int | None = 100,
    action: str | None = None,
    actor_id: int | None = None,
    oldest_first: bool = False,
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
