"""The hash chain over the audit trail (HIPAA §164.312(b), integrity of the audit record).

Every audit row stores `prev_hash` (the previous row's `row_hash`, or `GENESIS` for the first)
and `row_hash = SHA-256(prev_hash + canonical row)`. A row edited or deleted behind the
database's back (by the table owner, a restored backup, a `DROP TRIGGER` on SQLite) breaks the
chain at that row; `verify` finds the first break. Truncating the newest rows is only seen
against a copy kept elsewhere, which is what the JSON Lines export is for.

Appends are serialised so that two transactions never chain onto the same row: PostgreSQL takes
a transaction-level advisory lock before reading the chain head (released at commit or
rollback); SQLite takes the database write lock (`BEGIN IMMEDIATE`) first. Ids are assigned
under that lock, so id order is chain order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, event, inspect, select, text
from sqlalchemy.orm import Session, UOWTransaction

from bedside.db.base import utcnow
from bedside.db.tables import AuditEvent

__all__ = [
    "CHAIN_FIELDS",
    "GENESIS",
    "ChainBreak",
    "ChainReport",
    "canonical",
    "chain_hash",
    "row_values",
    "rows_after",
    "utc_timestamp",
    "walk",
]

GENESIS = "0" * 64
"""The `prev_hash` of the first row."""

CHAIN_FIELDS = (
    "id", "at", "organisation_id", "actor_id", "actor_email", "actor_role", "action",
    "subject_type", "subject_id", "ip", "detail",
)
"""The columns a row's hash covers (everything but the two hashes themselves)."""

_LOCK_KEY = 0x62656473_69646531  # "bedside1": the advisory lock that serialises appends


def utc_timestamp(value: datetime) -> str:
    """A time as the chain hashes it: UTC, ISO 8601, always with microseconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(row: Mapping[Any, Any]) -> str:
    """One row as compact JSON with sorted keys: the same bytes on every database and machine."""
    values = {name: row[name] for name in CHAIN_FIELDS}
    if isinstance(values["at"], datetime):
        values["at"] = utc_timestamp(values["at"])
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, canonical_row: str) -> str:
    """SHA-256 of the previous hash followed by the canonical row, as 64 hex digits."""
    return hashlib.sha256((prev_hash + canonical_row).encode("utf-8")).hexdigest()


def row_values(event_row: AuditEvent) -> dict[str, Any]:
    """The hashed fields of an audit row."""
    return {name: getattr(event_row, name) for name in CHAIN_FIELDS}


_COLUMNS = [getattr(AuditEvent, name) for name in (*CHAIN_FIELDS, "prev_hash", "row_hash")]


@dataclass(frozen=True)
class ChainBreak:
    """The first row whose hashes do not follow from the rows before it."""

    row_id: int
    position: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    """What a walk over the chain found: how many rows, the last hash, the first break."""

    rows: int
    last_id: int | None
    last_hash: str
    broken: ChainBreak | None = None

    @property
    def ok(self) -> bool:
        """True when every row follows from the one before it."""
        return self.broken is None


def walk(session: Session, *, batch: int = 1000) -> ChainReport:
    """Recompute the chain over every row, oldest first, and stop at the first break."""
    expected_prev = GENESIS
    rows = 0
    last_id: int | None = None
    for found in _rows_in_order(session, batch):
        rows += 1
        reason = _break_reason(found, expected_prev)
        if reason is not None:
            return ChainReport(
                rows - 1, last_id, expected_prev, ChainBreak(found["id"], rows, reason)
            )
        expected_prev = found["row_hash"]
        last_id = found["id"]
    return ChainReport(rows, last_id, expected_prev)


def _break_reason(found: RowMapping, expected_prev: str) -> str | None:
    if found["prev_hash"] != expected_prev:
        return "prev_hash does not match the row before it (a row was removed or reordered)"
    if chain_hash(found["prev_hash"], canonical(found)) != found["row_hash"]:
        return "row_hash does not match the row's contents (the row was changed)"
    return None


def rows_after(session: Session, after_id: int, *, batch: int = 1000) -> Iterator[RowMapping]:
    """Every audit row with an id above `after_id`, oldest first, read a batch at a time."""
    after = after_id
    while True:
        page = session.execute(
            select(*_COLUMNS).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(batch)
        ).mappings().all()
        if not page:
            return
        yield from page
        after = page[-1]["id"]


def _rows_in_order(session: Session, batch: int) -> Iterator[RowMapping]:
    return rows_after(session, 0, batch=batch)


def _serialise_appends(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        return
    if connection.dialect.name == "sqlite":
        dbapi = connection.connection.dbapi_connection
        if dbapi is not None and not getattr(dbapi, "in_transaction", True):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _next_ids(session: Session, count: int) -> list[int]:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return [
            int(value)
            for value in connection.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence('audit_events', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": count},
            ).scalars()
        ]
    top = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
    return list(range(top + 1, top + 1 + count))


def _chain_new_events(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Before a flush inserts audit rows: lock the chain, give them ids and hashes in order."""
    pending = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not pending:
        return
    pending.sort(key=lambda obj: inspect(obj).insert_order or 0)
    with session.no_autoflush:
        _serialise_appends(session)
        head = session.execute(
            select(AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1)
        ).scalar()
        prev = head or GENESIS
        for new_id, obj in zip(_next_ids(session, len(pending)), pending, strict=True):
            obj.id = new_id
            if obj.at is None:
                obj.at = utcnow()
            obj.prev_hash = prev
            obj.row_hash = chain_hash(prev, canonical(row_values(obj)))
            prev = obj.row_hash


event.listen(Session, "before_flush", _chain_new_events)
