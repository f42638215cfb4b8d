"""Permission rules one cell per route cannot state: hostile ids, query parameters that name
someone, and refusals that must leave the data as it was.

Who may call which route is the role × route matrix (`test_route_matrix.py`, built from the
app's route table); the access model's own stories (no self-granting, consent, break-glass) are
in `test_access_grants.py`. Issue 11 finding 12: ids ≥ 2^63 answered 500 on the task and flag
routes; every id in a path or a query is now bounded, and these tests walk the route table so
that a new route with an unbounded id fails here.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select

from bedside.db.base import utcnow
from bedside.db.tables import Encounter, Organisation, User
from bedside.db.tables_care import CheckIn
from bedside.db.tables_credentials import TotpCredential
from bedside.services import accounts, checkins
from web_fixtures import ADMIN_TOTP_SECRET, Client, World, grant_care, store_encounter

HOSTILE_IDS = (2**63, 2**63 - 1 + 2**31, 2**70, 0, -1, "1e3", "%00")


def _id_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route whose path takes an id (an int parameter)."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and any(
            p.field_info.annotation is int for p in route.dependant.path_params
        ):
            found.extend((method, route.path) for method in sorted(route.methods - {"HEAD"}))
    return found


def _with(path: str, value: object) -> str:
    return re.sub(r"{\w+}", str(value), path)


@pytest.mark.parametrize("value", HOSTILE_IDS, ids=[str(v) for v in HOSTILE_IDS])
def test_hostile_ids_in_any_path_answer_422_never_500(value, app, client_for):
    """Signed in as each role that passes the route's gate, on both databases."""
    routes = _id_routes(app)
    assert len(routes) >= 30, routes
    clients = {name: client_for(name) for name in ("clinician", "admin", "educator", "patient")}
    failures = []
    for method, path in routes:
        for name, client in clients.items():
            url = _with(path, value)
            response = client.get(url) if method == "GET" else client.post(url, data={})
            if response.status_code >= 500 or response.status_code not in (403, 404, 422):
                failures.append(f"{name} {method} {url} → {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "url",
    [
        "/encounters?page={big}",
        "/admin/audit?page={big}",
        "/trends?user={big}",
        "/api/v1/encounters?offset={big}",
        "/api/v1/encounters?limit={big}",
        "/encounters?page=-1",
        "/admin/audit?page=0",
    ],
)
@pytest.mark.parametrize("big", [2**63, 2**70])
def test_huge_numbers_in_a_query_are_refused_not_500(url, big, client_for):
    admin, clinician = client_for("admin"), client_for("clinician")
    client = admin if url.startswith("/admin") else clinician
    response = client.get(url.format(big=big))
    assert response.status_code in (200, 400, 404, 422), response.status_code


def test_trends_of_someone_else_only_for_their_cohorts_educator(client_for, world):
    """`clinician` is a member of `educator`'s cohort; `other` is in none."""
    ids = {name: user.id for name, user in world.users.items()}
    expected = {
        ("educator", "clinician"): 200,
        ("educator", "other"): 404,
        ("clinician", "clinician"): 200,
        ("clinician", "other"): 404,
        ("learner", "clinician"): 404,
        ("patient", "clinician"): 403,
    }
    for (viewer, subject), status in expected.items():
        response = client_for(viewer).get(f"/trends?user={ids[subject]}")
        assert response.status_code == status, (viewer, subject, response.status_code)


@pytest.fixture
def organisation_b(world, password_hash) -> World:
    with world.session() as session:
        organisation = Organisation(name="Bravo Clinic")
        session.add(organisation)
        session.flush()
        users = {}
        for role in ("admin", "clinician", "educator"):
            users[role] = User(organisation_id=organisation.id, email=f"{role}@bravo.example",
                               display_name=f"Bravo {role}", role=role, password_hash=password_hash)
            session.add(users[role])
        session.flush()
        session.add(TotpCredential(user_id=users["admin"].id, secret=ADMIN_TOTP_SECRET,
                                   confirmed_at=utcnow(), last_step=0))
        session.commit()
        return World(database=world.database, organisation_id=organisation.id, users=users)


def _patient_content(world: World) -> tuple[int, int, bool]:
    with world.session() as session:
        patient = session.get(User, world.users["patient"].id)
        encounters = session.scalar(select(func.count()).where(Encounter.patient_id == patient.id))
        answers = session.scalar(select(func.count()).where(CheckIn.patient_id == patient.id))
        return encounters or 0, answers or 0, patient.is_active


def test_an_admin_of_another_organisation_cannot_erase_or_export_a_patient(
    app, world, pipeline, organisation_b
):
    """Confirmed erasure and export of A's patient by B's admin: 404, and nothing changes."""
    store_encounter(world, "clinician", pipeline, patient="patient")
    with world.session() as session:
        checkins.submit_checkin(session, session.get(User, world.users["patient"].id), "phq9",
                                [1] * 9)
    before = _patient_content(world)
    assert before[:2] == (1, 1)
    admin_b = Client(app, organisation_b, "admin")
    patient_id = world.users["patient"].id
    erase = admin_b.post(f"/admin/patients/{patient_id}/erase",
                         data={"reason": "a request from B", "confirm": "ERASE"})
    assert erase.status_code == 404, erase.status_code
    export = admin_b.post(f"/admin/patients/{patient_id}/export", data={"reason": "from B"})
    assert export.status_code == 404, export.status_code
    assert _patient_content(world) == before


def test_another_organisation_cannot_reach_a_through_form_fields(app, world, organisation_b):
    """E-mails and ids of A given in forms by B's staff name no one."""
    educator_b = Client(app, organisation_b, "educator")
    made = educator_b.post("/training/cohorts", data={"name": "Bravo cohort"})
    assert made.status_code == 303
    cohort_path = made.headers["location"]
    invited = educator_b.post(f"{cohort_path}/members", data={"email": "clinician@test.example"})
    assert invited.status_code == 404, invited.status_code
    clinician_b = Client(app, organisation_b, "clinician")
    glass = clinician_b.post("/care/break-glass", data={
        "email": "patient@test.example",
        "justification": "An emergency at night, the team is away",
    })
    assert glass.status_code == 404, glass.status_code
    grant_care(world, "patient", "clinician")
    team = clinician_b.post(f"/care/patients/{world.users['patient'].id}/team",
                            data={"email": "clinician@bravo.example", "consent": "true"})
    assert team.status_code in (403, 404), team.status_code


def test_a_bearer_token_of_organisation_b_reads_nothing_of_a(app, world, pipeline, organisation_b):
    encounter_id = store_encounter(world, "clinician", pipeline, patient="patient")
    with world.session() as session:
        secret = accounts.create_api_token(
            session, session.get(User, organisation_b.users["clinician"].id), "b"
        ).secret
    api = Client(app, None, None)
    api.http.headers["authorization"] = f"Bearer {secret}"
    assert api.get("/api/v1/encounters").json()["total"] == 0
    for path in (f"/api/v1/encounters/{encounter_id}", f"/api/v1/encounters/{encounter_id}/analysis",
                 f"/api/v1/patients/{world.users['patient'].id}/fhir"):
        assert api.get(path).status_code == 404, path
