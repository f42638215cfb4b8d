"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from bedside.errors import FormatError

__all__ = ["DatabaseTimeouts", "is_busy", "load_table_modules", "make_engine", "make_sessionmaker"]


@dataclass(frozen=True)
class DatabaseTimeouts:
    """How long one statement may run, wait for a lock, or sit idle in a transaction.

    Without these a single held lock froze the server without limit (issue 11, finding 6): a
    statement now fails after `lock_s` with an error `is_busy` recognises, and the web layer
    answers 503 "busy, try again" instead of hanging.
    """

    statement_s: float = 30.0
    lock_s: float = 5.0
    idle_in_transaction_s: float = 60.0
    sqlite_busy_s: float = 5.0

    def postgresql_settings(self) -> dict[str, int]:
        """The session settings set on every new PostgreSQL connection, in milliseconds."""
        return {
            "statement_timeout": round(self.statement_s * 1000),
            "lock_timeout": round(self.lock_s * 1000),
            "idle_in_transaction_session_timeout": round(self.idle_in_transaction_s * 1000),
        }


# lock_not_available, query_canceled (statement_timeout), deadlock, serialization failure,
# idle_in_transaction_session_timeout: each says "not now", none says the request was wrong.
_BUSY_SQLSTATES = frozenset({"55P03", "57014", "40P01", "40001", "25P03"})
_BUSY_SQLITE = ("database is locked", "database table is locked")


def is_busy(error: BaseException) -> bool:
    """True when a database error means "locked or too slow, try again", on either backend."""
    original = getattr(error, "orig", None) or error
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state in _BUSY_SQLSTATES:
        return True
    message = str(original).lower() if type(original).__module__.startswith("sqlite3") else ""
    return any(text in message for text in _BUSY_SQLITE)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul_text(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
) -> None:
    """PostgreSQL cannot store a NUL character in text; SQLite can. Refuse it on both, plainly.

    Without this, a form field holding a NUL is a 500 on PostgreSQL and stored on SQLite; with it,
    every database answers the same clear 400 and the transaction stores nothing.
    """
    if _has_nul(parameters):
        raise FormatError(
            "the text contains a NUL character (\\x00), which cannot be stored; remove it and "
            "try again",
            source="input",
        )


def make_engine(url: str, *, timeouts: DatabaseTimeouts | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys on and WAL so readers don't block the writer.

    Every connection gets the `timeouts` (the defaults when None): PostgreSQL's statement, lock
    and idle-in-transaction limits, SQLite's busy timeout.
    """
    # Bound values are health data (transcripts, answers): never in an error message or a log.
    kwargs.setdefault("hide_parameters", True)
    engine = _make_engine(url, timeouts or DatabaseTimeouts(), **kwargs)
    event.listen(engine, "before_cursor_execute", _refuse_nul_text)
    return engine


def _make_engine(url: str, timeouts: DatabaseTimeouts, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("check_same_thread", False)
        connect_args.setdefault("timeout", timeouts.sqlite_busy_s)
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if url.startswith("postgresql"):
        settings = timeouts.postgresql_settings()

        @event.listens_for(engine, "connect")
        def _postgresql_timeouts(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            for name, milliseconds in settings.items():
                cursor.execute(f"SET {name} = {int(milliseconds)}")
            cursor.close()
            dbapi_connection.commit()  # a SET inside a rolled-back transaction would be undone

    return engine


def make_sessionmaker(bind: Any, **kwargs: Any) -> sessionmaker[Session]:
    """A session factory; objects stay readable after commit (templates render after it)."""
    kwargs.setdefault("expire_on_commit", False)
    return sessionmaker(bind=bind, **kwargs)


def load_table_modules() -> None:
    """Import every module of `bedside.db` so that all tables are on the shared metadata.

    Colleagues' areas add their tables as new modules in this package (for example
    `bedside.db.checkins`); Alembic and `create_all` see them without editing this file.
    """
    import bedside.db as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"bedside.db.{info.name}")
