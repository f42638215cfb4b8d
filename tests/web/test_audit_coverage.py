"""Every read of health data is audited (HIPAA §164.312(b); issue 11, finding 11: 7 of 19 such
routes recorded nothing). Built from the app's own route table, so no route escapes it.

`HEALTH_DATA_ROUTES` is the one list of GET routes that show health data (a consultation, a
check-in, a flag, a care plan, a training attempt, people and their scores): each is called as
an actor of organisation A allowed to read it, and must record an audit event by that actor.
Every other GET route of the app must be in `NO_HEALTH_DATA`, with the reason. A new route in
neither list fails the walk. The records come from the role × route matrix's setting (real
records of two organisations, made through the services).
"""

from __future__ import annotations

import time

import pytest
import test_route_matrix as matrix
from sqlalchemy import func, select

from bedside.db.tables import AuditEvent
from bedside.services.training import ReplyAssessor

HEALTH_DATA_ROUTES: dict[str, str] = {
    "GET /encounters": "clinician",
    "GET /encounters/{encounter_id}": "clinician",
    "GET /encounters/{encounter_id}/report.html": "clinician",
    "GET /encounters/{encounter_id}/analysis.json": "clinician",
    "GET /api/v1/encounters": "clinician",
    "GET /api/v1/encounters/{encounter_id}": "clinician",
    "GET /api/v1/encounters/{encounter_id}/analysis": "clinician",
    "GET /trends": "clinician",
    "GET /team": "educator",
    "GET /research": "researcher",
    "GET /api/v1/aggregates": "researcher",
    "GET /checkins": "patient",
    "GET /checkins/plan": "patient",
    "GET /care": "clinician",
    "GET /care/patients/{patient_id}": "clinician",
    "GET /care/patients/{patient_id}/fhir.json": "clinician",
    "GET /api/v1/patients/{patient_id}/fhir": "clinician",
    "GET /training/attempts/{attempt_id}": "clinician",
    "GET /training/cohorts/{cohort_id}": "educator",
    "GET /training/cohorts/{cohort_id}/progress.csv": "educator",
    "GET /admin/users": "admin",
    "GET /admin/audit": "admin",
    "GET /admin/audit.csv": "admin",
    "GET /admin/access": "admin",
}
"""Route → the role of organisation A that reads it (with a 200) in the test."""

NO_HEALTH_DATA: dict[str, str] = {
    "GET /openapi.json": "the API description",
    "GET /static/{path}": "style sheets and scripts",
    "GET /docs": "the API documentation page",
    "GET /login": "the sign-in form",
    "GET /login/mfa": "the second sign-in step",
    "GET /healthz": "liveness",
    "GET /": "the start page: links by role, no records",
    "GET /account": "one's own account and tokens (sign-ins are audited as auth.*)",
    "GET /api/v1/me": "one's own account",
    "GET /encounters/new": "the upload form",
    "GET /encounters/jobs/{job_id}": "a job's progress (a redirect to the report, which is audited)",
    "GET /encounters/jobs/{job_id}/status": "a job's progress fragment",
    "GET /api/v1/jobs/{job_id}": "a job's status and the id of its encounter",
    "GET /checkins/care.css": "a style sheet",
    "GET /checkins/new/{instrument_id}": "an empty questionnaire",
    "GET /checkins/social": "the empty social-needs form",
    "GET /checkins/crisis": "crisis phone numbers",
    "GET /care/break-glass": "the break-glass form (opening it is audited)",
    "GET /training": "the scenario catalogue and one's own assignments",
    "GET /training/attempts/{attempt_id}/debrief": (
        "400 until the attempt ends; the debrief of a finished attempt reads the same record as "
        "the attempt page"
    ),
    "GET /training/cohorts": "the educator's cohort names",
    "GET /training/cases": "bundled mock consultations (PriMock57), no patient",
    "GET /training/cases/{case_id}": "one bundled mock consultation",
}


def _get_routes(app) -> set[str]:
    return {f"{method} {path}" for method, path in matrix._route_table(app) if method == "GET"}


def test_every_get_route_is_declared_as_health_data_or_not(app):
    routes = _get_routes(app)
    undeclared = sorted(routes - set(HEALTH_DATA_ROUTES) - set(NO_HEALTH_DATA))
    assert not undeclared, (
        "new GET routes: add each to HEALTH_DATA_ROUTES (and audit it) or to NO_HEALTH_DATA "
        f"with the reason: {undeclared}"
    )
    gone = sorted((set(HEALTH_DATA_ROUTES) | set(NO_HEALTH_DATA)) - routes)
    assert not gone, f"listed routes the app no longer has: {gone}"
    assert not set(HEALTH_DATA_ROUTES) & set(NO_HEALTH_DATA)


@pytest.fixture
def setting(app, world, pipeline, password_hash):
    app.state.training_assessor = ReplyAssessor()
    b = matrix._org_b(world, password_hash)
    matrix._more_clinicians(world, password_hash)
    values = matrix._records_of_a(app, world, pipeline)
    return matrix.Setting(a=world, b=b, values=values)


def test_every_health_data_route_records_an_audit_event_by_its_reader(app, setting):
    rows = {f"{r.method} {r.path}": r for r in matrix.ROWS}
    silent = []
    for route, role in HEALTH_DATA_ROUTES.items():
        actor = matrix.Actor(app, setting, f"A.{role}")
        user_id = setting.a.users[role].id
        with setting.a.session() as session:
            before = session.scalar(select(func.max(AuditEvent.id))) or 0
        response = actor.call(rows[route], setting.values)
        assert response.status_code == 200, f"{route} as {role}: {response.status_code}"
        with setting.a.session() as session:
            recorded = session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.id > before,
                    AuditEvent.actor_id == user_id,
                    AuditEvent.action.not_like("auth.%"),
                )
            ).all()
        if not recorded:
            silent.append(route)
    assert not silent, f"health-data routes that record no audit event: {silent}"


CHANGE_ROUTES: dict[str, str] = {
    "POST /encounters": "clinician",
    "POST /api/v1/encounters": "clinician",
    "POST /encounters/{encounter_id}/share": "clinician",
    "POST /checkins/new/{instrument_id}": "patient",
    "POST /checkins/social": "patient",
    "POST /checkins/message": "patient",
    "POST /checkins/voice": "patient",
    "POST /care/patients": "clinician",  # refused (no self-grant), and the attempt audited
    "POST /care/tasks/{task_id}/done": "clinician",
    "POST /care/flags/{flag_id}/resolve": "clinician",
    "POST /care/patients/{patient_id}/plan": "clinician",
    "POST /care/patients/{patient_id}/plan/edit": "clinician",
    "POST /care/patients/{patient_id}/plan/sign": "clinician",
    "POST /care/patients/{patient_id}/team": "clinician",
    "POST /care/patients/{patient_id}/team/{clinician_id}/remove": "clinician",
    "POST /care/break-glass": "clinician",
    "POST /admin/patients/{patient_id}/export": "admin",
    "POST /admin/users": "admin",
    "POST /admin/users/{user_id}/password": "admin",
    "POST /admin/duty": "admin",
    "POST /admin/access/break-glass/{grant_id}/reviewed": "admin",
    "POST /admin/cohorts/{cohort_id}/members": "admin",
    "POST /training/start": "clinician",
    "POST /training/attempts/{attempt_id}/reply": "clinician",
    "POST /training/cohorts": "educator",
    "POST /training/cohorts/{cohort_id}/members": "educator",
    "POST /training/cohorts/{cohort_id}/assign": "educator",
    "POST /training/invitations/{invitation_id}/accept": "learner",
    "POST /training/cohorts/{cohort_id}/members/{user_id}/remove": "educator",
    "POST /admin/users/{user_id}/active": "admin",  # last: it disables the learner
}
"""Route → the role of organisation A whose call changes health data (or grants access to it)."""

NO_HEALTH_CHANGE: dict[str, str] = {
    "POST /login": "sign-in (audited as auth.*)",
    "POST /login/mfa": "the second sign-in step (audited as auth.*)",
    "POST /logout": "sign-out (audited as auth.logout)",
    "POST /account/password": "one's own password (audited as user.change_password)",
    "POST /account/tokens": "one's own API token (audited as token.create)",
    "POST /account/tokens/{token_id}/revoke": "one's own API token (audited as token.revoke)",
    "POST /account/mfa/start": "one's own authenticator",
    "POST /account/mfa/confirm": "one's own authenticator",
    "POST /account/mfa/remove": "one's own authenticator",
    "POST /account/sessions/end-others": "one's own sessions",
    "POST /admin/patients/{patient_id}/erase": (
        "erasure needs a typed confirmation the matrix does not send; its audit is tested with "
        "the lifecycle service"
    ),
    "POST /care/break-glass/{grant_id}/end": "the matrix's grant belongs to another clinician",
    "POST /training/invitations/{invitation_id}/decline": (
        "the invitation is accepted above; declining is audited by the same service"
    ),
}


def test_every_post_route_is_declared_as_a_health_data_change_or_not(app):
    routes = {f"{m} {p}" for m, p in matrix._route_table(app) if m == "POST"}
    undeclared = sorted(routes - set(CHANGE_ROUTES) - set(NO_HEALTH_CHANGE))
    assert not undeclared, (
        "new POST routes: add each to CHANGE_ROUTES (and audit it) or to NO_HEALTH_CHANGE with "
        f"the reason: {undeclared}"
    )
    gone = sorted((set(CHANGE_ROUTES) | set(NO_HEALTH_CHANGE)) - routes)
    assert not gone, f"listed routes the app no longer has: {gone}"


def _events_by(session_factory, user_id: int, after: int, *, wait_s: float = 0.0) -> list[str]:
    deadline = time.monotonic() + wait_s
    while True:
        with session_factory() as session:
            found = session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.id > after,
                    AuditEvent.actor_id == user_id,
                    AuditEvent.action.not_like("auth.%"),
                )
            ).all()
        if found or time.monotonic() >= deadline:
            return list(found)
        time.sleep(0.1)


def test_every_change_of_health_data_records_an_audit_event_by_its_author(app, setting):
    rows = {f"{r.method} {r.path}": r for r in matrix.ROWS}
    silent = []
    for route, role in CHANGE_ROUTES.items():
        r = rows[route]
        want = r.expected[f"A.{role}"]
        allowed = want if isinstance(want, tuple) else (want,)
        with setting.a.session() as session:
            before = session.scalar(select(func.max(AuditEvent.id))) or 0
        response = matrix.Actor(app, setting, f"A.{role}").call(r, setting.values)
        assert response.status_code in allowed, f"{route} as {role}: {response.status_code}"
        # the web upload is analysed as a background job: its event comes when the job stores it
        wait = 20.0 if route == "POST /encounters" else 0.0
        if not _events_by(setting.a.session, setting.a.users[role].id, before, wait_s=wait):
            silent.append(route)
    assert not silent, f"changes of health data that record no audit event: {silent}"
