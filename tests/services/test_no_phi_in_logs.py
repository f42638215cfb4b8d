"""No health data in any log line (issue 11, finding 7; ASVS 7.1.1, HIPAA §164.312(b)).

A marker string stands in for patient content: it goes into a transcript, a message and what
matters to a patient, and a PHQ-9 with item 9 answered goes in beside them. Then the database
fails under each of them, the way it did in the report: a lock held by another connection (the
statement times out), a constraint whose PostgreSQL error echoes the failing row, a trigger
that aborts the insert. Every failure is logged the way the server logs it (the services' own
log lines, and `uvicorn.error` with the traceback for what escapes), SQLAlchemy's statement log
is on, and the test fails if the marker or an answer value reaches any record (caplog) or the
output of a root handler.
"""

from __future__ import annotations

import io
import logging
import re
import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from bedside.db.session import DatabaseTimeouts, make_engine, make_sessionmaker
from bedside.db.tables import User
from bedside.logsafe import REDACTED, install_log_redaction, redact_text
from bedside.services import checkins, encounters
from bedside.services.database import Database
from bedside.services.encounters import Upload

MARKER = "Zebracorn5521"
ANSWER_VALUE = re.compile(r"""item9["']?\s*[:=]\s*\d""")
HEALTH_TABLES = ("patient_messages", "patient_voice", "checkins", "safety_flags", "care_tasks",
                 "encounters")


@pytest.fixture
def fast_failing(world):
    """The world's database with timeouts short enough for a held lock to fail a statement."""
    engine = make_engine(world.database.url, timeouts=DatabaseTimeouts(
        statement_s=5.0, lock_s=0.3, idle_in_transaction_s=30.0, sqlite_busy_s=0.3))
    yield Database(url=world.database.url, engine=engine, sessions=make_sessionmaker(engine))
    engine.dispose()


@pytest.fixture
def root_output():
    """A handler on the root logger, as a deployment has one; its formatted output."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous = logging.getLogger("sqlalchemy.engine").level
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # statements logged too
    install_log_redaction()  # what `bedside` and `create_app` do at start-up
    try:
        yield stream
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(previous)
        root.removeHandler(handler)


def _operations(world, pipeline):
    transcript = (f"Dr Lee: How are things?\nPatient: {MARKER} I am worried about my heart.\n"
                  "Dr Lee: I understand.\n").encode()
    return {
        "message": lambda s: checkins.send_message(
            s, s.get(User, world.users["patient"].id), f"{MARKER} I feel hopeless and want to die"),
        "voice": lambda s: checkins.save_voice(
            s, s.get(User, world.users["patient"].id), f"{MARKER} my garden", [f"{MARKER} walk"]),
        "checkin": lambda s: checkins.submit_checkin(
            s, s.get(User, world.users["patient"].id), "phq9", [2, 2, 2, 2, 2, 2, 2, 2, 3]),
        "upload": lambda s: encounters.upload(
            s, s.get(User, world.users["clinician"].id), [Upload("visit.txt", transcript)],
            pipeline=pipeline, title=f"{MARKER} visit"),
    }


@contextmanager
def _lock_held(database):
    """Another connection holds the health tables (PostgreSQL) or the write lock (SQLite)."""
    if database.engine.dialect.name == "postgresql":
        holder = create_engine(database.url)
        with holder.connect() as connection:
            connection.execute(text(f"LOCK TABLE {', '.join(HEALTH_TABLES)} IN ACCESS EXCLUSIVE MODE"))
            yield
            connection.rollback()
        holder.dispose()
        return
    path = database.url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, timeout=5, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def _rows_refused(database):
    """Inserts into the health tables fail: a CHECK whose PostgreSQL error shows the failing row
    (`DETAIL: Failing row contains (...)`), or an aborting trigger on SQLite."""
    with database.engine.begin() as connection:
        for table in HEALTH_TABLES:
            if connection.dialect.name == "postgresql":
                connection.execute(text(
                    f"ALTER TABLE {table} ADD CONSTRAINT h6_fault CHECK (id < 0) NOT VALID"))
            else:
                connection.execute(text(
                    f"CREATE TRIGGER h6_fault_{table} BEFORE INSERT ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"))
    try:
        yield
    finally:
        with database.engine.begin() as connection:
            for table in HEALTH_TABLES:
                if connection.dialect.name == "postgresql":
                    connection.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT h6_fault"))
                else:
                    connection.execute(text(f"DROP TRIGGER h6_fault_{table}"))


def _run_as_the_server_would(database, operation):
    """One request's unit of work; what escapes is logged like uvicorn logs it (traceback)."""
    with database.sessions() as session:
        try:
            operation(session)
        except Exception:
            logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
            session.rollback()


def _everything_logged(caplog, root_output) -> str:
    formatter = logging.Formatter("%(message)s")
    parts = [root_output.getvalue()]
    for record in caplog.records:
        parts.append(formatter.format(record))
        parts.append(record.exc_text or "")
        parts.append(repr(record.args))
        parts.extend(str(value) for value in vars(record).values())
    return "\n".join(parts)


def test_no_marker_or_answer_reaches_the_log_under_injected_database_faults(
    world, fast_failing, pipeline, caplog, root_output
):
    caplog.set_level(logging.DEBUG)
    operations = _operations(world, pipeline)
    for operation in operations.values():  # the success paths log too
        _run_as_the_server_would(fast_failing, operation)
    with _lock_held(fast_failing):
        for operation in operations.values():
            _run_as_the_server_would(fast_failing, operation)
    with _rows_refused(fast_failing):
        for operation in operations.values():
            _run_as_the_server_would(fast_failing, operation)
    logged = _everything_logged(caplog, root_output)
    assert re.search(r"lock|LockNotAvailable|OperationalError", logged), "no lock fault was logged"
    assert re.search(r"CheckViolation|IntegrityError|injected fault", logged), "no row fault logged"
    assert "Traceback" in logged  # tracebacks are kept, redacted
    assert MARKER not in logged
    assert not ANSWER_VALUE.search(logged), ANSWER_VALUE.search(logged)


def test_the_carriers_are_real_and_the_redaction_removes_them(world):
    """Without `hide_parameters` SQLAlchemy's error carries the values; the log filter still
    removes them, and PostgreSQL's DETAIL line, from the message and the traceback."""
    engine = create_engine(world.database.url, hide_parameters=False)
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError) as failure:
            connection.execute(text("INSERT INTO no_such_table (text) VALUES (:t)"),
                               {"t": f"{MARKER} item9: 3"})
    finally:
        engine.dispose()
    message = str(failure.value)
    assert MARKER in message  # the carrier exists
    assert MARKER not in redact_text(message) and f"[parameters: {REDACTED}]" in redact_text(message)
    detail = ('new row violates check constraint "c"\nDETAIL:  Failing row contains '
              f'(7, {MARKER}, {{"item9": 3, "total": 19}}).')
    assert MARKER not in redact_text(detail) and "item9" not in redact_text(detail)
    assert redact_text('Key (email)=(x@y.example) already exists.') == f"Key (email)=({REDACTED}) already exists."
    hidden = make_engine(world.database.url)
    try:
        with hidden.connect() as connection, pytest.raises(DBAPIError) as failure:
            connection.execute(text("INSERT INTO no_such_table (text) VALUES (:t)"), {"t": MARKER})
    finally:
        hidden.dispose()
    assert MARKER not in str(failure.value)  # bedside's engines hide bound values


def test_log_calls_with_phi_arguments_or_fields_are_redacted(caplog, root_output):
    caplog.set_level(logging.INFO)
    log = logging.getLogger("bedside.test")
    log.info("check-in %s", {"answers": [0, 1, 3], "item9": 3, "total": 19, "id": 5})
    log.info("stored", extra={"transcript": MARKER, "encounter": 12})
    try:
        raise ValueError(f"bad input\nDETAIL:  Failing row contains ({MARKER})")
    except ValueError:
        log.exception("failed")
    logged = _everything_logged(caplog, root_output)
    assert MARKER not in logged and not ANSWER_VALUE.search(logged)
    assert "'id': 5" in logged  # what is not health data stays readable


def test_text_arguments_cannot_forge_a_log_line(caplog, root_output):
    caplog.set_level(logging.INFO)
    logging.getLogger("bedside.test").error(
        "internal error on %s %s", "GET", "/x\nCRITICAL bedside forged entry\r")
    lines = root_output.getvalue().splitlines()
    assert [line for line in lines if "forged" in line] == [
        "ERROR bedside.test internal error on GET /x\\nCRITICAL bedside forged entry\\r"]
