"""Tenant isolation as a property of the data layer (issue 11, finding 5 and item 3).

Two organisations, A and B, hold the same kinds of records. Every public function of
`bedside.db.repos` (found by introspection: a new function without a case here fails
`test_every_repository_function_has_a_case`) and every service query that lists records is
called as organisation A, once on A's own ids (it must find something, so the case is real) and
once on B's ids or with a forged actor that claims A's organisation with a B id (it must find
nothing of B). Any returned row that belongs to B fails the test.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Select, select

from bedside.db import repos
from bedside.db.base import utcnow
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
from bedside.db.tables_access import BreakGlassAccess, CohortInvitation
from bedside.db.tables_care import CareAssignment, CareTask, CheckIn, SafetyFlag
from bedside.db.tables_training import TrainingAttempt
from bedside.errors import NotFound
from bedside.services import (
    audit,
    break_glass,
    checkins,
    cohort_membership,
    encounters,
    grants,
    training,
)

ROLES = ("admin", "educator", "clinician", "learner", "patient")


@dataclass
class Tenant:
    """One organisation's accounts and the ids of its records."""

    organisation_id: int
    users: dict[str, User] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def _build(session: Any, name: str, password_hash: str) -> Tenant:
    organisation = Organisation(name=f"Clinic {name}")
    session.add(organisation)
    session.flush()
    tenant = Tenant(organisation.id)
    for role in ROLES:
        user = User(
            organisation_id=organisation.id, email=f"{role}@{name}.example",
            display_name=f"{role.title()} {name}", role=role, password_hash=password_hash,
        )
        session.add(user)
        tenant.users[role] = user
    session.flush()
    u = tenant.users
    cohort = Cohort(organisation_id=organisation.id, name=f"Cohort {name}", educator_id=u["educator"].id)
    session.add(cohort)
    session.flush()
    session.add(CohortMember(cohort_id=cohort.id, user_id=u["clinician"].id))
    session.add(CohortInvitation(organisation_id=organisation.id, cohort_id=cohort.id,
                                 user_id=u["learner"].id, invited_by_id=u["educator"].id))
    encounter = Encounter(
        organisation_id=organisation.id, owner_id=u["clinician"].id, patient_id=u["patient"].id,
        title=f"visit {name}", source_name="visit.txt", turn_count=1,
        conversation={}, analysis={}, report={},
    )
    session.add(encounter)
    session.flush()
    session.add(EncounterShare(encounter_id=encounter.id, user_id=u["learner"].id))
    session.add(CareAssignment(patient_id=u["patient"].id, clinician_id=u["clinician"].id,
                               granted_by_id=u["admin"].id))
    checkin = CheckIn(organisation_id=organisation.id, patient_id=u["patient"].id,
                      instrument="phq9", version=1, answers={"answers": [1] * 8 + [2]}, total=10,
                      safety="self_harm_risk")
    flag = SafetyFlag(organisation_id=organisation.id, patient_id=u["patient"].id,
                      kind="self_harm_risk", source="checkin", detail={})
    session.add_all([checkin, flag])
    session.flush()
    task = CareTask(organisation_id=organisation.id, patient_id=u["patient"].id,
                    assignee_id=u["clinician"].id, flag_id=flag.id, priority="urgent",
                    title="URGENT: contact the patient today")
    attempt = TrainingAttempt(organisation_id=organisation.id, user_id=u["learner"].id,
                              scenario_id="grief", scenario_version=1, state={})
    token = ApiToken(user_id=u["clinician"].id, name="ci", token_hash=f"token-{name}".ljust(64, "0"),
                     prefix="bsd_")
    web = WebSession(token_hash=f"session-{name}".ljust(64, "0"), user_id=u["clinician"].id,
                     expires_at=utcnow() + timedelta(hours=1))
    glass = BreakGlassAccess(organisation_id=organisation.id, clinician_id=u["clinician"].id,
                             patient_id=u["patient"].id, justification="tested emergency access",
                             expires_at=utcnow() + timedelta(hours=1))
    session.add_all([task, attempt, token, web, glass])
    session.flush()
    audit.record(session, u["admin"], "test.event", f"user:{u['patient'].id}")
    tenant.ids = {"cohort": cohort.id, "encounter": encounter.id, "checkin": checkin.id,
                  "flag": flag.id, "task": task.id, "attempt": attempt.id}
    tenant.secrets = {"token": token.token_hash, "session": web.token_hash}
    return tenant


@pytest.fixture
def tenants(database, password_hash):
    """Organisations A and B with the same kinds of records; yields (session, A, B)."""
    with database.sessions() as session:
        a = _build(session, "a", password_hash)
        b = _build(session, "b", password_hash)
        session.commit()
        yield session, a, b


def forged(user: User, organisation_id: int) -> User:
    """An actor that claims `organisation_id` with another tenant's account id (never stored)."""
    return User(id=user.id, organisation_id=organisation_id, email=user.email,
                display_name=user.display_name, role=user.role, password_hash="", is_active=True)


# ----- which organisation a returned row belongs to --------------------------------------------


def _rows(result: Any) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, Select):
        raise TypeError("execute the query in the case")
    if hasattr(result, "__table__") or not isinstance(result, Iterable):
        return [result]
    return list(result)


def _organisation_of(session: Any, row: Any) -> int:
    if isinstance(row, int):
        return session.get(User, row).organisation_id
    if isinstance(row, Organisation):
        return row.id
    for attribute in ("user", "patient", "cohort"):  # service dataclasses wrapping a record
        inner = getattr(row, attribute, None)
        if inner is not None and hasattr(inner, "__table__"):
            return _organisation_of(session, inner)
    if isinstance(row, cohort_membership.Invitation):
        return session.get(CohortInvitation, row.id).organisation_id
    if isinstance(row, (ApiToken, WebSession, CohortMember)):
        return session.get(User, row.user_id).organisation_id
    organisation_id = getattr(row, "organisation_id", None)
    if organisation_id is None:
        raise AssertionError(f"cannot tell the organisation of {row!r}")
    return int(organisation_id)


def _only_a(session: Any, result: Any, a: Tenant, *, name: str) -> list[Any]:
    rows = _rows(result)
    crossing = [row for row in rows if _organisation_of(session, row) != a.organisation_id]
    assert not crossing, f"{name}: rows of another organisation: {crossing}"
    return rows


# ----- every public function of bedside.db.repos -------------------------------------------------

Call = Callable[[Any, Tenant, Tenant], Any]


def _scalars(session: Any, query: Select[Any]) -> list[Any]:
    return list(session.scalars(query))


def _counted(session: Any, a: Tenant, b: Tenant, *, query_organisation: int) -> list[Any]:
    """`count` returns a number, not rows: turn it into rows, A's encounter first, then B's.

    The query asks for both clinicians' encounters; counted in A's scope it must be 1 (A's
    encounter only); a count of 2 would bring B's encounter into the list and fail the test.
    """
    query = repos.encounters_visible_query(
        organisation_id=query_organisation, owner_ids=[a.clinician.id, b.clinician.id]
    )
    found = repos.count(session, query, organisation_id=a.organisation_id)
    candidates = [session.get(Encounter, a.ids["encounter"]), session.get(Encounter, b.ids["encounter"])]
    return candidates[:found] if query_organisation == a.organisation_id else candidates[1 : 1 + found]


REPOSITORY_CASES: dict[str, tuple[Call, Call | None]] = {
    # identity lookups: keyed on a credential; A's credential finds A's row, and only that
    "get_user": (lambda s, a, b: repos.get_user(s, a.clinician.id), None),
    "get_user_by_email": (lambda s, a, b: repos.get_user_by_email(s, a.clinician.email), None),
    "first_organisation": (lambda s, a, b: s.get(Organisation, repos.first_organisation(s).id), None),
    "find_web_session": (lambda s, a, b: repos.find_web_session(s, a.secrets["session"], utcnow()), None),
    "find_api_token": (lambda s, a, b: repos.find_api_token(s, a.secrets["token"]), None),
    # scoped: A's scope with A's ids finds A's rows; with B's ids (or a forged actor) nothing
    "organisation_user": (
        lambda s, a, b: repos.organisation_user(s, a.patient.id, organisation_id=a.organisation_id),
        lambda s, a, b: repos.organisation_user(s, b.patient.id, organisation_id=a.organisation_id),
    ),
    "organisation_user_by_email": (
        lambda s, a, b: repos.organisation_user_by_email(s, a.patient.email, organisation_id=a.organisation_id),
        lambda s, a, b: repos.organisation_user_by_email(s, b.patient.email, organisation_id=a.organisation_id),
    ),
    "organisation_users": (
        lambda s, a, b: repos.organisation_users(s, a.organisation_id),
        None,
    ),
    "user_tokens": (
        lambda s, a, b: repos.user_tokens(s, a.clinician),
        lambda s, a, b: repos.user_tokens(s, forged(b.clinician, a.organisation_id)),
    ),
    "cohorts_of_educator": (
        lambda s, a, b: repos.cohorts_of_educator(s, a.educator),
        lambda s, a, b: repos.cohorts_of_educator(s, forged(b.educator, a.organisation_id)),
    ),
    "members_of_cohort": (
        lambda s, a, b: repos.members_of_cohort(s, a.ids["cohort"], organisation_id=a.organisation_id),
        lambda s, a, b: repos.members_of_cohort(s, b.ids["cohort"], organisation_id=a.organisation_id),
    ),
    "cohort_member_ids": (
        lambda s, a, b: repos.cohort_member_ids(s, a.educator),
        lambda s, a, b: repos.cohort_member_ids(s, forged(b.educator, a.organisation_id)),
    ),
    "shared_user_ids": (
        lambda s, a, b: repos.shared_user_ids(s, a.ids["encounter"], organisation_id=a.organisation_id),
        lambda s, a, b: repos.shared_user_ids(s, b.ids["encounter"], organisation_id=a.organisation_id),
    ),
    "encounters_visible_query": (
        lambda s, a, b: _scalars(s, repos.encounters_visible_query(
            organisation_id=a.organisation_id, owner_ids=[a.clinician.id], shared_with=a.learner.id,
            patient_id=a.patient.id)),
        lambda s, a, b: _scalars(s, repos.encounters_visible_query(
            organisation_id=a.organisation_id, owner_ids=[b.clinician.id], shared_with=b.learner.id,
            patient_id=b.patient.id)),
    ),
    "page": (
        lambda s, a, b: repos.page(
            s, repos.encounters_visible_query(organisation_id=a.organisation_id, owner_ids=[a.clinician.id]),
            organisation_id=a.organisation_id, offset=0, limit=10),
        lambda s, a, b: repos.page(
            s, repos.encounters_visible_query(organisation_id=b.organisation_id, owner_ids=[b.clinician.id]),
            organisation_id=a.organisation_id, offset=0, limit=10),
    ),
    "count": (
        lambda s, a, b: _counted(s, a, b, query_organisation=a.organisation_id),
        lambda s, a, b: _counted(s, a, b, query_organisation=b.organisation_id),
    ),
    "audit_events": (
        lambda s, a, b: repos.audit_events(s, organisation_id=a.organisation_id, limit=None),
        lambda s, a, b: repos.audit_events(s, organisation_id=a.organisation_id, actor_id=b.admin.id),
    ),
}


def _public_functions(module: Any) -> set[str]:
    return {
        name for name, member in inspect.getmembers(module, inspect.isfunction)
        if member.__module__ == module.__name__ and not name.startswith("_")
    }


def test_every_repository_function_has_a_case():
    assert _public_functions(repos) == set(REPOSITORY_CASES)


def test_every_repository_function_is_scoped_or_an_identity_lookup():
    """Scoped means an `organisation_id` parameter, or a `User` it derives the organisation from."""
    for name in _public_functions(repos) - repos.IDENTITY_LOOKUPS:
        parameters = inspect.signature(getattr(repos, name)).parameters.values()
        assert any(p.name == "organisation_id" or "User" in str(p.annotation) for p in parameters), name
    assert _public_functions(repos) >= repos.IDENTITY_LOOKUPS
    assert {name for name, (_, cross) in REPOSITORY_CASES.items() if cross is None} - {
        "organisation_users"
    } == set(repos.IDENTITY_LOOKUPS)


@pytest.mark.parametrize("name", sorted(REPOSITORY_CASES))
def test_no_repository_row_crosses_organisations(tenants, name):
    session, a, b = tenants
    own, cross = REPOSITORY_CASES[name]
    assert _only_a(session, own(session, a, b), a, name=name), f"{name}: the case found nothing"
    if cross is not None:
        assert _only_a(session, cross(session, a, b), a, name=name) == [], f"{name}: B's ids found A rows"
    if name in repos.IDENTITY_LOOKUPS - {"first_organisation"}:  # the oldest: A, made first
        assert _only_a(session, own(session, b, a), b, name=name)  # and B's credential finds B's


# ----- the service queries that list records ---------------------------------------------------


def _not_found(call: Callable[[], Any]) -> list[Any]:
    with pytest.raises(NotFound):
        call()
    return []


SERVICE_CASES: dict[str, tuple[Call, Call]] = {
    "encounters.list_page": (
        lambda s, a, b: encounters.list_page(s, a.clinician).items,
        lambda s, a, b: encounters.list_page(s, forged(b.clinician, a.organisation_id)).items,
    ),
    "encounters.get": (
        lambda s, a, b: encounters.get(s, a.patient, a.ids["encounter"]),
        lambda s, a, b: _not_found(lambda: encounters.get(s, a.clinician, b.ids["encounter"])),
    ),
    "checkins.care_patients": (
        lambda s, a, b: checkins.care_patients(s, a.clinician),
        lambda s, a, b: checkins.care_patients(s, forged(b.clinician, a.organisation_id)),
    ),
    "checkins.patient_for_care": (
        lambda s, a, b: checkins.patient_for_care(s, a.clinician, a.patient.id),
        lambda s, a, b: _not_found(lambda: checkins.patient_for_care(s, a.clinician, b.patient.id)),
    ),
    "checkins.open_tasks": (
        lambda s, a, b: checkins.open_tasks(s, a.clinician),
        lambda s, a, b: checkins.open_tasks(s, forged(b.clinician, a.organisation_id)),
    ),
    "checkins.open_flags": (
        lambda s, a, b: checkins.open_flags(s, a.clinician),
        lambda s, a, b: checkins.open_flags(s, forged(b.clinician, a.organisation_id)),
    ),
    "checkins.checkin_history": (
        lambda s, a, b: checkins.checkin_history(s, a.patient),
        lambda s, a, b: checkins.checkin_history(s, forged(b.patient, a.organisation_id)),
    ),
    "training.educator_cohorts": (
        lambda s, a, b: training.educator_cohorts(s, a.educator),
        lambda s, a, b: training.educator_cohorts(s, forged(b.educator, a.organisation_id)),
    ),
    "training.cohort_progress": (
        lambda s, a, b: [row.user for row in training.cohort_progress(s, a.educator, a.ids["cohort"]).members],
        lambda s, a, b: _not_found(lambda: training.cohort_progress(s, a.educator, b.ids["cohort"])),
    ),
    "training.learner_history": (
        lambda s, a, b: training.learner_history(s, a.learner),
        lambda s, a, b: training.learner_history(s, forged(b.learner, a.organisation_id)),
    ),
    "training.get_attempt": (
        lambda s, a, b: training.get_attempt(s, a.learner, a.ids["attempt"]),
        lambda s, a, b: _not_found(
            lambda: training.get_attempt(s, forged(b.learner, a.organisation_id), b.ids["attempt"])),
    ),
    "cohort_membership.pending_for_user": (
        lambda s, a, b: cohort_membership.pending_for_user(s, a.learner),
        lambda s, a, b: cohort_membership.pending_for_user(s, forged(b.learner, a.organisation_id)),
    ),
    "cohort_membership.memberships_of": (
        lambda s, a, b: [s.get(Cohort, m.cohort_id) for m in cohort_membership.memberships_of(s, a.clinician)],
        lambda s, a, b: cohort_membership.memberships_of(s, forged(b.clinician, a.organisation_id)),
    ),
    "cohort_membership.organisation_cohorts": (
        lambda s, a, b: [m for e in cohort_membership.organisation_cohorts(s, a.admin)
                         for m in (e.cohort, *e.members, *e.pending)],
        lambda s, a, b: _not_found(lambda: cohort_membership.admin_add(s, a.admin, b.ids["cohort"], b.learner.email)),
    ),
    "grants.patient_directory": (
        lambda s, a, b: [x for e in grants.patient_directory(s, a.admin)
                         for x in (e.patient, *(m.clinician for m in e.team))],
        lambda s, a, b: _not_found(lambda: grants.grant_care(
            s, a.admin, b.patient.id, a.clinician.email, consent=True)),
    ),
    "break_glass.for_review": (
        lambda s, a, b: break_glass.for_review(s, a.admin),
        lambda s, a, b: _not_found(lambda: break_glass.open_access(
            s, a.clinician, "an emergency justification long enough", patient_id=b.patient.id)),
    ),
}


@pytest.mark.parametrize("name", sorted(SERVICE_CASES))
def test_no_service_query_row_crosses_organisations(tenants, name):
    session, a, b = tenants
    own, cross = SERVICE_CASES[name]
    assert _only_a(session, own(session, a, b), a, name=name), f"{name}: the case found nothing"
    assert _only_a(session, cross(session, a, b), a, name=name) == [], f"{name}: B's ids found A rows"


def test_the_fixture_really_has_two_organisations_with_the_same_records(tenants):
    session, a, b = tenants
    for model in (Encounter, CheckIn, SafetyFlag, CareTask, TrainingAttempt, Cohort, AuditEvent):
        organisations = {row.organisation_id for row in session.scalars(select(model))}
        assert {a.organisation_id, b.organisation_id} <= organisations, model.__name__
