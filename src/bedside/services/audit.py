"""The audit trail: who did what to which record, when and from where (HIPAA §164.312(b)).

`record` adds the event to the caller's session and does not commit: the service that makes the
change commits both together, so a change is never stored without its audit event (nor an event
without its change). Details are short codes and ids, never transcript text.

Each event carries its organisation, and an admin sees and exports only their own. Admins see
actions, not clinical content: for a clinical action (a check-in, a flag, a message, a care
plan) the admin view hides which record and which patient it was about, and a patient's own
clinical actions show as "a patient". The full row stays in the database, hash-chained
(`bedside.db.audit_chain`), for `bedside audit verify` and the off-box JSON Lines export.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bedside.db import repos
from bedside.db.audit_chain import (
    CHAIN_FIELDS,
    GENESIS,
    ChainBreak,
    ChainReport,
    rows_after,
    utc_timestamp,
    walk,
)
from bedside.db.tables import AuditEvent, Encounter, User, UserRole
from bedside.db.tables_care import CareTask, CheckIn, PatientMessage, SafetyFlag
from bedside.errors import AuditChainError
from bedside.services.csv_cells import to_csv

__all__ = [
    "CLINICAL_DOMAINS",
    "COLUMNS",
    "AuditEntry",
    "AuditEvent",
    "ExportResult",
    "admin_entry",
    "compare_with_export",
    "events",
    "export_csv",
    "export_jsonl",
    "read",
    "record",
    "verify",
]

CLINICAL_DOMAINS = frozenset(
    {"care", "careplan", "checkin", "fhir", "message", "patient", "plan", "safety", "task",
     "trends", "voice"}
)
"""Action prefixes about a patient's health: their subject and detail are hidden from admins."""


def record(
    session: Session,
    actor: User | None,
    action: str,
    subject: str,
    *,
    ip: str | None = None,
    detail: str | None = None,
    organisation_id: int | None = None,
) -> AuditEvent:
    """Add one audit event to the current transaction.

    Args:
        session: the unit of work the audited change belongs to.
        actor: the signed-in account, or None for anonymous attempts (a failed sign-in).
        action: a dotted verb, for example `encounter.view`, `encounter.upload`, `user.reset`.
        subject: `type:id` of the record acted on, for example `encounter:12`, or a bare type.
        ip: the client address the request came from.
        detail: a short non-identifying note (a file count, a role name); never transcript text.
        organisation_id: the tenant the event belongs to; defaults to the actor's. Pass it for
            events with no actor (a task created by the safety protocol).
    """
    subject_type, _, subject_id = subject.partition(":")
    if organisation_id is None and actor is not None:
        organisation_id = actor.organisation_id
    if organisation_id is None:
        organisation_id = _organisation_of_subject(session, subject_type, subject_id)
    event = AuditEvent(
        organisation_id=organisation_id,
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else None,
        actor_role=str(actor.role) if actor is not None else None,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id or None,
        ip=ip,
        detail=detail,
    )
    session.add(event)
    return event


_SCOPED_SUBJECTS: dict[str, type[Any]] = {
    "user": User, "care_task": CareTask, "safety_flag": SafetyFlag, "checkin": CheckIn,
    "encounter": Encounter, "patient_message": PatientMessage,
}
"""Subject types whose row names its organisation (for events with no actor: a failed sign-in,
a task the safety protocol created)."""


def _organisation_of_subject(session: Session, subject_type: str, subject_id: str) -> int | None:
    if not subject_id.isdigit():
        return None
    if subject_type == "organisation":
        return int(subject_id)
    table = _SCOPED_SUBJECTS.get(subject_type)
    if table is None:
        return None
    with session.no_autoflush:
        row = session.get(table, int(subject_id))
    return getattr(row, "organisation_id", None) if row is not None else None


def read(
    session: Session,
    reader: User,
    action: str,
    subject: str,
    *,
    ip: str | None = None,
    detail: str | None = None,
) -> None:
    """Audit a read of health data and commit it (a page view has no change to commit with).

    HIPAA §164.312(b) asks for reads as well as changes: who looked at which patient's page,
    check-ins, care plan or training attempt, and when.
    """
    record(session, reader, action, subject, ip=ip, detail=detail)
    session.commit()


@dataclass(frozen=True)
class AuditEntry:
    """One audit event as an admin may see it (clinical subjects and patients hidden)."""

    id: int
    at: datetime
    actor_id: int | None
    actor_email: str | None
    action: str
    subject_type: str
    subject_id: str | None
    ip: str | None
    detail: str | None
    redacted: bool
    actor_hidden: bool = False

    @property
    def actor_label(self) -> str:
        """Who did it, in words: an e-mail, "a patient" when hidden, or "–" for no one."""
        if self.actor_hidden:
            return "a patient"
        return self.actor_email or "–"


def is_clinical(action: str) -> bool:
    """True when an action is about a patient's health (`checkin.submit`, `safety.flag` …)."""
    return action.partition(".")[0] in CLINICAL_DOMAINS


def admin_entry(event: AuditEvent) -> AuditEntry:
    """The admin's view of one event: actions, not clinical content."""
    if not is_clinical(event.action):
        return AuditEntry(
            event.id, event.at, event.actor_id, event.actor_email, event.action,
            event.subject_type, event.subject_id, event.ip, event.detail, redacted=False,
        )
    patient_acting = event.actor_role == UserRole.PATIENT.value
    return AuditEntry(
        id=event.id,
        at=event.at,
        actor_id=None if patient_acting else event.actor_id,
        actor_email=None if patient_acting else event.actor_email,
        action=event.action,
        subject_type=event.subject_type,
        subject_id=None,
        ip=None if patient_acting else event.ip,
        detail=None,
        redacted=True,
        actor_hidden=patient_acting,
    )


def events(
    session: Session,
    organisation_id: int,
    *,
    offset: int = 0,
    limit: int | None = 100,
    action: str | None = None,
) -> list[AuditEntry]:
    """One organisation's audit events as its admin may see them, newest first."""
    found = repos.audit_events(
        session, organisation_id=organisation_id, offset=offset, limit=limit, action=action
    )
    return [admin_entry(event) for event in found]


COLUMNS = (
    "id", "at", "actor_id", "actor_email", "action", "subject_type", "subject_id", "ip",
    "detail", "redacted",
)


def export_csv(session: Session, organisation_id: int) -> str:
    """One organisation's audit trail as CSV, oldest first, as its admin may see it.

    Every cell is escaped against spreadsheet formulas: an e-mail or a detail such as
    `=HYPERLINK(...)` is exported as text.
    """
    found = repos.audit_events(
        session, organisation_id=organisation_id, limit=None, oldest_first=True
    )
    rows = (
        (
            entry.id, entry.at.isoformat(), entry.actor_id, entry.actor_email, entry.action,
            entry.subject_type, entry.subject_id, entry.ip, entry.detail,
            "yes" if entry.redacted else "no",
        )
        for entry in map(admin_entry, found)
    )
    return to_csv(COLUMNS, rows)


def verify(session: Session) -> ChainReport:
    """Walk the whole hash chain on the live database; the report names the first broken row."""
    return walk(session)


@dataclass(frozen=True)
class ExportResult:
    """What one run of the JSON Lines export did."""

    appended: int
    last_id: int | None
    last_hash: str


def export_jsonl(session: Session, path: Path) -> ExportResult:
    """Append the audit rows not yet in `path` as JSON Lines, with their chain hashes.

    Resumable and append-only: the file's last complete line says where the export stopped,
    and its hash must be the database's hash of that row (else the trail or the file changed,
    and nothing is written). A last line cut short by a crash is dropped and written again.
    Every appended row must continue the chain; the export stops at a break. The file is
    flushed and fsynced before returning, for shipping to a log store (`tail -F`, a forwarder).

    Raises:
        AuditChainError: the file does not continue the database's chain, or the chain is broken.
    """
    last_id, last_hash = _resume_point(path)
    if last_id is not None:
        stored = session.get(AuditEvent, last_id)
        if stored is None or stored.row_hash != last_hash:
            raise AuditChainError(
                f"{path} ends at audit row {last_id}, whose hash differs from the database's "
                "(or the row is gone): the trail or the file was changed; keep both for review "
                "and export to a new file"
            )
    appended = 0
    with path.open("a", encoding="utf-8") as handle:
        try:
            for row in rows_after(session, last_id or 0):
                if row["prev_hash"] != last_hash:
                    raise AuditChainError(
                        f"audit chain broken at row {row['id']}: its prev_hash does not match "
                        f"row {last_id}; exported up to row {last_id}; run `bedside audit verify`"
                    )
                line = {name: row[name] for name in (*CHAIN_FIELDS, "prev_hash", "row_hash")}
                line["at"] = utc_timestamp(row["at"])  # as hashed: a reader can recompute it
                handle.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
                last_id, last_hash = row["id"], row["row_hash"]
                appended += 1
        finally:
            handle.flush()
            os.fsync(handle.fileno())
    return ExportResult(appended, last_id, last_hash)


def compare_with_export(session: Session, path: Path) -> ChainReport:
    """Check the database against an exported copy: every row in the file must still be in the
    database with the same hash. This finds what the chain alone cannot: rewritten history that
    was re-chained, and the newest rows deleted (a shorter chain still verifies on its own).

    Returns a report over the file's complete lines, whose `broken` names the first row that
    differs or is missing.
    """
    rows = 0
    last_id: int | None = None
    last_hash = GENESIS
    if not path.exists():
        raise AuditChainError(f"{path} does not exist; export one with `bedside audit export`")
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break  # a line cut short by a crash: not part of the copy
            copied = json.loads(line)
            rows += 1
            stored = session.get(AuditEvent, int(copied["id"]))
            if stored is None:
                reason = "is in the export but not in the database (deleted, or the newest rows cut)"
            elif stored.row_hash != copied["row_hash"]:
                reason = "differs from the exported copy (the row or the chain was rewritten)"
            else:
                last_id, last_hash = stored.id, stored.row_hash
                session.expunge(stored)
                continue
            return ChainReport(rows - 1, last_id, last_hash,
                               ChainBreak(int(copied["id"]), rows, reason))
    return ChainReport(rows, last_id, last_hash)


def _resume_point(path: Path) -> tuple[int | None, str]:
    """The id and hash of the file's last complete line (None, GENESIS for a new file)."""
    if not path.exists() or path.stat().st_size == 0:
        return None, GENESIS
    content = path.read_bytes()
    if not content.endswith(b"\n"):
        cut = content.rfind(b"\n") + 1
        with path.open("r+b") as handle:
            handle.truncate(cut)
        content = content[:cut]
    lines = content.splitlines()
    if not lines:
        return None, GENESIS
    try:
        last = json.loads(lines[-1])
        return int(last["id"]), str(last["row_hash"])
    except (ValueError, KeyError, TypeError) as error:
        raise AuditChainError(
            f"{path}: the last line is not an audit export row ({type(error).__name__}); "
            "export to a new file"
        ) from None
