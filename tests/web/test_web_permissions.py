"""Every route × every role: who may, and who may not.

The world: `clinician` owns encounter E (linked to `patient`) and is in `educator`'s cohort;
`other` is a clinician outside that cohort who owns encounter F. Expected statuses are written
out in full so that a change in the rules shows up here as a diff.
"""

from __future__ import annotations

import importlib

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from bedside.db.tables import Cohort
from bedside.db.tables_access import CohortInvitation
from bedside.services import accounts, cohort_membership
from bedside.web.routes import ROUTE_MODULES
from web_fixtures import ROLES, TRANSCRIPT, Client, store_encounter

ANON = "anonymous"
EVERYONE = (*ROLES, ANON)
UPLOADERS = ("clinician", "learner", "educator")


def expect(default: int, anon: int = 303, **by_role: int) -> dict[str, int]:
    table = dict.fromkeys(ROLES, default)
    table[ANON] = anon
    table.update(by_role)
    return table


# (method, path template, form/body kind, expected status by role)
PAGES = [
    ("GET", "/", None, expect(200)),
    ("GET", "/encounters", None, expect(200, admin=403, researcher=403)),
    ("GET", "/encounters/new", None, expect(403, clinician=200, learner=200, educator=200)),
    ("POST", "/encounters", "upload", expect(403, clinician=303, learner=303, educator=303)),
    ("GET", "/encounters/{E}", None, expect(404, clinician=200, educator=200, patient=200)),
    ("GET", "/encounters/{E}/report.html", None, expect(404, clinician=200, educator=200, patient=200)),
    ("GET", "/encounters/{E}/analysis.json", None, expect(404, clinician=200, educator=200, patient=200)),
    ("GET", "/encounters/{F}", None, expect(404)),
    ("GET", "/encounters/jobs/12345", None, expect(403, clinician=404, learner=404, educator=404)),
    ("GET", "/encounters/jobs/12345/status", None,
     expect(403, clinician=404, learner=404, educator=404)),
    ("POST", "/encounters/{E}/share", "share", expect(404, clinician=303, educator=403, patient=403)),
    ("GET", "/trends", None, expect(403, clinician=200, learner=200, educator=200)),
    ("GET", "/trends?user={clinician}", None, expect(403, clinician=200, educator=200, learner=404)),
    ("GET", "/trends?user={other}", None, expect(403, clinician=404, educator=404, learner=404)),
    ("GET", "/team", None, expect(403, educator=200)),
    ("GET", "/research", None, expect(403, researcher=200, admin=200)),
    ("GET", "/account", None, expect(200)),
    ("POST", "/account/password", "password", expect(400)),
    ("POST", "/account/tokens", "token", expect(200)),
    ("POST", "/account/tokens/999/revoke", None, expect(404)),
    # credentials (issue 11, finding 8): the second sign-in step and the authenticator app
    ("GET", "/login/mfa", None, expect(303)),
    ("POST", "/login/mfa", "mfa_code", expect(400, anon=400)),
    ("POST", "/account/mfa/start", None, expect(200, admin=400)),
    ("POST", "/account/mfa/confirm", "mfa_code", expect(400)),
    ("POST", "/account/mfa/remove", "password_only", expect(400)),
    ("GET", "/admin/users", None, expect(403, admin=200)),
    ("POST", "/admin/users", "new_user", expect(403, admin=200)),
    ("POST", "/admin/users/{learner}/password", "reset", expect(403, admin=200)),
    ("POST", "/admin/users/{learner}/active", "active", expect(403, admin=303)),
    ("GET", "/admin/audit", None, expect(403, admin=200)),
    ("GET", "/admin/audit.csv", None, expect(403, admin=200)),
]

API = [
    ("GET", "/api/v1/me", None, expect(200, anon=401)),
    ("GET", "/api/v1/encounters", None, expect(200, anon=401, admin=403, researcher=403)),
    ("POST", "/api/v1/encounters", "upload", expect(403, anon=401, clinician=201, learner=201, educator=201)),
    # access grants (issue 11, finding 5): only an admin or a clinician on the patient's team
    ("POST", "/care/patients/{patient_id}/team", "team", expect(403, admin=303, clinician=303)),
    ("POST", "/care/patients/{patient_id}/team/{clinician_id}/remove", None,
     expect(403, admin=303, clinician=303, patient=404)),
    ("GET", "/care/break-glass", None, expect(403, clinician=200, other=200)),
    ("POST", "/care/break-glass", "break_glass", expect(403, clinician=303, other=303)),
    ("POST", "/care/break-glass/{grant_id}/end", None, expect(403, clinician=404, other=404)),
    ("POST", "/training/invitations/{invitation_id}/accept", None,
     expect(403, learner=303, clinician=404, other=404)),
    ("POST", "/training/invitations/{invitation_id}/decline", None,
     expect(403, learner=404, clinician=404, other=404)),
    ("POST", "/training/cohorts/{cohort_id}/members/{user_id}/remove", None,
     expect(404, educator=303, admin=303, clinician=303)),
    ("GET", "/admin/access", None, expect(403, admin=200)),
    ("POST", "/admin/access/break-glass/{grant_id}/reviewed", None, expect(403, admin=404)),
    ("POST", "/admin/cohorts/{cohort_id}/members", "member", expect(403, admin=303)),
    ("GET", "/api/v1/encounters/{E}", None, expect(404, anon=401, clinician=200, educator=200, patient=200)),
    ("GET", "/api/v1/encounters/{E}/analysis", None,
     expect(404, anon=401, clinician=200, educator=200, patient=200)),
    ("GET", "/api/v1/jobs/12345", None, expect(404, anon=401)),
    ("GET", "/api/v1/aggregates", None, expect(403, anon=401, researcher=200, admin=200)),
]

FORMS = {
    "share": {"data": {"email": "learner@test.example"}},
    "password": {"data": {"current_password": "wrong password!", "new_password": "a-new-password-1"}},
    "token": {"data": {"name": "ci"}},
    "mfa_code": {"data": {"code": "000000"}},
    "password_only": {"data": {"current_password": "wrong password!"}},
    "new_user": {"data": {"email": "new@test.example", "display_name": "New", "role": "learner",
                          "password": "a-long-password"}},
    "reset": {"data": {"new_password": "a-reset-password"}},
    "active": {"data": {"active": "false"}},
    "upload": {"files": [("files", ("visit.txt", TRANSCRIPT))]},
}


def _fill(template, ids):
    return template.format(**ids)


@pytest.fixture
    "team": {"data": {"email": "other@test.example", "consent": "true"}},
    "break_glass": {"data": {"email": "patient@test.example",
                             "justification": "Called the ward in crisis; the care team is away"}},
    "member": {"data": {"email": "learner@test.example"}},
def setting(app, world, pipeline):
    ids = {name: user.id for name, user in world.users.items()}
    ids["E"] = store_encounter(world, "clinician", pipeline, patient="patient")
    ids["F"] = store_encounter(world, "other", pipeline)
    return ids


def _check(client: Client, method: str, path: str, kind: str | None, expected: int, role: str):
    options = dict(FORMS[kind]) if kind else {}
    response = client.get(path) if method == "GET" else client.post(path, **options)
    assert response.status_code == expected, f"{role} {method} {path}: {response.status_code}"
    if expected == 303 and role == ANON:
    with world.session() as session:
        cohort = session.scalars(select(Cohort)).one()
        educator = session.get(type(world.users["educator"]), world.users["educator"].id)
        cohort_membership.invite(session, educator, cohort.id, "learner@test.example")
        invitation = session.scalars(select(CohortInvitation)).one()
        ids |= {"cohort_id": cohort.id, "invitation_id": invitation.id}
    ids |= {"patient_id": ids["patient"], "clinician_id": ids["other"], "user_id": ids["clinician"],
            "grant_id": 999_999}
        assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("role", EVERYONE)
def test_page_permissions(role, app, world, setting):
    client = Client(app, world, None if role == ANON else role)
    for method, template, kind, table in PAGES:
        _check(client, method, _fill(template, setting), kind, table[role], role)


@pytest.mark.parametrize("role", EVERYONE)
def test_api_permissions(role, app, world, setting):
    client = Client(app, None, None)
    if role != ANON:
        with world.session() as session:
            secret = accounts.create_api_token(session, session.get(type(world.users[role]), world.users[role].id), "t").secret
        client.http.headers["authorization"] = f"Bearer {secret}"
    for method, template, kind, table in API:
        _check(client, method, _fill(template, setting), kind, table[role], role)


def test_the_matrix_covers_every_route(app):
    """A new route in one of this area's modules must be added to the matrix above."""
    covered = {(m, t.split("?")[0]) for m, t, _, _ in PAGES + API}
    templates = {
        (m, t.replace("{E}", "{encounter_id}").replace("{F}", "{encounter_id}")
         .replace("{learner}", "{user_id}").replace("999", "{token_id}").replace("12345", "{job_id}"))
        for m, t in covered
    }
    missing = []
    checked = 0
    routes = [r for name in ROUTE_MODULES for r in importlib.import_module(name).router.routes]
    for route in routes:
        if isinstance(route, APIRoute):
            for method in route.methods - {"HEAD"}:
                checked += 1
                if route.path in ("/login", "/logout", "/healthz"):
                    continue
                if (method, route.path) not in templates:
                    missing.append((method, route.path))
    assert checked > 25
    assert not missing, f"routes missing from the permission matrix: {missing}"
