"""The data lifecycle: retention policies and their purge, a patient's export, a patient's erasure.

Each is one audited unit of work. Two kinds of record are never purged nor erased:
the audit trail (append-only, the evidence HIPAA §164.312(b) asks for) and safety flags (a
clinician may need to know that a risk was raised and what was done about it). Erasure keeps a
patient's flags and urgent tasks, strips them of the patient's name and of anything beyond the
kind, status and times, and disables the account; everything in the patient's own words goes.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bedside.db import utcnow
from bedside.db.tables import ApiToken, Encounter, User, UserRole, WebSession
from bedside.db.tables_care import (
    CarePlanRecord,
    CareTask,
    CheckIn,
    PatientMessage,
    PatientVoice,
    SafetyFlag,
)
from bedside.db.tables_lifecycle import RetentionPolicy
from bedside.errors import NotFound, PermissionDenied, ScoringError
from bedside.fhir import export_bundle
from bedside.services import audit
from bedside.services.careplans import current_plan, plan_of
from bedside.services.checkins import checkin_history, score_of
from bedside.services.passwords import hash_password

__all__ = [
    "EXPORT_SCHEMA",
    "ErasureReport",
    "PatientExport",
    "PurgeLine",
    "erase_patient",
    "export_patient",
    "purge",
    "retention_policy",
    "set_retention",
]

EXPORT_SCHEMA = "bedside.patient-export/1"
ERASED_NAME = "Erased patient"
# What a retention policy may delete: kind -> (table, policy field). Audit and flags are absent.
RETAINED_KINDS: dict[str, tuple[Any, str]] = {
    "encounters": (Encounter, "encounters_days"),
    "messages": (PatientMessage, "messages_days"),
    "checkins": (CheckIn, "checkins_days"),
}


def _reason(reason: str) -> str:
    """A reason is required for export and erasure; it goes into the audit detail, bounded."""
    cleaned = " ".join(reason.split())
    if len(cleaned) < 3:
        raise ScoringError("give the reason (for example the request reference) in a few words")
    return cleaned[:200]


def _require_admin_of(actor: User | None, organisation_id: int) -> None:
    """None is the operator at the command line; an account must be an admin of that organisation."""
    if actor is None:
        return
    if actor.user_role is not UserRole.ADMIN or actor.organisation_id != organisation_id:
        raise PermissionDenied("only an admin of the patient's organisation may do this")


def _patient(session: Session, actor: User | None, patient_id: int) -> User:
    patient = session.get(User, patient_id)
    if patient is None or patient.user_role is not UserRole.PATIENT:
        raise NotFound("no such patient")
    if actor is not None and actor.organisation_id != patient.organisation_id:
        raise NotFound("no such patient")
    _require_admin_of(actor, patient.organisation_id)
    return patient


# ----- retention ------------------------------------------------------------------------------


def _check_days(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise ScoringError("a retention period is a whole number of days, at least 1 (or none)")
    return value


def retention_policy(session: Session, organisation_id: int) -> RetentionPolicy | None:
    """The organisation's policy, or None (keep everything)."""
    return session.get(RetentionPolicy, organisation_id)


def set_retention(
    session: Session,
    actor: User | None,
    organisation_id: int,
    *,
    encounters_days: int | None,
    messages_days: int | None,
    checkins_days: int | None,
    ip: str | None = None,
) -> RetentionPolicy:
    """Set how many days each kind of record is kept (None: keep), audited."""
    _require_admin_of(actor, organisation_id)
    policy = session.get(RetentionPolicy, organisation_id) or RetentionPolicy(
        organisation_id=organisation_id
    )
    policy.encounters_days = _check_days(encounters_days)
    policy.messages_days = _check_days(messages_days)
    policy.checkins_days = _check_days(checkins_days)
    policy.updated_at = utcnow()
    policy.updated_by_id = actor.id if actor is not None else None
    session.add(policy)
    audit.record(
        session, actor, "retention.set", f"organisation:{organisation_id}", ip=ip,
        organisation_id=organisation_id,
        detail=f"encounters={encounters_days} messages={messages_days} checkins={checkins_days}",
    )
    session.commit()
    return policy


@dataclass(frozen=True)
class PurgeLine:
    """Records of one kind in one organisation older than the policy allows."""

    organisation_id: int
    kind: str
    cutoff: datetime
    rows: int


def purge(session: Session, *, apply: bool, now: datetime | None = None) -> list[PurgeLine]:
    """Find (and with `apply`, delete) every record older than its organisation's policy.

    A dry run only counts. Each kind deleted in an organisation is one audit event
    (`retention.purge`, actor None: the policy acted, not a person), committed with the delete.
    """
    now = now or utcnow()
    lines: list[PurgeLine] = []
    for policy in session.scalars(select(RetentionPolicy).order_by(RetentionPolicy.organisation_id)):
        for kind, (table, days_field) in RETAINED_KINDS.items():
            days = getattr(policy, days_field)
            if days is None:
                continue
            cutoff = now - timedelta(days=days)
            old = (table.organisation_id == policy.organisation_id, table.created_at < cutoff)
            rows = session.scalar(select(func.count()).select_from(table).where(*old)) or 0
            lines.append(PurgeLine(policy.organisation_id, kind, cutoff, rows))
            if apply and rows:
                session.execute(delete(table).where(*old))
                audit.record(
                    session, None, "retention.purge", f"organisation:{policy.organisation_id}",
                    detail=f"{kind}: {rows} created before {cutoff.date().isoformat()}",
                    organisation_id=policy.organisation_id,
                )
    if apply:
        session.commit()
    return lines


# ----- export ---------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True)
class PatientExport:
    """Everything bedside holds about one patient (GDPR art. 15 / HIPAA right of access).

    `fhir` is the FHIR R4 Bundle of their questionnaires and current care plan (as
    `bedside fhir export` makes it); the other fields are bedside's own records, as stored.
    """

    patient: dict[str, Any]
    exported_at: str
    fhir: dict[str, Any]
    checkins: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    what_matters: list[dict[str, Any]] = field(default_factory=list)
    care_plans: list[dict[str, Any]] = field(default_factory=list)
    safety_flags: list[dict[str, Any]] = field(default_factory=list)
    encounters: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The export as one JSON document, schema `bedside.patient-export/1`."""
        return {"schema": EXPORT_SCHEMA, **asdict(self)}


def _fhir(session: Session, patient: User, now: datetime) -> dict[str, Any]:
    record = current_plan(session, patient.id)
    responses = [(score_of(c), c.created_at) for c in checkin_history(session, patient, scored_only=True)]
    return export_bundle(
        patient=f"Patient/{patient.id}",
        responses=responses,
        care_plan=plan_of(record) if record is not None else None,
        timestamp=now,
        validate=True,
    )


def _by_patient(session: Session, table: Any, patient_id: int) -> Sequence[Any]:
    return session.scalars(
        select(table).where(table.patient_id == patient_id).order_by(table.id)
    ).all()


def export_patient(
    session: Session, actor: User | None, patient_id: int, *, reason: str, ip: str | None = None
) -> PatientExport:
    """The patient's complete record, audited (`patient.export`, with who and why)."""
    why = _reason(reason)
    patient = _patient(session, actor, patient_id)
    now = utcnow()
    result = PatientExport(
        patient={
            "id": patient.id, "email": patient.email, "display_name": patient.display_name,
            "organisation_id": patient.organisation_id, "created_at": _iso(patient.created_at),
            "active": patient.is_active,
        },
        exported_at=now.isoformat(),
        fhir=_fhir(session, patient, now),
        checkins=[
            {"id": c.id, "instrument": c.instrument, "version": c.version, "answers": c.answers,
             "total": c.total, "band": c.band, "flags": c.flags, "created_at": _iso(c.created_at)}
            for c in _by_patient(session, CheckIn, patient.id)
        ],
        messages=[
            {"id": m.id, "text": m.text, "risk": m.risk, "created_at": _iso(m.created_at)}
            for m in _by_patient(session, PatientMessage, patient.id)
        ],
        what_matters=[
            {"id": v.id, "what_matters": v.what_matters, "goals": v.goals,
             "created_at": _iso(v.created_at)}
            for v in _by_patient(session, PatientVoice, patient.id)
        ],
        care_plans=[
            {"id": p.id, "revision": p.revision, "status": p.status, "document": p.document,
             "created_at": _iso(p.created_at), "signed_at": _iso(p.signed_at)}
            for p in _by_patient(session, CarePlanRecord, patient.id)
        ],
        safety_flags=[
            {"id": f.id, "kind": f.kind, "source": f.source, "status": f.status,
             "created_at": _iso(f.created_at), "resolved_at": _iso(f.resolved_at)}
            for f in _by_patient(session, SafetyFlag, patient.id)
        ],
        encounters=[
            {"id": e.id, "title": e.title, "created_at": _iso(e.created_at),
             "conversation": e.conversation}
            for e in _by_patient(session, Encounter, patient.id)
        ],
    )
    audit.record(
        session, actor, "patient.export", f"user:{patient.id}", ip=ip, detail=f"reason: {why}",
        organisation_id=patient.organisation_id,
    )
    session.commit()
    return result


# ----- erasure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure deleted, and what it kept for clinical safety (stripped)."""

    patient_id: int
    deleted: dict[str, int]
    flags_kept: int
    tasks_kept: int


def erase_patient(
    session: Session, actor: User | None, patient_id: int, *, reason: str, ip: str | None = None
) -> ErasureReport:
    """Delete the patient's content, scrub their flags and tasks, disable the account; audited.

    Irreversible by design: the deleted rows were encrypted under the data key, and no copy is
    kept. Backups age out under the deployment's own backup retention (see docs/security.md).
    """
    why = _reason(reason)
    patient = _patient(session, actor, patient_id)
    deleted: dict[str, int] = {}
    for kind, table in (
        ("messages", PatientMessage), ("checkins", CheckIn), ("what_matters", PatientVoice),
        ("care_plans", CarePlanRecord), ("encounters", Encounter),
    ):
        result = session.execute(delete(table).where(table.patient_id == patient.id))
        deleted[kind] = int(getattr(result, "rowcount", 0) or 0)
    flags = _by_patient(session, SafetyFlag, patient.id)
    for flag in flags:
        flag.detail = {"erased": True}
    tasks = _by_patient(session, CareTask, patient.id)
    for task in tasks:
        if patient.display_name:
            task.title = task.title.replace(patient.display_name, ERASED_NAME)[:300]
    session.execute(delete(WebSession).where(WebSession.user_id == patient.id))
    session.execute(delete(ApiToken).where(ApiToken.user_id == patient.id))
    patient.display_name = ERASED_NAME
    patient.email = f"erased-{patient.id}@erased.invalid"
    patient.password_hash = hash_password(secrets.token_urlsafe(32))  # a password no one knows
    patient.is_active = False
    audit.record(
        session, actor, "patient.erase", f"user:{patient.id}", ip=ip,
        detail=f"reason: {why}; " + " ".join(f"{k}={v}" for k, v in deleted.items()),
        organisation_id=patient.organisation_id,
    )
    session.commit()
    return ErasureReport(patient.id, deleted, flags_kept=len(flags), tasks_kept=len(tasks))
