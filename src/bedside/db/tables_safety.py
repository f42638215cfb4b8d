"""Tables of safety routing: each organisation's duty clinician and where every urgent task went.

An urgent task must always reach an active clinician (see `bedside.services.safety_routing`).
`TaskRouting` keeps every assignment of a task, the first one and each reassignment after a
clinician was disabled, so that "who had this flag, and when" can be answered afterwards.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bedside.db.base import Base, utcnow

__all__ = ["DutyClinician", "TaskRouting"]


class DutyClinician(Base):
    """The clinician who takes an organisation's urgent tasks when a patient has no care team."""

    __tablename__ = "duty_clinicians"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskRouting(Base):
    """One assignment of a care task: to whom (None = every active clinician), by which rule, why."""

    __tablename__ = "task_routings"
    __table_args__ = (Index("ix_task_routings_task", "task_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("care_tasks.id", ondelete="CASCADE"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    previous_assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    route: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
