"""Tables of whole-person care: check-ins, messages, safety flags, urgent tasks, care plans.

Safety flags are written in their own transaction before anything else happens to a check-in or
message (see `bedside.services.checkins`), and the database refuses to delete them (a trigger in
migration 0002_care), so a flag can be resolved but never lost.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bedside.db.base import Base, utcnow
from bedside.db.crypto import EncryptedJSON, EncryptedText

__all__ = [
    "CareAssignment",
    "CarePlanRecord",
    "CareTask",
    "CheckIn",
    "PatientMessage",
    "PatientVoice",
    "SafetyFlag",
]


class CareAssignment(Base):
    """One clinician on a patient's care team (a row per clinician; revoking deletes it).

    `granted_by_id` is the admin or team clinician who added them (`bedside.services.grants`);
    None marks a relationship made before grants were checked, for admins to review.
    """

    __tablename__ = "care_assignments"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class CheckIn(Base):
    """One completed questionnaire: the answers as given and the score bedside computed."""

    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_patient_created", "patient_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    instrument: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("checkins.answers"))
    total: Mapped[int | None] = mapped_column(Integer, default=None)
    band: Mapped[str | None] = mapped_column(String(32), default=None)
    positive: Mapped[bool | None] = mapped_column(Boolean, default=None)
    percentage: Mapped[int | None] = mapped_column(Integer, default=None)
    flags: Mapped[str] = mapped_column(String(200), default="")
    safety: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PatientMessage(Base):
    """A free-text message from a patient to the care team, with its safety screen."""

    __tablename__ = "patient_messages"
    __table_args__ = (Index("ix_patient_messages_patient_created", "patient_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(EncryptedText("patient_messages.text"))
    risk: Mapped[bool] = mapped_column(Boolean, default=False)
    categories: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SafetyFlag(Base):
    """A safety concern (PHQ-9 item 9 above 0 or not asked, or a risk message). Never deleted."""

    __tablename__ = "safety_flags"
    __table_args__ = (Index("ix_safety_flags_org_status", "organisation_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)


class CareTask(Base):
    """A task for the care team; urgent tasks come from safety flags."""

    __tablename__ = "care_tasks"
    __table_args__ = (Index("ix_care_tasks_org_status", "organisation_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, default=None
    )
    flag_id: Mapped[int | None] = mapped_column(
        ForeignKey("safety_flags.id"), unique=True, default=None
    )
    priority: Mapped[str] = mapped_column(String(16), default="routine")
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    done_at: Mapped[datetime | None] = mapped_column(default=None)


class PatientVoice(Base):
    """What matters to the patient and their own goals, in their words (latest row wins)."""

    __tablename__ = "patient_voice"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    what_matters: Mapped[str] = mapped_column(EncryptedText("patient_voice.what_matters"), default="")
    goals: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("patient_voice.goals"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CarePlanRecord(Base):
    """One revision of a patient's care plan (`bedside.instruments.CarePlan` as JSON)."""

    __tablename__ = "care_plans"
    __table_args__ = (
        Index("ix_care_plans_patient_revision", "patient_id", "revision", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    document: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("care_plans.document"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
