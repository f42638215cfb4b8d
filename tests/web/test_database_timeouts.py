"""Statement and lock timeouts on both databases: a held lock makes a request answer 503
"busy, try again" within the lock timeout, not hang (issue 11, finding 6)."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bedside.config import Settings
from bedside.db.session import DatabaseTimeouts, is_busy
from bedside.services.database import open_database
from web_fixtures import SECRET, Client

QUICK = Settings(db_lock_timeout_s=0.5, db_statement_timeout_s=1.0,
                 db_idle_in_transaction_timeout_s=2.0)


@pytest.fixture
def quick_database(world):
    """A second handle on the test database whose statements give up quickly."""
    database = open_database(world.database.url, settings=QUICK)
    yield database
    database.dispose()


@contextmanager
def held_lock(world, backend):
    """Another connection holding the lock an upload list needs, until the block ends."""
    if backend["name"] == "postgresql":
        with world.database.engine.connect() as connection:
            connection.execute(text("LOCK TABLE encounters IN ACCESS EXCLUSIVE MODE"))
            yield
            connection.rollback()
        return
    connection = sqlite3.connect(world.database.url.removeprefix("sqlite:///"), timeout=0)
    connection.execute("BEGIN IMMEDIATE")  # the write lock: the audit row cannot be written
    try:
        yield
    finally:
        connection.rollback()
        connection.close()


def test_every_connection_gets_the_timeouts(backend, quick_database):
    with quick_database.engine.connect() as connection:
        if backend["name"] == "postgresql":
            shown = {name: connection.execute(text(f"SHOW {name}")).scalar()
                     for name in ("statement_timeout", "lock_timeout",
                                  "idle_in_transaction_session_timeout")}
            assert shown == {"statement_timeout": "1s", "lock_timeout": "500ms",
                             "idle_in_transaction_session_timeout": "2s"}
        else:
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 500


def test_the_defaults_are_thirty_five_and_sixty_seconds():
    assert DatabaseTimeouts().postgresql_settings() == {
        "statement_timeout": 30_000, "lock_timeout": 5_000,
        "idle_in_transaction_session_timeout": 60_000,
    }
    settings = Settings()
    assert (settings.db_statement_timeout_s, settings.db_lock_timeout_s,
            settings.db_idle_in_transaction_timeout_s) == (30.0, 5.0, 60.0)


def test_a_held_lock_answers_503_busy_fast_not_a_hang_or_500(backend, world, pipeline, quick_database):
    from bedside.web.app import create_app

    app = create_app(database=quick_database, pipeline=pipeline, secret_key=SECRET, settings=QUICK)
    clinician = Client(app, world, "clinician")
    assert clinician.get("/encounters").status_code == 200
    with held_lock(world, backend):
        started = time.monotonic()
        response = clinician.get("/encounters")
        elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert "busy" in response.text and "try again" in response.text
    assert response.headers["retry-after"]
    assert elapsed < 3
    assert clinician.get("/encounters").status_code == 200  # and fine again once it is released


def test_a_statement_past_its_timeout_is_recognised_as_busy(backend, quick_database, world):
    if backend["name"] == "postgresql":
        with pytest.raises(DBAPIError) as caught, quick_database.engine.connect() as connection:
            connection.execute(text("SELECT pg_sleep(3)"))
    else:
        with held_lock(world, backend), pytest.raises(DBAPIError) as caught, \
                quick_database.engine.begin() as connection:
            connection.execute(text("DELETE FROM encounters"))
    assert is_busy(caught.value)


def test_other_database_errors_are_not_busy(quick_database):
    with pytest.raises(DBAPIError) as caught, quick_database.engine.connect() as connection:
        connection.execute(text("SELECT * FROM no_such_table"))
    assert not is_busy(caught.value)
