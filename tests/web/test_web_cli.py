"""`bedside db upgrade`, `bedside admin create`, the demo seed command and the secret key."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from bedside.cli.main import app
from bedside.config import Settings
from bedside.errors import ConfigError
from bedside.services.database import resolve_secret_key


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("BEDSIDE_DATABASE_URL", url)
    return url


def test_serve_refuses_an_unmigrated_database(env):
    from bedside.services.database import pending_migrations

    assert pending_migrations(env)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code != 0
    assert "bedside db upgrade" in str(result.exception)


def test_db_upgrade_then_admin_create(env, monkeypatch):
    runner = CliRunner()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "audit_events" in inspect(create_engine(env)).get_table_names()
    from bedside.services.database import pending_migrations

    assert not pending_migrations(env)
    monkeypatch.setenv("BEDSIDE_ADMIN_PASSWORD", "a-long-admin-password")
    result = runner.invoke(app, ["admin", "create", "Boss@Example.org"])
    assert result.exit_code == 0, result.output
    assert "admin boss@example.org created" in result.output
    again = runner.invoke(app, ["admin", "create", "boss@example.org"])
    assert again.exit_code != 0


def test_demo_seed_only_prints_the_address_and_a_login_per_role(env):
    result = CliRunner().invoke(app, ["demo", "--seed-only"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8000/" in result.output
    for role in ("admin", "educator", "clinician", "learner", "patient", "researcher"):
        assert f"{role}@demo.bedside.example" in result.output


def test_secret_key_from_the_environment_or_generated_for_the_embedded_database(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("BEDSIDE_SECRET_KEY", raising=False)
    monkeypatch.delenv("BEDSIDE_DATABASE_URL", raising=False)
    first = resolve_secret_key(Settings())
    assert len(first) >= 32 and resolve_secret_key(Settings()) == first
    mode = os.stat(tmp_path / "bedside" / "secret_key").st_mode
    assert stat.S_IMODE(mode) == 0o600
    monkeypatch.setenv("BEDSIDE_DATABASE_URL", "postgresql+psycopg://x@localhost/y")
    with pytest.raises(ConfigError, match="BEDSIDE_SECRET_KEY"):
        resolve_secret_key(Settings())
    monkeypatch.setenv("BEDSIDE_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="32"):
        resolve_secret_key(Settings())
