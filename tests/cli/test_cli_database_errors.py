"""A database that cannot be read is one clear line and exit 2, never a traceback with SQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_an_unmigrated_database_is_named_with_what_to_do(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    env = {**os.environ, "BEDSIDE_DATABASE_URL": f"sqlite:///{empty}", "XDG_DATA_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bedside.cli.main", "audit", "verify"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "bedside db upgrade" in result.stderr
    assert "no such table: audit_events" in result.stderr
    assert "SELECT" not in result.stderr  # the statement (and any parameters) stay out
