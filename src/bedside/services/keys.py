"""The data keys: where they come from, and re-encrypting every value under the active one.

`BEDSIDE_DATA_KEYS=id1:key1,id2:key2` (first active) or `BEDSIDE_DATA_KEY=key` name the AES-GCM
keys of `bedside.db.crypto`. A PostgreSQL deployment must set one: its database lives on another
machine and its backups travel, so a key the application invents would be lost or leak with
them. The embedded SQLite demo may instead keep a generated key beside the database (mode 0600
in the 0700 data home), as it does for the cookie secret.

Rotation (`bedside data rotate-key`): put the new key first in BEDSIDE_DATA_KEYS, keep the old
ones after it, run the command, then drop the old keys. It works in batches of rows, each its own
transaction, and only touches values not yet under the active key, so a run that is stopped
resumes where it stopped when started again.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Column, Table, Text, select, type_coerce, update
from sqlalchemy.orm import Session, sessionmaker

from bedside.config import Settings, private_data_home
from bedside.db import load_table_modules, metadata
from bedside.db.crypto import (
    KEY_BYTES,
    EncryptedJSON,
    EncryptedText,
    Keyring,
    install_keyring,
    parse_keyring,
    seal,
    unseal,
)
from bedside.errors import ConfigError, SealedDataError

__all__ = [
    "ColumnRotation",
    "encrypted_columns",
    "install_for",
    "load_keyring",
    "new_key",
    "rotate",
]

KEY_FILE = "data_key"


def new_key() -> str:
    """A fresh data key: base64 of 32 bytes from the operating system's CSPRNG."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def load_keyring(settings: Settings, *, database_url: str) -> Keyring:
    """The keyring from the environment, else (embedded SQLite only) from the data home.

    Raises:
        ConfigError: no key is set for a server database, or a key is malformed.
    """
    spec = settings.data_keys or settings.data_key
    if spec:
        return parse_keyring(spec)
    if not database_url.startswith("sqlite"):
        raise ConfigError(
            "set BEDSIDE_DATA_KEY (base64 of 32 random bytes; `bedside data new-key` prints one) "
            "for this database: transcripts, messages and answers are encrypted with it"
        )
    return parse_keyring(_embedded_key())


def _embedded_key() -> str:
    """The demo's generated key, created once with mode 0600 (never overwritten)."""
    path = private_data_home() / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(new_key())
    return path.read_text().strip()


def install_for(database_url: str, settings: Settings | None = None) -> Keyring:
    """Load the keyring for this database and make it the process keyring."""
    keyring = load_keyring(settings or Settings(), database_url=database_url)
    install_keyring(keyring)
    return keyring


def encrypted_columns() -> list[Column[object]]:
    """Every sealed column of the schema, in table order (found from the column types)."""
    load_table_modules()
    return [
        column
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedJSON | EncryptedText)
    ]


@dataclass(frozen=True)
class ColumnRotation:
    """How many values of one column a rotation re-encrypted."""

    column: str
    rewritten: int


def _primary_key(table: Table) -> Column[object]:
    keys = list(table.primary_key.columns)
    if len(keys) != 1:
        raise ConfigError(f"{table.name}: rotation needs a single-column primary key")
    return keys[0]


def _stale_batches(
    sessions: sessionmaker[Session], column: Column[object], keyring: Keyring, batch_size: int
) -> Iterator[tuple[Session, list[tuple[object, str]]]]:
    """Batches of (primary key, sealed value) not under the active key, lowest key first."""
    raw = type_coerce(column, Text)
    key = _primary_key(column.table)
    current = f"bsd1:{keyring.active_id}:"
    after: object = None
    while True:
        with sessions() as session:
            query = select(key, raw).where(raw.is_not(None), ~raw.startswith(current, autoescape=True))
            if after is not None:
                query = query.where(key > after)
            rows = [(row[0], row[1]) for row in session.execute(query.order_by(key).limit(batch_size))]
            if not rows:
                return
            yield session, rows
            after = rows[-1][0]


def rotate(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    *,
    batch_size: int = 500,
    progress: Callable[[str, int], None] | None = None,
) -> list[ColumnRotation]:
    """Re-encrypt every sealed value under `keyring.active_id`, one committed batch at a time.

    A value changed by someone else between the read and the write is left alone (the write is
    conditional on the old value), and is picked up by the next run.

    Raises:
        SealedDataError: a value does not open with any configured key (names table, column and
            row, never the content).
    """
    results: list[ColumnRotation] = []
    for column in encrypted_columns():
        purpose = getattr(column.type, "purpose", column.name)
        key = _primary_key(column.table)
        raw = type_coerce(column, Text)
        rewritten = 0
        for session, rows in _stale_batches(sessions, column, keyring, batch_size):
            for row_id, sealed in rows:
                try:
                    plaintext = unseal(sealed, keyring, purpose=purpose)
                except SealedDataError as error:
                    raise SealedDataError(f"{error} (row {row_id})") from None
                fresh = seal(plaintext, keyring, purpose=purpose)
                result = session.execute(
                    update(column.table)
                    .where(key == row_id, raw == sealed)
                    .values({column.name: type_coerce(fresh, Text)})
                )
                rewritten += int(getattr(result, "rowcount", 0) or 0)
            session.commit()
            if progress is not None:
                progress(purpose, rewritten)
        results.append(ColumnRotation(column=purpose, rewritten=rewritten))
    return results
