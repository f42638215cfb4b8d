"""Shared fixtures for the web, db and services tests: one database per backend, a world of
accounts (one per role), a fake analysis pipeline, and signed-in test clients.

Every test runs on SQLite and again on PostgreSQL (127.0.0.1:5432, database `test`, a fresh
schema per run, dropped afterwards). Set BEDSIDE_TEST_POSTGRES=0 to skip PostgreSQL locally.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from starlette.testclient import TestClient

from bedside.db import load_table_modules, metadata
from bedside.db.base import utcnow
from bedside.db.tables import Cohort, CohortMember, Organisation, User, UserRole
from bedside.db.tables_credentials import TotpCredential
from bedside.model import (
    AnalysisReport,
    CompassionScore,
    Conversation,
    EncounterMetrics,
    Opportunity,
    Role,
    TurnAnalysis,
)
from bedside.services import accounts
from bedside.services.database import Database, open_database, upgrade
from bedside.services.encounters import Upload

PG_ROOT = os.environ.get("BEDSIDE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"
# The test admin's authenticator (admins must have one): `totp_now()` gives its current code.
ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECRET = "test-secret-key-" + "x" * 32
ROOT = Path(__file__).resolve().parents[1]
PRIMOCK = ROOT / "data" / "samples" / "primock57"


def _backends() -> list[Any]:
    params: list[Any] = ["sqlite"]
    if os.environ.get("BEDSIDE_TEST_POSTGRES", "1") != "0":
        params.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    return params


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash for every test account (hashing is deliberately slow)."""
    return accounts.hash_password(PASSWORD)


@pytest.fixture(scope="session", params=_backends())
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A migrated database template for this backend."""
    load_table_modules()
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("sqlite")
        template = folder / "template.sqlite3"
        upgrade(f"sqlite:///{template}")
        yield {"name": "sqlite", "template": template, "folder": folder}
        return
    schema = f"bedside_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ROOT, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # pragma: no cover - depends on the machine
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_ROOT}: {error}")
    url = f"{PG_ROOT}?options=-csearch_path%3D{schema}"
    upgrade(url)
    try:
        yield {"name": "postgresql", "url": url, "schema": schema}
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database(backend: dict[str, Any], tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated, empty database for one test."""
    if backend["name"] == "sqlite":
        path = tmp_path / "bedside.sqlite3"
        shutil.copyfile(backend["template"], path)
        db = open_database(f"sqlite:///{path}")
        yield db
        db.dispose()
        return
    db = open_database(backend["url"])
    yield db
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.dispose()


@dataclass
class World:
    """An organisation with one account per role, a second clinician, and a cohort."""

    database: Database
    organisation_id: int
    users: dict[str, User] = field(default_factory=dict)

    def session(self) -> Any:
        return self.database.sessions()


ROLES = ("admin", "educator", "clinician", "learner", "patient", "researcher")


@pytest.fixture
def world(database: Database, password_hash: str) -> World:
    """Accounts: one per role, plus `other` (a clinician outside the educator's cohort)."""
    with database.sessions() as session:
        organisation = Organisation(name="Test Clinic")
        session.add(organisation)
        session.flush()
        created: dict[str, User] = {}
        for name in (*ROLES, "other"):
            role = "clinician" if name == "other" else name
            user = User(
                organisation_id=organisation.id, email=f"{name}@test.example",
                display_name=name.title(), role=role, password_hash=password_hash,
            )
            session.add(user)
            created[name] = user
        session.flush()
        cohort = Cohort(organisation_id=organisation.id, name="Cohort A", educator_id=created["educator"].id)
        session.add(cohort)
        session.add(TotpCredential(user_id=created["admin"].id, secret=ADMIN_TOTP_SECRET,
                                   confirmed_at=utcnow(), last_step=0))
        session.flush()
        session.add(CohortMember(cohort_id=cohort.id, user_id=created["clinician"].id))
        session.commit()
        return World(database=database, organisation_id=organisation.id, users=created)


class FakePipeline:
    """The real readers with a small, transparent stand-in for the engine.

    The web layer is tested against this so that its tests do not depend on model weights: a
    patient turn with "worried" is a cue; the next clinician turn misses it unless it says
    "understand". The real engine is exercised in `test_real_pipeline`.
    """

    def __init__(self) -> None:
        from bedside.services.encounters import DefaultPipeline

        self.reader = DefaultPipeline()
        self.calls = 0

    def read(self, files: list[Upload]) -> Conversation:
        return self.reader.read(files)

    def analyse(self, conversation: Conversation) -> AnalysisReport:
        self.calls += 1
        turns = []
        opportunities = []
        words: dict[str, float] = {}
        counts: dict[str, int] = {}
        for index, turn in enumerate(conversation.turns):
            role = turn.role.value
            words[role] = words.get(role, 0) + turn.words
            counts[role] = counts.get(role, 0) + 1
            cue = turn.role is Role.PATIENT and "worried" in turn.text.lower()
            turns.append(TurnAnalysis(index=index, speaker=turn.speaker.name, role=turn.role,
                                      text=turn.text, start=turn.start, end=turn.end,
                                      cue=cue if turn.role is Role.PATIENT else None))
            if cue:
                reply = next((i for i in range(index + 1, len(conversation.turns))
                              if conversation.turns[i].role is Role.CLINICIAN), None)
                answered = reply is not None and "understand" in conversation.turns[reply].text.lower()
                opportunities.append(Opportunity(
                    cue_turn=index, response_turn=reply,
                    response="acknowledged" if answered else "missed",
                    suggestion=None if answered else "That sounds worrying. Tell me more?",
                ))
        total = sum(words.values()) or 1
        missed = sum(o.response == "missed" for o in opportunities)
        return AnalysisReport(
            id=conversation.id,
            turns=tuple(turns),
            metrics=EncounterMetrics(talk_time_basis="words",
                                     talk_time_share={k: v / total for k, v in words.items()},
                                     turns=counts),
            opportunities=tuple(opportunities),
            score=CompassionScore(compassion=max(0, 80 - 10 * missed), components={"missed": missed}),
        )


@pytest.fixture
def pipeline() -> FakePipeline:
    return FakePipeline()


TRANSCRIPT = (
    b"Dr Lee: Hello, what brings you in today?\n"
    b"Patient: I'm worried about these headaches.\n"
    b"Dr Lee: How long have you had them?\n"
    b"Patient: Two weeks. I'm worried it is serious.\n"
    b"Dr Lee: I understand, that sounds frightening.\n"
)


def totp_now(secret: str = ADMIN_TOTP_SECRET, *, offset: int = 0) -> str:
    """The authenticator code for `secret`, `offset` 30-second steps from now."""
    import pyotp

    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(utcnow()) + offset)


class Client:
    """A TestClient for one role: signed in with a real session cookie, sends the CSRF token.

    Over https:// the cookies are the `__Host-` ones; `csrf` is always the current token (it is
    rotated when the session changes).
    """

    def __init__(self, app: Any, world: World | None, name: str | None, *, base_url: str = "http://testserver") -> None:
        self.http = TestClient(app, base_url=base_url, follow_redirects=False)
        self.secure = base_url.startswith("https:")
        self.session_cookie = "__Host-bedside_session" if self.secure else "bedside_session"
        self.csrf_cookie = "__Host-csrftoken" if self.secure else "csrftoken"
        self.user = world.users[name] if world and name else None
        if world is not None and name is not None:
            with world.session() as session:
                token = accounts.start_session(session, session.get(User, self.user.id))
            self.http.cookies.set(self.session_cookie, token)
        self.http.get("/login")  # sets the csrftoken cookie

    @property
    def csrf(self) -> str | None:
        return self.http.cookies.get(self.csrf_cookie)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.http.get(url, **kwargs)

    def post(self, url: str, *, csrf: bool = True, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        if csrf and self.csrf:
            headers.setdefault("x-csrftoken", self.csrf)
        return self.http.post(url, headers=headers, **kwargs)

    def upload(self, *files: tuple[str, bytes], **data: str) -> Any:
        return self.post("/encounters", files=[("files", f) for f in files], data=data)


@pytest.fixture
def make_app(world: World, pipeline: FakePipeline) -> Iterator[Any]:
    """Build apps on the test's database; their analysis workers are stopped before it is emptied.

    An upload answers at once and its analysis goes on in the app's worker thread; left running,
    it could still be writing while the teardown truncates the tables (a deadlock on PostgreSQL).
    """
    from bedside.web.app import create_app

    built: list[Any] = []

    def build(**kwargs: Any) -> Any:
        kwargs.setdefault("pipeline", pipeline)
        made = create_app(database=world.database, secret_key=SECRET, **kwargs)
        built.append(made)
        return made

    yield build
    for made in built:
        runner = getattr(made.state, "jobs", None)
        if runner is not None:
            runner.shutdown()


@pytest.fixture
def app(make_app: Any) -> Any:
    return make_app()


@pytest.fixture
def client_for(app: Any, world: World) -> Any:
    """`client_for("clinician")` → a signed-in client; `client_for(None)` → anonymous."""

    def make(name: str | None) -> Client:
        return Client(app, world, name)

    return make


def primock_pair(stem: str = "day1_consultation01") -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(PRIMOCK.glob(f"{stem}_*.TextGrid"))]


def store_encounter(world: World, owner: str, pipeline: FakePipeline, *, patient: str | None = None) -> int:
    """Upload the small transcript as `owner` through the service; returns the encounter id.

    Linking a patient needs the owner on the patient's care team, so an admin grants it first.
    """
    from bedside.services import encounters

    if patient:
        grant_care(world, patient, owner)
    with world.session() as session:
        actor = session.get(User, world.users[owner].id)
        encounter = encounters.upload(
            session, actor, [Upload("visit.txt", TRANSCRIPT)], pipeline=pipeline,
            patient_email=f"{patient}@test.example" if patient else "",
        )
        return encounter.id


def _next_revision(world: World, patient_id: int) -> int:
    from sqlalchemy import func, select

    from bedside.db.tables_care import CarePlanRecord

    with world.session() as session:
        latest = session.scalar(
            select(func.max(CarePlanRecord.revision)).where(CarePlanRecord.patient_id == patient_id)
        )
    return (latest or 0) + 1


def store_patient_records(world: World, marker: str, *, patient: str = "patient") -> dict[str, int]:
    """One row in every table that holds a patient's words, each carrying `marker`.

    For the data-at-rest and lifecycle tests: the marker must never appear in the raw database,
    and must appear in the patient's export. Returns the new row ids by table name.
    """
    from datetime import date

    from bedside.db.tables import Encounter
    from bedside.db.tables_care import CarePlanRecord, CheckIn, PatientMessage, PatientVoice
    from bedside.db.tables_training import TrainingAttempt
    from bedside.instruments import build_care_plan

    org = world.organisation_id
    patient_id = world.users[patient].id
    clinician_id = world.users["clinician"].id
    document = {"turns": [{"speaker": "Patient", "text": f"I am {marker}"}]}
    rows = {
        "encounters": Encounter(
            organisation_id=org, owner_id=clinician_id, patient_id=patient_id, title=f"Visit {marker}",
            source_name=f"{marker}.txt", turn_count=1, conversation=document, analysis=document,
            report=document,
        ),
        "patient_messages": PatientMessage(organisation_id=org, patient_id=patient_id, text=marker),
        "checkins": CheckIn(
            organisation_id=org, patient_id=patient_id, instrument="ahc_hrsn", version=1,
            answers={"answers": {"free_text": marker}},
        ),
        "patient_voice": PatientVoice(
            patient_id=patient_id, what_matters=marker, goals={"goals": [marker]}
        ),
        "care_plans": CarePlanRecord(
            organisation_id=org, patient_id=patient_id, revision=_next_revision(world, patient_id),
            status="draft",
            document=build_care_plan(what_matters=marker, goals=[marker], today=date(2026, 12, 1))
            .model_dump(mode="json"),
            author_id=clinician_id,
        ),
        "training_attempts": TrainingAttempt(
            organisation_id=org, user_id=world.users["learner"].id, scenario_id="s",
            scenario_version=1, state={"replies": [marker]},
        ),
    }
    with world.session() as session:
        session.add_all(rows.values())
        session.commit()
        return {table: row.id for table, row in rows.items()}


def grant_care(world: World, patient: str, clinician: str, *, by: str = "admin") -> None:
    """`by` (an admin, or a clinician on the team) adds `clinician` to `patient`'s care team."""
    from bedside.services import grants

    with world.session() as session:
        granter = session.get(User, world.users[by].id)
        grants.grant_care(
            session, granter, world.users[patient].id, f"{clinician}@test.example", consent=True
        )


def follow_job(client: Client, response: Any, *, timeout_s: float = 60.0) -> str:
    """The report URL an upload's progress page turns into: polls the job until it is done.

    A web upload answers 303 to `/encounters/jobs/<id>` at once; that page answers 303 to the
    report once the analysis is stored. Fails if the job fails or takes longer than `timeout_s`.
    """
    import time

    assert response.status_code == 303, response.text
    location = str(response.headers["location"])
    deadline = time.monotonic() + timeout_s
    while location.startswith("/encounters/jobs/"):
        page = client.get(location)
        if page.status_code == 303:
            location = str(page.headers["location"])
            break
        assert page.status_code == 200, page.text
        assert "did not finish" not in page.text, page.text
        assert time.monotonic() < deadline, f"the analysis job at {location} did not finish"
        time.sleep(0.02)
    return location


@contextmanager
def as_app_role(world: World, backend: dict[str, Any], role: str = "bedside_app") -> Iterator[None]:
    """Run the block as the least-privilege PostgreSQL role that migration 0007 creates (the one
    production uses); on SQLite, which has no roles, the block runs as the file's owner."""
    if backend["name"] != "postgresql":
        yield
        return
    engine = world.database.engine

    def enter(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{role}"')
        dbapi_connection.commit()  # a session-level SET, outside the coming transaction

    def leave(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is None:  # invalidated: nothing to reset
            return
        with dbapi_connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
        dbapi_connection.commit()

    event.listen(engine, "checkout", enter)
    event.listen(engine, "checkin", leave)
    try:
        yield
    finally:
        event.remove(engine, "checkout", enter)
        event.remove(engine, "checkin", leave)


__all__ = [
    "ADMIN_TOTP_SECRET",
    "PASSWORD",
    "PRIMOCK",
    "ROLES",
    "TRANSCRIPT",
    "Client",
    "FakePipeline",
    "UserRole",
    "World",
    "as_app_role",
    "follow_job",
    "grant_care",
    "primock_pair",
    "store_encounter",
    "store_patient_records",
    "totp_now",
]
