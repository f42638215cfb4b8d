"""Tables of the training simulator: each learner's attempts, and scenarios assigned to cohorts.

An attempt stores the simulator's immutable `Attempt` as JSON (`state`), so a play can be resumed
on any request and its debrief rebuilt exactly; the outcome and skill counts are copied out when it
ends, so that progress charts and cohort reports are one indexed query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bedside.db.base import Base, utcnow
from bedside.db.crypto import EncryptedJSON

__all__ = ["CohortAssignment", "TrainingAttempt"]


class TrainingAttempt(Base):
    """One learner's play of one scenario, in progress or finished."""

    __tablename__ = "training_attempts"
    __table_args__ = (Index("ix_training_attempts_user_started", "user_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scenario_id: Mapped[str] = mapped_column(String(64))
    scenario_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("training_attempts.state"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    skills: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class CohortAssignment(Base):
    """A scenario an educator has assigned to a cohort."""

    __tablename__ = "cohort_assignments"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    scenario_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
