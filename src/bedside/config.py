"""Settings from the environment (prefix `BEDSIDE_`); secrets never have a default in production."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_data_home", "get_settings", "private_data_home"]


def default_data_home() -> Path:
    """Where bedside keeps its embedded SQLite database when no URL is given."""
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "bedside"


def private_data_home() -> Path:
    """The data home, created (or tightened) to mode 0700: it holds the database and its keys."""
    home = default_data_home()
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    if home.stat().st_mode & 0o077 and home.stat().st_uid == os.getuid():
        home.chmod(0o700)
    return home


class Settings(BaseSettings):
    """Every setting bedside reads, with its environment variable in the field's alias."""

    model_config = SettingsConfigDict(env_prefix="BEDSIDE_", extra="ignore")

    data_dir: Path = Field(
        default=Path("../shared/data"),
        description="Folder with the licensed corpora (epitome/, goemotions_ekman/, primock57/) "
        "used by training, benchmarks and slow tests.",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; None means a SQLite file in the data home."
    )
    migration_database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the table owner, for `bedside db upgrade`; None means "
        "BEDSIDE_DATABASE_URL. In production BEDSIDE_DATABASE_URL names a login role that is a "
        "member of the application role, which cannot alter or truncate the audit trail.",
    )
    database_app_role: str = Field(
        default="bedside_app",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL role the migrations grant the application's privileges to "
        "(INSERT and SELECT only on audit_events and safety_flags).",
    )
    secret_key: str | None = Field(default=None, description="Signs session cookies.")
    data_key: str | None = Field(
        default=None,
        description="Base64 of 32 random bytes: the AES-GCM key that encrypts transcripts, "
        "messages and free-text answers in the database. Required for PostgreSQL.",
    )
    data_keys: str | None = Field(
        default=None,
        description="Several data keys for a rotation, `id1:key1,id2:key2`, the first one "
        "active (it encrypts); takes precedence over BEDSIDE_DATA_KEY.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL (redis://127.0.0.1:6379/0) shared by every server process for the "
        "sign-in throttle; None counts in each process alone.",
    )
    llm_url: str | None = Field(
        default=None, description="Optional OpenAI-compatible endpoint for rewrites; off if unset."
    )
    llm_model: str = "gpt-4o-mini"
    session_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60,
        description="A browser session unused for this long is ended (the absolute limit is 8 h).",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (uvicorn's forwarded_allow_ips); empty trusts none, so the "
        "audited client address cannot be spoofed.",
    )
    parse_timeout_s: float = Field(
        default=10.0, gt=0,
        description="Wall-clock limit for reading one upload; a reader still busy after it is "
        "killed and the upload refused with a 400.",
    )
    parse_workers: int = Field(default=2, ge=1, description="Worker processes that read uploads.")
    analysis_workers: int = Field(
        default=2, ge=1, description="Threads that analyse uploads (the models release the GIL)."
    )
    analysis_queue: int = Field(
        default=32, ge=1,
        description="Uploads that may wait for an analysis worker; more are refused with 503.",
    )
    request_timeout_s: float = Field(
        default=30.0, gt=0,
        description="Ordinary requests still unanswered after this many seconds get a 503.",
    )
    db_statement_timeout_s: float = Field(
        default=30.0, gt=0, description="PostgreSQL statement_timeout for every connection."
    )
    db_lock_timeout_s: float = Field(
        default=5.0, gt=0,
        description="PostgreSQL lock_timeout, and SQLite's busy timeout: how long a statement "
        "waits for a lock before the request answers 503 busy.",
    )
    db_idle_in_transaction_timeout_s: float = Field(
        default=60.0, gt=0,
        description="PostgreSQL idle_in_transaction_session_timeout: a forgotten transaction "
        "cannot hold its locks for longer.",
    )
    llm_api_key: str | None = None

    def resolved_migration_url(self) -> str:
        """The URL migrations run as: the owner's when set, else the application's."""
        return self.migration_database_url or self.resolved_database_url()

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to an embedded SQLite file."""
        if self.database_url:
            return self.database_url
        home = private_data_home()
        return f"sqlite:///{home / 'bedside.sqlite3'}"


def get_settings() -> Settings:
    """Read the settings afresh from the environment."""
    return Settings()
