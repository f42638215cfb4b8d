"""The role × route matrix, built from the app's own route table: nothing can escape it.

Every route of the real app (method + path, from `app.routes`) must have one line below, in the
group of the module that defines it, saying what each actor gets:

- `anonymous`;
- each role of organisation A (admin, educator, clinician, learner, patient, researcher) and
  `other`, a second clinician of A who is on no care team and in no cohort;
- the same six roles in organisation B, who must never see A's records: a route that names one of
  A's records answers B 403 or 404, and no 200 answer to B contains A's names, e-mails or texts.

Besides the status, every 200 is read for what its actor must never be shown (`NEVER_SHOWN`: A's
patient's clinical content for admins and researchers, and even the patient's name for a learner
or a clinician outside the care team), and after anonymous's and B's sweeps every row of A's
tables must be as it was.

Path ids are real records of organisation A (`setting` below): encounter E (owned by A's
clinician, linked to A's patient), A's patient (on A's clinician's care team) with a PHQ-9 that
raised a safety flag and its urgent task, a draft care plan, a training attempt of A's
clinician (a member of A's educator's cohort), the cohort, an API token of A's clinician.

Adding a route: add `row("METHOD /path", <status for most roles>, role=<status>, ...)` to its
module's list. A cell that encodes an intended rule of issue 11 that has not landed yet is named
in `pending=`; it runs on its own, as a strict xfail, so it fails the day the rule lands.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select
from starlette.routing import Mount

from bedside.db import metadata
from bedside.db.base import utcnow
from bedside.db.tables import Cohort, CohortMember, Organisation, User
from bedside.db.tables_access import CohortInvitation
from bedside.db.tables_care import CareTask
from bedside.db.tables_credentials import TotpCredential
from bedside.services import (
    accounts,
    break_glass,
    careplans,
    checkins,
    cohort_membership,
    encounters,
    training,
)
from bedside.services.encounters import Upload
from bedside.services.training import ReplyAssessor
from web_fixtures import (
    ADMIN_TOTP_SECRET,
    ROLES,
    TRANSCRIPT,
    Client,
    World,
    grant_care,
    store_encounter,
)

Outcome = int | tuple[int, ...]
DENIED = (403, 404)
UPLOADERS = ("clinician", "educator", "learner")
PLAYERS = UPLOADERS
A_MARK = "Alfamark"  # in every display name, title and text of organisation A
A_EMAIL = "@test.example"
# Clinical content of A's patient (transcript, message, safety flag), which admins, researchers
# and a clinician outside the care team must never be shown.
CLINICAL = ("worried about these headaches", "felt low all week", "self_harm", "item9")
A_PATIENT = f"Patient {A_MARK}"  # the display name of A's patient
# What each actor of A must never be shown on a 200: a clinician outside the care team does not
# even learn the patient's name.
NEVER_SHOWN = {
    "A.admin": CLINICAL,
    "A.researcher": CLINICAL,
    "A.learner": (*CLINICAL, A_PATIENT),
    "A.other": (*CLINICAL, A_PATIENT),
}
STRONG = "Matrix-check 7f3kQ2pz unusual"
SCENARIO = "grief"

ANON = "anonymous"
A_ACTORS = (*(f"A.{role}" for role in ROLES), "A.other")
B_ACTORS = tuple(f"B.{role}" for role in ROLES)
ACTORS = (ANON, *A_ACTORS, *B_ACTORS)

# Path parameters that name a record of organisation A (B must be refused them).
RECORD_PARAMS = frozenset(
    {"encounter_id", "patient_id", "task_id", "flag_id", "cohort_id", "attempt_id", "user_id",
     "token_id", "job_id", "grant_id", "invitation_id", "clinician_id"}
)


@dataclass(frozen=True)
class Row:
    """One route and what every actor gets from it."""

    method: str
    path: str
    expected: dict[str, Outcome]
    form: dict[str, Any] | None = None
    pending: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    clinical: bool = False  # the answer is clinical content by design (a patient's export)

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def row(
    route: str,
    default: Outcome,
    *,
    anon: Outcome | None = None,
    form: dict[str, Any] | None = None,
    b: dict[str, Outcome] | None = None,
    pending: dict[str, str] | None = None,
    ids: dict[str, str] | None = None,
    clinical: bool = False,
    **roles: Outcome,
) -> Row:
    """`row("GET /care", 403, clinician=200)`: 403 for every role but clinicians.

    `other` defaults to the clinician's outcome; anonymous to 401 under /api and a redirect to
    sign-in elsewhere; B's roles to DENIED when the path names a record of A, else to their A
    counterpart's outcome (then their answer must not contain A's data). `b=` overrides B;
    `ids={"user_id": "A_clinician_id"}` fills a path parameter from another record.
    """
    method, path = route.split(" ", 1)
    unknown = set(roles) - {*ROLES, "other"}
    assert not unknown, f"{route}: unknown roles {unknown}"
    expected: dict[str, Outcome] = {ANON: anon if anon is not None else (
        401 if path.startswith("/api/") else 303)}
    for role in ROLES:
        expected[f"A.{role}"] = roles.get(role, default)
    expected["A.other"] = roles.get("other", expected["A.clinician"])
    names_a_record = bool(set(re.findall(r"{(\w+)}", path)) & RECORD_PARAMS)
    for role in ROLES:
        derived = DENIED if names_a_record else expected[f"A.{role}"]
        expected[f"B.{role}"] = (b or {}).get(role, derived)
    return Row(method, path, expected, form, dict(pending or {}), dict(ids or {}), clinical)


def data(**values: str) -> dict[str, Any]:
    return {"data": values}


UPLOAD = {"files": [("files", ("visit.txt", TRANSCRIPT))]}
PHQ9_ZERO = data(**{f"item{n}": "0" for n in range(1, 10)})

MATRIX: dict[str, list[Row]] = {
    "fastapi.applications": [
        row("GET /openapi.json", 200, anon=200),
    ],
    "starlette.staticfiles": [
        row("GET /static/{path}", 200, anon=200),
    ],
    "bedside.web.app": [
        row("GET /docs", 200, anon=200),
    ],
    "bedside.web.routes.auth": [
        row("GET /login", 303, anon=200),
        row("GET /login/mfa", 303),  # no half-open sign-in: back to the password step
        row("POST /login/mfa", 400, anon=400, form=data(code="000000")),
        row("POST /login", 400, anon=400, form=data(email="{A_patient_email}", password="wrong one!")),
        row("POST /logout", 303, anon=303),
    ],
    "bedside.web.routes.pages": [
        row("GET /healthz", 200, anon=200),
        row("GET /", 200),
        row("GET /account", 200),
        row("POST /account/password", 400,
            form=data(current_password="wrong password!", new_password=STRONG)),
        row("POST /account/tokens", 200, form=data(name="matrix")),
        row("POST /account/tokens/{token_id}/revoke", 404, clinician=303, other=404),
        row("POST /account/mfa/start", 200, admin=400),  # the admin has one already
        row("POST /account/mfa/confirm", 400, form=data(code="000000")),
        row("POST /account/mfa/remove", 400, form=data(current_password="wrong password!")),
        row("POST /account/sessions/end-others", 303),
    ],
    "bedside.web.routes.encounters": [
        row("GET /encounters", 200, admin=403, researcher=403),
        row("GET /encounters/new", 403, clinician=200, educator=200, learner=200),
        # The job has finished: its owner is sent on to the report.
        row("GET /encounters/jobs/{job_id}", 404, clinician=303, other=404, admin=403,
            patient=403, researcher=403),
        row("GET /encounters/jobs/{job_id}/status", 404, clinician=303, other=404, admin=403,
            patient=403, researcher=403),
        row("POST /encounters", 403, clinician=303, educator=303, learner=303, form=UPLOAD),
        row("GET /encounters/{encounter_id}", 404, clinician=200, educator=200, patient=200,
            other=404),
        row("POST /encounters/{encounter_id}/share", 404, clinician=303, educator=403,
            patient=403, other=404, form=data(email="{A_learner_email}", consent="true")),
        row("GET /encounters/{encounter_id}/report.html", 404, clinician=200, educator=200,
            patient=200, other=404),
        row("GET /encounters/{encounter_id}/analysis.json", 404, clinician=200, educator=200,
            patient=200, other=404),
    ],
    "bedside.web.routes.insights": [
        row("GET /trends", 403, clinician=200, educator=200, learner=200),
        row("GET /team", 403, educator=200),
        row("GET /research", 403, researcher=200, admin=200),
    ],
    "bedside.web.routes.admin": [
        row("GET /admin/users", 403, admin=200),
        row("POST /admin/users", 403, admin=200,
            form=data(email="new-{actor}@new.example", display_name="New", role="learner",
                      password=STRONG)),
        row("POST /admin/users/{user_id}/password", 403, admin=200, form=data(new_password=STRONG)),
        row("POST /admin/users/{user_id}/active", 403, admin=303, form=data(active="false")),
        row("POST /admin/patients/{patient_id}/export", 403, admin=200, clinical=True,
            form=data(reason="The patient asked for a copy")),
        row("POST /admin/patients/{patient_id}/erase", 403, admin=400, b={"admin": 400},  # unconfirmed
            form=data(reason="The patient asked to be forgotten")),
        row("POST /admin/duty", 403, admin=200, b={"admin": 400},  # B: no such clinician
            form=data(clinician_id="{A_duty_id}")),
        row("GET /admin/audit", 403, admin=200),
        row("GET /admin/audit.csv", 403, admin=200),
    ],
    "bedside.web.routes.api": [
        row("GET /api/v1/me", 200),
        row("GET /api/v1/encounters", 200, admin=403, researcher=403),
        row("POST /api/v1/encounters", 403, clinician=201, educator=201, learner=201, form=UPLOAD),
        row("GET /api/v1/encounters/{encounter_id}", 404, clinician=200, educator=200,
            patient=200, other=404),
        row("GET /api/v1/encounters/{encounter_id}/analysis", 404, clinician=200, educator=200,
            patient=200, other=404),
        row("GET /api/v1/aggregates", 403, researcher=200, admin=200),
        row("GET /api/v1/jobs/{job_id}", 404, clinician=200, other=404),
    ],
    "bedside.web.routes.checkins": [
        row("GET /checkins/care.css", 200, anon=200),
        row("GET /checkins", 403, patient=200),
        row("GET /checkins/new/{instrument_id}", 403, patient=200),
        row("POST /checkins/new/{instrument_id}", 403, patient=200, form=PHQ9_ZERO),
        row("GET /checkins/social", 403, patient=200),
        row("POST /checkins/social", 403, patient=200, form=data()),
        row("POST /checkins/message", 403, patient=200, form=data(text="A better week, thanks.")),
        row("POST /checkins/voice", 403, patient=303,
            form=data(what_matters="Walking the dog", goals="Walk daily")),
        row("GET /checkins/plan", 403, patient=200),
        row("GET /checkins/crisis", 200),
        row("GET /care", 403, clinician=200),
        row("POST /care/patients", 403, form=data(email="{A_patient_email}")),  # no self-grant
        row("GET /care/patients/{patient_id}", 403, clinician=200, other=404),
        row("POST /care/tasks/{task_id}/done", 403, clinician=303, other=404),
        row("POST /care/flags/{flag_id}/resolve", 403, clinician=303, other=404),
        row("POST /care/patients/{patient_id}/plan", 403, clinician=303, other=404),
        row("POST /care/patients/{patient_id}/plan/edit", 403, clinician=303, other=404,
            form=data(what_matters="Sleep", goals="Sleep 7 hours", actions="Review in 2 weeks")),
        row("POST /care/patients/{patient_id}/plan/sign", 403, clinician=303, other=404),
        row("GET /care/patients/{patient_id}/fhir.json", 403, clinician=200, other=404),
        row("GET /api/v1/patients/{patient_id}/fhir", 404, clinician=200, patient=200, other=404),
    ],
    "bedside.web.routes.grants": [
        row("POST /care/patients/{patient_id}/team", 403, admin=303, clinician=303, other=DENIED,
            form=data(email="{A_other_email}", consent="true")),
        row("POST /care/patients/{patient_id}/team/{clinician_id}/remove", 403, admin=303,
            clinician=303, patient=303, other=DENIED),  # a patient may take anyone off their team
        row("GET /care/break-glass", 403, clinician=200),
        row("POST /care/break-glass", 403, clinician=303, b={"clinician": 404},
            form=data(email="{A_patient_email}",
                      justification="Called the ward in crisis; the care team is away")),
        row("POST /care/break-glass/{grant_id}/end", 403, clinician=404),
        row("POST /training/invitations/{invitation_id}/accept", 403, learner=303, clinician=404),
        row("POST /training/invitations/{invitation_id}/decline", 403, learner=404, clinician=404),
        row("POST /training/cohorts/{cohort_id}/members/{user_id}/remove", 404, educator=303,
            admin=303, clinician=303, other=404, ids={"user_id": "A_clinician_id"}),
        row("GET /admin/access", 403, admin=200),
        row("POST /admin/access/break-glass/{grant_id}/reviewed", 403, admin=303),
        row("POST /admin/cohorts/{cohort_id}/members", 403, admin=303,
            form=data(email="{A_learner_email}")),
    ],
    "bedside.web.routes.training": [
        row("GET /training", 403, **dict.fromkeys(PLAYERS, 200)),
        row("POST /training/start", 403, **dict.fromkeys(PLAYERS, 303),
            form=data(scenario_id=SCENARIO)),
        row("GET /training/attempts/{attempt_id}", 403, clinician=200, educator=200, learner=404,
            other=404),
        row("POST /training/attempts/{attempt_id}/reply", 403, clinician=303, educator=404,
            learner=404, other=404, form=data(text="That sounds really hard. Tell me more?")),
        # The attempt is unfinished: those who may see it are told so (400), the others 403/404.
        row("GET /training/attempts/{attempt_id}/debrief", 403, clinician=400, educator=400,
            learner=404, other=404),
        row("GET /training/cohorts", 403, educator=200),
        row("POST /training/cohorts", 403, educator=303, form=data(name="Cohort two")),
        row("GET /training/cohorts/{cohort_id}", 403, educator=200),
        row("POST /training/cohorts/{cohort_id}/members", 403, educator=303,
            form=data(email="{A_learner_email}")),
        row("POST /training/cohorts/{cohort_id}/assign", 403, educator=303,
            form=data(scenario_id=SCENARIO)),
        row("GET /training/cohorts/{cohort_id}/progress.csv", 403, educator=200),
        row("GET /training/cases", 403, **dict.fromkeys(PLAYERS, 200)),
        row("GET /training/cases/{case_id}", 403, **dict.fromkeys(PLAYERS, 200)),
    ],
}

ROWS = [r for rows in MATRIX.values() for r in rows]


# ----- the records ----------------------------------------------------------------------------


@dataclass
class Setting:
    """Both organisations, their accounts, and the ids that fill the path templates."""

    a: World
    b: World
    values: dict[str, Any]


def _org_b(world: World, password_hash: str) -> World:
    with world.session() as session:
        organisation = Organisation(name="Bravo Clinic")
        session.add(organisation)
        session.flush()
        users = {}
        for role in ROLES:
            users[role] = User(
                organisation_id=organisation.id, email=f"{role}@bravo.example",
                display_name=f"Bravo {role.title()}", role=role, password_hash=password_hash,
            )
            session.add(users[role])
        session.flush()
        session.add(TotpCredential(user_id=users["admin"].id, secret=ADMIN_TOTP_SECRET,
                                   confirmed_at=utcnow(), last_step=0))  # admins must have one
        session.commit()
        return World(database=world.database, organisation_id=organisation.id, users=users)


def _actor(session: Any, world: World, name: str) -> User:
    user = session.get(User, world.users[name].id)
    assert user is not None
    return user


def _more_clinicians(world: World, password_hash: str) -> None:
    """`teammate` (on the patient's care team with `clinician`) and `duty` (broke the glass)."""
    with world.session() as session:
        for name in ("teammate", "duty"):
            user = User(organisation_id=world.organisation_id, email=f"{name}@test.example",
                        display_name=name.title(), role="clinician", password_hash=password_hash)
            session.add(user)
            session.flush()
            world.users[name] = user
        session.commit()


def _records_of_a(app: Any, world: World, pipeline: Any) -> dict[str, Any]:
    """Real records of organisation A, made through the services."""
    grant_care(world, "patient", "clinician")
    grant_care(world, "patient", "teammate")
    with world.session() as session:
        for name, user in world.users.items():
            _actor(session, world, name).display_name = f"{user.display_name} {A_MARK}"
        session.commit()
        clinician = _actor(session, world, "clinician")
        patient = _actor(session, world, "patient")
        encounter = encounters.upload(
            session, clinician, [Upload("visit.txt", TRANSCRIPT)], pipeline=pipeline,
            title=f"{A_MARK} headache visit", patient_email=patient.email,
        )
        unrelated = encounters.upload(
            session, _actor(session, world, "other"), [Upload("visit.txt", TRANSCRIPT)],
            pipeline=pipeline, title=f"{A_MARK} other visit",
        )
        job, running = app.state.jobs.submit(
            session, clinician, [Upload("visit.txt", TRANSCRIPT)], title=f"{A_MARK} queued"
        )
        running.result(timeout=60)
        answers = [1, 1, 1, 1, 1, 1, 1, 1, 2]  # item 9 positive: a flag and an urgent task
        result = checkins.submit_checkin(session, patient, "phq9", answers)
        checkins.send_message(session, patient, f"{A_MARK} I have felt low all week.")
        careplans.draft_plan(session, clinician, patient.id)
        attempt = training.start_attempt(session, clinician, SCENARIO)
        token = accounts.create_api_token(session, clinician, "matrix")
        educator = _actor(session, world, "educator")
        cohort_id = session.scalar(select(Cohort.id).where(Cohort.educator_id == educator.id))
        cohort_membership.invite(session, educator, cohort_id, world.users["learner"].email)
        invitation_id = session.scalar(select(CohortInvitation.id))
        glass = break_glass.open_access(
            session, _actor(session, world, "duty"),
            "Called at night in crisis; the care team is away", patient_email=patient.email,
        )
        assert result.flag_ids
        task_id = session.scalar(select(CareTask.id).where(CareTask.flag_id == result.flag_ids[0]))
        assert session.get(CohortMember, (cohort_id, clinician.id)) is not None
        return {
            "encounter_id": encounter.id,
            "F": unrelated.id,
            "job_id": job.id,
            "patient_id": patient.id,
            "task_id": task_id,
            "flag_id": result.flag_ids[0],
            "cohort_id": cohort_id,
            "attempt_id": attempt.id,
            "user_id": world.users["learner"].id,
            "token_id": token.token.id,
            "clinician_id": world.users["teammate"].id,
            "grant_id": glass.id,
            "invitation_id": invitation_id,
            "instrument_id": "phq9",
            "case_id": training.case_studies()[0].id,
            "path": "app.css",
            "A_clinician_id": world.users["clinician"].id,
            "A_duty_id": world.users["duty"].id,
            "A_patient_email": patient.email,
            "A_learner_email": world.users["learner"].email,
            "A_other_email": world.users["other"].email,
        }


def make_setting(app: Any, world: World, pipeline: Any, password_hash: str) -> Setting:
    """Organisation B beside `world` (A), and A's records; the form fuzz builds the same."""
    app.state.training_assessor = ReplyAssessor()  # rules only: deterministic and fast
    b = _org_b(world, password_hash)
    _more_clinicians(world, password_hash)
    values = _records_of_a(app, world, pipeline)
    store_encounter(b, "clinician", pipeline)  # B has records of its own
    return Setting(a=world, b=b, values=values)


@pytest.fixture
def setting(app, world, pipeline, password_hash) -> Setting:
    return make_setting(app, world, pipeline, password_hash)


# ----- the requests ---------------------------------------------------------------------------


class Actor:
    """One actor's two clients: the session cookie for pages, a bearer token for /api."""

    def __init__(self, app: Any, setting: Setting, actor: str) -> None:
        self.name = actor
        if actor == ANON:
            self.page = self.api = Client(app, None, None)
            return
        org, role = actor.split(".")
        world = setting.a if org == "A" else setting.b
        self.page = Client(app, world, role)
        self.api = Client(app, None, None)
        with world.session() as session:
            secret = accounts.create_api_token(session, _actor(session, world, role), "m").secret
        self.api.http.headers["authorization"] = f"Bearer {secret}"

    def call(self, r: Row, values: dict[str, Any]) -> Any:
        fill = {**values, **{name: values[key] for name, key in r.ids.items()},
                "actor": self.name.replace(".", "-")}
        url = r.path.format(**fill)
        client = self.api if r.path.startswith("/api/") else self.page
        if r.method == "GET":
            return client.get(url)
        options = dict(r.form or {})
        if "data" in options:
            options["data"] = {k: v.format(**fill) for k, v in options["data"].items()}
        return client.post(url, **options)


def _order(rows: list[Row]) -> list[Row]:
    """Reads first, then changes in the order written, signing out last."""
    return sorted(rows, key=lambda r: (r.method != "GET", r.path == "/logout"))


def _verdict(actor: str, r: Row, response: Any) -> str | None:
    """What is wrong with this answer, or None."""
    want = r.expected[actor]
    allowed = want if isinstance(want, tuple) else (want,)
    where = f"{actor} {r.method} {r.path} → {response.status_code}"
    if response.status_code not in allowed:
        return f"{where}, expected {want}"
    to_sign_in = str(response.headers.get("location", "")).startswith("/login")
    if actor == ANON and response.status_code == 303 and not to_sign_in:
        return f"{where} to {response.headers['location']}, expected the sign-in page"
    if response.status_code == 200:
        text = response.text
        if actor.startswith("B."):
            for mark in (A_MARK, A_EMAIL):
                if mark in text:
                    return f"{where} shows organisation A's data ({mark!r})"
        for mark in () if r.clinical else NEVER_SHOWN.get(actor, ()):
            if mark in text:
                return f"{where} shows A's patient's {mark!r}"
    return None


# Tables without an organisation column, and how their rows belong to A; columns that change on
# their own (a failed sign-in counts against the account it names, whoever tries).
_BELONGS = {
    "api_tokens": ("user_id", "users"),
    "care_assignments": ("patient_id", "users"),
    "patient_voice": ("patient_id", "users"),
    "cohort_members": ("cohort_id", "cohorts"),
    "cohort_assignments": ("cohort_id", "cohorts"),
    "encounter_shares": ("encounter_id", "encounters"),
    "task_routings": ("task_id", "care_tasks"),
    "totp_credentials": ("user_id", "users"),
}
_VOLATILE = {"audit_events": None, "web_sessions": None, "recovery_codes": None,
             "users": {"failed_logins", "locked_until"}, "api_tokens": {"last_used_at"}}


def _snapshot(world: World) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of organisation A (less the columns that change on their own)."""
    found: dict[str, set[tuple[Any, ...]]] = {}
    with world.database.engine.connect() as connection:
        for table in metadata.sorted_tables:
            volatile = _VOLATILE.get(table.name, set())
            if volatile is None:
                continue
            columns = [c for c in table.c if c.name not in volatile]
            query = select(*columns)
            if "organisation_id" in table.c:
                query = query.where(table.c.organisation_id == world.organisation_id)
            elif table.name in _BELONGS:
                column, owner = _BELONGS[table.name]
                parent = metadata.tables[owner]
                query = query.where(table.c[column].in_(
                    select(parent.c.id).where(parent.c.organisation_id == world.organisation_id)))
            else:
                continue
            found[table.name] = {tuple(map(_hashable, row)) for row in connection.execute(query)}
    return found


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict | list) else value


def _changes(before: dict[str, set[Any]], after: dict[str, set[Any]]) -> list[str]:
    return [f"{name}: {len(before[name] - after[name])} rows changed or gone, "
            f"{len(after[name] - before[name])} new" for name in before if before[name] != after[name]]


@pytest.mark.parametrize("actor", ACTORS)
def test_every_route_for_every_actor(actor, app, setting):
    """Each actor calls every route once; an outsider (anonymous, B) also changes nothing of A."""
    client = Actor(app, setting, actor)
    outsider = actor == ANON or actor.startswith("B.")
    before = _snapshot(setting.a) if outsider else {}
    if outsider:  # the comparison is not vacuous
        assert all(before[name] for name in ("encounters", "care_tasks", "safety_flags",
                                             "care_assignments", "cohort_members", "care_plans"))
    problems = []
    for r in _order(ROWS):
        if actor in r.pending:
            continue
        problem = _verdict(actor, r, client.call(r, setting.values))
        if problem:
            problems.append(problem)
    if outsider:
        problems += [f"{actor} changed A's data: {change}"
                     for change in _changes(before, _snapshot(setting.a))]
    assert not problems, "\n".join(problems)


def test_the_leak_and_change_checks_are_not_vacuous(app, setting):
    """The markers the leak checks look for are there for those entitled, and a change to one
    of A's records shows in the snapshot."""
    clinician = Actor(app, setting, "A.clinician")
    values = setting.values
    report = clinician.page.get(f"/encounters/{values['encounter_id']}").text
    assert A_MARK in report and CLINICAL[0] in report
    patient_page = clinician.page.get(f"/care/patients/{values['patient_id']}").text
    assert CLINICAL[1] in patient_page and A_PATIENT in patient_page
    admin = Actor(app, setting, "A.admin")
    assert A_EMAIL in admin.page.get("/admin/users").text
    before = _snapshot(setting.a)
    assert clinician.call(row("POST /care/tasks/{task_id}/done", 303), values).status_code == 303
    changes = _changes(before, _snapshot(setting.a))
    assert "care_tasks: 1 rows changed or gone, 1 new" in changes, changes


PENDING = [
    pytest.param(actor, r, id=f"{actor} {r.method} {r.path}",
                 marks=pytest.mark.xfail(strict=True, reason=reason))
    for r in ROWS
    for actor, reason in r.pending.items()
]


@pytest.mark.parametrize(("actor", "r"), PENDING or [pytest.param(None, None, id="none pending")])
def test_pending_rules_of_issue_11(actor, r, app, setting):
    if r is None:  # every rule of issue 11 the matrix waited for has landed
        return
    problem = _verdict(actor, r, Actor(app, setting, actor).call(r, setting.values))
    assert problem is None, problem


# ----- nothing escapes the matrix -------------------------------------------------------------


def _route_table(app: Any) -> dict[tuple[str, str], str]:
    """(method, path) → the module defining it, for every route of the app, mounts included."""
    table = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            module = type(route.app).__module__
            table[("GET", f"{route.path}/{{path}}")] = module
            continue
        module = getattr(context.endpoint, "__module__", "?")
        for method in sorted((context.methods or set()) - {"HEAD"}):
            table[(method, context.path)] = module
    return table


def test_the_matrix_covers_every_route_of_the_app(app):
    table = _route_table(app)
    listed = {r.key: module for module, rows in MATRIX.items() for r in rows}
    missing = sorted(f"{m} {p}  (in {table[(m, p)]})" for m, p in set(table) - set(listed))
    stale = sorted(f"{m} {p}" for m, p in set(listed) - set(table))
    misplaced = sorted(
        f"{m} {p}: listed under {listed[(m, p)]}, defined in {table[(m, p)]}"
        for m, p in set(table) & set(listed) if table[(m, p)] != listed[(m, p)]
    )
    assert not missing, "routes missing from the matrix (add a row):\n" + "\n".join(missing)
    assert not stale, "rows for routes the app no longer has:\n" + "\n".join(stale)
    assert not misplaced, "\n".join(misplaced)
    assert len(ROWS) == len(listed), "a route is listed twice"


def test_every_route_module_is_in_the_app(app):
    """The check-in and training routers are optional imports: the matrix needs them present."""
    from bedside.web.routes import OPTIONAL_ROUTE_MODULES, ROUTE_MODULES

    modules = set(_route_table(app).values())
    for name in (*ROUTE_MODULES, *OPTIONAL_ROUTE_MODULES):
        assert name in modules, f"{name} contributes no route to the app"


def test_every_api_route_takes_bounded_ids(app):
    """Ids are bounded in the schema (RecordId): 2^63 and 2^70 answer 422, never a 500."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        for param in route.dependant.path_params:
            if param.field_info.annotation is int:
                limits = {type(m).__name__ for m in param.field_info.metadata}
                assert {"Ge", "Le"} <= limits, f"{route.path}: {{{param.name}}} is an unbounded int"
