"""Tables of the data lifecycle: how long each organisation keeps its health data.

A policy is per organisation and per kind of record; a missing row, or a None for a kind, means
keep for ever (the default: deleting health data is a decision an organisation makes, never
bedside). The audit trail and safety flags have no retention field on purpose: they are kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from bedside.db.base import Base, utcnow

__all__ = ["RetentionPolicy"]


class RetentionPolicy(Base):
    """Days to keep each kind of record before `bedside data purge` deletes it (None = keep)."""

    __tablename__ = "retention_policies"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    encounters_days: Mapped[int | None] = mapped_column(Integer, default=None)
    messages_days: Mapped[int | None] = mapped_column(Integer, default=None)
    checkins_days: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
