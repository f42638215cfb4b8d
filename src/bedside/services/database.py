"""The database as a whole: open it, migrate it with Alembic, find the embedded default.

Migrations live in the package, `bedside/migrations/` (Alembic's layout), so a wheel carries them; colleagues
add their revision files there. `upgrade` is what `bedside db upgrade` and `bedside demo` run.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bedside.config import Settings, private_data_home
from bedside.db import load_table_modules, make_engine, make_sessionmaker
from bedside.db.session import DatabaseTimeouts
from bedside.errors import ConfigError
from bedside.services import keys
from bedside.services.file_modes import private_sqlite_file

__all__ = ["Database", "alembic_config", "database_timeouts", "downgrade", "open_database", "pending_migrations", "resolve_secret_key", "upgrade"]


def _migrations_dir() -> Path:
    """The Alembic scripts, shipped inside the package so an installed wheel can migrate too."""
    path = Path(str(files("bedside") / "migrations"))
    if not (path / "env.py").is_file():
        raise ConfigError(f"Alembic migrations not found at {path}; reinstall bedside")
    return path


def alembic_config(url: str, *, connection: Any = None) -> Any:
    """An Alembic `Config` for this database URL (or an open connection, in tests)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head", *, connection: Any = None) -> None:
    """Create or migrate the database to `revision` (default: the newest)."""
    from alembic import command

    load_table_modules()
    private_sqlite_file(url)
    command.upgrade(alembic_config(url, connection=connection), revision)


def downgrade(url: str, revision: str = "base", *, connection: Any = None) -> None:
    """Undo migrations down to `revision` (default: an empty database)."""
    from alembic import command

    command.downgrade(alembic_config(url, connection=connection), revision)


def pending_migrations(url: str) -> bool:
    """True when the database is not at the newest revision (or has never been migrated)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    private_sqlite_file(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    return current != heads


@dataclass
class Database:
    """An engine and its session factory."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def database_timeouts(settings: Settings) -> DatabaseTimeouts:
    """The statement, lock and idle limits every connection gets (BEDSIDE_DB_*_TIMEOUT_S)."""
    return DatabaseTimeouts(
        statement_s=settings.db_statement_timeout_s,
        lock_s=settings.db_lock_timeout_s,
        idle_in_transaction_s=settings.db_idle_in_transaction_timeout_s,
        sqlite_busy_s=settings.db_lock_timeout_s,
    )


def open_database(url: str | None = None, *, settings: Settings | None = None) -> Database:
    """Open the database named by `url`, else by the settings (embedded SQLite by default).

    Loads the data key (`bedside.services.keys`) first: a server database without one is a
    ConfigError here, at start-up, rather than on the first transcript written.
    """
    settings = settings or Settings()
    url = url or settings.resolved_database_url()
    keys.install_for(url, settings)
    private_sqlite_file(url)
    engine = make_engine(url, timeouts=database_timeouts(settings))
    return Database(url=url, engine=engine, sessions=make_sessionmaker(engine))


def resolve_secret_key(settings: Settings) -> str:
    """The key that signs cookies and CSRF tokens.

    From `BEDSIDE_SECRET_KEY` when set. Otherwise, only for the embedded SQLite database, a
    random key generated once and kept (mode 0600) in the data folder, so that the demo keeps
    sessions across restarts; a PostgreSQL deployment must set the variable.
    """
    if settings.secret_key:
        if len(settings.secret_key) < 32:
            raise ConfigError("BEDSIDE_SECRET_KEY must have at least 32 characters")
        return settings.secret_key
    if settings.database_url and not settings.database_url.startswith("sqlite"):
        raise ConfigError("set BEDSIDE_SECRET_KEY (at least 32 random characters) for this database")
    home = private_data_home()
    path = home / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
