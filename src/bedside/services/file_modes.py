"""An embedded SQLite database is readable by its owner only (mode 0600, in a 0700 folder).

SQLite creates the `-wal` and `-shm` files with the same permission bits as the database file,
so creating the main file 0600 before SQLite first opens it is enough for all three; an older
database left world-readable (0644) is tightened when bedside opens it.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["SIDE_FILES", "private_sqlite_file", "sqlite_path"]

SIDE_FILES = ("-wal", "-shm", "-journal")


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL; None for other databases and in-memory ones."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _tighten(path: Path) -> None:
    status = path.stat()
    if status.st_mode & 0o077 and status.st_uid == os.getuid():
        path.chmod(0o600)


def private_sqlite_file(url: str) -> None:
    """Create the database file 0600 if it does not exist yet; tighten it and its side files."""
    path = sqlite_path(url)
    if path is None or not path.parent.is_dir():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _tighten(path)
    for suffix in SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            _tighten(side)
