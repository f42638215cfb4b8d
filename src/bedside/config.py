"""Settings from the environment (prefix `BEDSIDE_`); secrets never have a default in production."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_data_home", "get_settings"]


def default_data_home() -> Path:
    """Where bedside keeps its embedded SQLite database when no URL is given."""
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "bedside"


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
    secret_key: str | None = Field(default=None, description="Signs session cookies.")
    redis_url: str | None = Field(
        default=None,
        description="Redis URL (redis://127.0.0.1:6379/0) shared by every server process for the "
        "sign-in throttle; None counts in each process alone.",
    )
    llm_url: str | None = Field(
        default=None, description="Optional OpenAI-compatible endpoint for rewrites; off if unset."
    )
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = None

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to an embedded SQLite file."""
        if self.database_url:
            return self.database_url
        home = default_data_home()
        home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{home / 'bedside.sqlite3'}"


def get_settings() -> Settings:
    """Read the settings afresh from the environment."""
    return Settings()
