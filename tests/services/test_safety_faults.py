"""Fault injection (issue 11, finding 4): a database fault at every step of the safety protocol.

For each source that can raise a flag (a PHQ-9 with item 9 above 0, a risk message, a positive
interpersonal-safety screen), a dry run counts the statements and commits the protocol issues;
then, for every k, the k-th one fails with the driver's own OperationalError:

* once (a transient fault): the flag, the record and the urgent task must all be stored (each
  step is retried once), the task visible to an active clinician;
* from k on (the database goes away): the flag is stored and visible, or the patient is told it
  was not saved; either way the patient sees crisis resources.

Through the web the same faults must never answer 500. Both run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from bedside.db.tables import User
from bedside.db.tables_care import CareTask, CheckIn, PatientMessage, SafetyFlag
from bedside.services import checkins, safety_routing
from web_fixtures import as_app_role

MARKER = "Zyxwvut-marker"  # a message text that must never reach the log
RISK_MESSAGE = f"I want to end my life {MARKER}"
PHQ9_RISK = [0] * 8 + [2]
SOCIAL_RISK = {
    "physically_hurt": "sometimes",
    "insult": "fairly_often",
    "threaten": "rarely",
    "scream_curse": "fairly_often",
}


class FaultInjector:
    """Fails the k-th cursor execute or commit on an engine while armed (once, or from k on).

    From k on, rollbacks fail as well, as they do when the server is gone.
    """

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.dbapi_error = engine.dialect.loaded_dbapi.OperationalError
        self.active = False
        self.count = 0
        self.fail_at: int | None = None
        self.persistent = False
        self.fired = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def arm(self, fail_at: int | None, *, persistent: bool = False) -> None:
        self.count, self.fail_at, self.persistent, self.fired = 0, fail_at, persistent, 0

    def _step(self) -> bool:
        if not self.active:
            return False
        self.count += 1
        if self.fail_at is None:
            return False
        hit = self.count == self.fail_at or (self.persistent and self.count > self.fail_at)
        self.fired += hit
        return hit

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self._step():
            raise self.dbapi_error(f"injected fault at step {self.count}")

    def _commit(self, conn: Any) -> None:
        if self._step():
            raise OperationalError("COMMIT", None, self.dbapi_error(f"injected at {self.count}"))

    def _rollback(self, conn: Any) -> None:
        """Once the database has gone away, rolling back fails too (not counted as a step)."""
        if self.active and self.persistent and self.fail_at is not None and self.count >= self.fail_at:
            raise OperationalError("ROLLBACK", None, self.dbapi_error("injected: server gone"))

    @contextmanager
    def during(self) -> Iterator[None]:
        self.active = True
        try:
            yield
        finally:
            self.active = False


@pytest.fixture
def injector(world):
    faults = FaultInjector(world.database.engine)
    yield faults
    faults.remove()


@dataclass(frozen=True)
class Source:
    """One way a patient raises a flag: the service call and the table its record goes to."""

    name: str
    record_table: Any
    call: Callable[[Any, User], Any]
    path: str
    form: dict[str, Any]


def _checkin(session: Any, patient: User) -> Any:
    return checkins.submit_checkin(session, patient, "phq9", PHQ9_RISK)


def _message(session: Any, patient: User) -> Any:
    return checkins.send_message(session, patient, RISK_MESSAGE)


def _social(session: Any, patient: User) -> Any:
    return checkins.submit_social_needs(session, patient, SOCIAL_RISK)[1]


SOURCES = [
    Source("checkin", CheckIn, _checkin, "/checkins/new/phq9",
           {f"item{n}": str(v) for n, v in enumerate(PHQ9_RISK, start=1)}),
    Source("message", PatientMessage, _message, "/checkins/message", {"text": RISK_MESSAGE}),
    Source("social", CheckIn, _social, "/checkins/social", SOCIAL_RISK),
]


def _count(world, table: Any) -> int:
    with world.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def _steps(world, injector: FaultInjector, source: Source) -> int:
    """Dry run: how many statements and commits the protocol issues for this source."""
    injector.arm(None)
    with world.session() as session:
        patient = session.get(User, world.users["patient"].id)
        with injector.during():
            source.call(session, patient)
    return injector.count


def _assert_reaches_an_active_clinician(world, flag_ids: tuple[int, ...]) -> None:
    """Each flag is open, has its urgent task (after reconcile), and both reach a clinician."""
    with world.session() as session:
        safety_routing.reconcile_tasks(session, world.organisation_id)
        clinician = session.get(User, world.users["clinician"].id)
        tasks = {t.flag_id: t for t in checkins.open_tasks(session, clinician)}
        flags = {f.id for f in checkins.open_flags(session, clinician)}
        for flag_id in flag_ids:
            assert session.get(SafetyFlag, flag_id).status == "open"
            assert flag_id in flags and flag_id in tasks and tasks[flag_id].priority == "urgent"
            assert clinician.is_active and clinician.role == "clinician"


def _run_every_step(world, injector, source: Source, *, persistent: bool) -> dict[str, int]:
    steps = _steps(world, injector, source)
    assert steps >= 5  # flag, audit, commit, record, task, ... : the protocol really was counted
    outcomes = {"flag_stored": 0, "flag_not_stored": 0, "record_lost": 0}
    for k in range(1, steps + 1):
        flags_before, records_before = _count(world, SafetyFlag), _count(world, source.record_table)
        injector.arm(k, persistent=persistent)
        with world.session() as session:
            patient = session.get(User, world.users["patient"].id)
            with injector.during():
                result = source.call(session, patient)  # never raises
                assert patient.display_name == "Patient"  # the page can still render its header
        assert injector.fired, f"step {k} of {steps} was never reached"
        assert result.crisis is not None, f"no crisis resources after a fault at step {k}"
        new_flags = _count(world, SafetyFlag) - flags_before
        assert new_flags == len(result.flag_ids)  # nothing stored that the result does not say
        assert result.stored == (_count(world, source.record_table) > records_before)
        if result.flag_ids:
            outcomes["flag_stored"] += 1
            _assert_reaches_an_active_clinician(world, result.flag_ids)
        else:
            outcomes["flag_not_stored"] += 1
            assert not result.stored  # a lost flag is a told one: the patient reads "not saved"
        outcomes["record_lost"] += not result.stored
    return outcomes


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
def test_a_transient_fault_at_any_step_never_loses_the_flag(world, injector, source, caplog):
    with caplog.at_level(logging.DEBUG):
        outcomes = _run_every_step(world, injector, source, persistent=False)
    assert outcomes["flag_not_stored"] == 0  # step 1 is retried once
    assert outcomes["record_lost"] == 0  # and so is step 2: one fault costs nothing
    assert MARKER not in caplog.text and "end my life" not in caplog.text


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
def test_the_database_going_away_at_any_step_is_told_or_the_flag_is_kept(
    world, injector, source, caplog
):
    with caplog.at_level(logging.DEBUG):
        outcomes = _run_every_step(world, injector, source, persistent=True)
    assert outcomes["flag_stored"] >= 1 and outcomes["flag_not_stored"] >= 1
    alerts = [r for r in caplog.records if "SAFETY FLAG NOT STORED" in r.getMessage()]
    assert len(alerts) == outcomes["flag_not_stored"]
    assert all(r.levelno == logging.CRITICAL for r in alerts)
    assert MARKER not in caplog.text and "Patient" not in caplog.text  # ids, never names or words


def test_faults_under_the_least_privilege_role_keep_the_flag(world, injector, backend):
    """The same sweep as the application's own database role (PostgreSQL `bedside_app`)."""
    with as_app_role(world, backend):
        once = _run_every_step(world, injector, SOURCES[0], persistent=False)
        gone = _run_every_step(world, injector, SOURCES[1], persistent=True)
    assert once["flag_not_stored"] == 0 and once["record_lost"] == 0
    assert gone["flag_stored"] >= 1


@pytest.mark.parametrize("persistent", [False, True], ids=["once", "from-k-on"])
@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
def test_the_patient_never_gets_an_error_page(
    world, injector, client_for, monkeypatch, source, persistent
):
    steps = _steps(world, injector, source)
    patient = client_for("patient")
    service = {"checkin": "submit_checkin", "message": "send_message", "social": "submit_social_needs"}
    original = getattr(checkins, service[source.name])

    def armed(*args: Any, **kwargs: Any) -> Any:
        injector.active = True  # stays on for the rest of the request when persistent
        try:
            return original(*args, **kwargs)
        finally:
            injector.active = persistent

    monkeypatch.setattr(checkins, service[source.name], armed)
    for k in range(1, steps + 1):
        flags_before = _count(world, SafetyFlag)
        injector.arm(k, persistent=persistent)
        response = patient.post(source.path, data=source.form)
        injector.active = False
        assert response.status_code == 200, f"fault at step {k}: {response.status_code}"
        assert "Getting help now" in response.text
        if _count(world, SafetyFlag) == flags_before or "not-saved" in response.text:
            assert "could not save this" in response.text
        else:
            assert "could not save this" not in response.text


def test_the_tasks_only_retry_and_reconcile_cover_a_lost_task(world, injector):
    """After the record step fails, a fault in the tasks-only retry leaves the task to reconcile."""
    steps = _steps(world, injector, SOURCES[0])
    with world.session() as session:
        before = session.scalar(select(func.count()).select_from(CareTask))
    pending = 0
    for k in range(1, steps + 1):
        injector.arm(k, persistent=True)
        with world.session() as session:
            patient = session.get(User, world.users["patient"].id)
            with injector.during():
                result = checkins.submit_checkin(session, patient, "phq9", PHQ9_RISK)
        if result.flag_ids:
            with world.session() as session:
                has_task = session.scalar(
                    select(CareTask.id).where(CareTask.flag_id == result.flag_ids[0])
                )
            pending += has_task is None
            _assert_reaches_an_active_clinician(world, result.flag_ids)
    assert pending >= 1  # some faults really did leave the task to reconcile
    with world.session() as session:
        assert session.scalar(select(func.count()).select_from(CareTask)) > before
