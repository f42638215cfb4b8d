"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from bedside.errors import FormatError

__all__ = ["load_table_modules", "make_engine", "make_sessionmaker"]


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


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys on and WAL so readers don't block the writer."""
    engine = _make_engine(url, **kwargs)
    event.listen(engine, "before_cursor_execute", _refuse_nul_text)
    return engine


def _make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("check_same_thread", False)
        connect_args.setdefault("timeout", 30)
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
    return create_engine(url, **kwargs)


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
