"""The audit trail: who did what to which record, when and from where.

`record` adds the event to the caller's session and does not commit: the service that makes the
change commits both together, so a change is never stored without its audit event (nor an event
without its change). Details are short codes and ids, never transcript text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sqlalchemy.orm import Session

from bedside.db import repos
from bedside.db.tables import AuditEvent, User

__all__ = ["AuditEvent", "events", "export_csv", "record"]


def record(
    session: Session,
    actor: User | None,
    action: str,
    subject: str,
    *,
    ip: str | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Add one audit event to the current transaction.

    Args:
        session: the unit of work the audited change belongs to.
        actor: the signed-in account, or None for anonymous attempts (a failed sign-in).
        action: a dotted verb, for example `encounter.view`, `encounter.upload`, `user.reset`.
        subject: `type:id` of the record acted on, for example `encounter:12`, or a bare type.
        ip: the client address the request came from.
        detail: a short non-identifying note (a file count, a role name); never transcript text.
    """
    subject_type, _, subject_id = subject.partition(":")
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else None,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id or None,
        ip=ip,
        detail=detail,
    )
    session.add(event)
    return event


def events(
    session: Session, *, offset: int = 0, limit: int | None = 100, action: str | None = None
) -> Sequence[AuditEvent]:
    """Audit events, newest first."""
    return repos.audit_events(session, offset=offset, limit=limit, action=action)


COLUMNS = ("id", "at", "actor_id", "actor_email", "action", "subject_type", "subject_id", "ip", "detail")


def export_csv(session: Session) -> str:
    """The whole audit trail as CSV, oldest first (what an information-governance review asks for)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for event in reversed(repos.audit_events(session, limit=None)):
        writer.writerow(
            [
                event.id,
                event.at.isoformat(),
                event.actor_id,
                event.actor_email,
                event.action,
                event.subject_type,
                event.subject_id,
                event.ip,
                event.detail,
            ]
        )
    return buffer.getvalue()
