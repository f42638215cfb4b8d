"""Analysis jobs: an upload's analysis runs in a worker pool, and this row is what the
progress page polls.

The row holds no health data: no transcript, no title, no file name. The error message is one
the service wrote itself (a reader's line number, or "the analysis failed"), never an
exception's text. `runner` names the server process that took the job, so that a restarted
server can tell its own interrupted jobs from a live neighbour's.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bedside.db.base import Base, utcnow

__all__ = ["AnalysisJob", "JobStatus"]


class JobStatus(StrEnum):
    """Where a job is: waiting for a worker, being analysed, stored, or given up."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class AnalysisJob(Base):
    """One upload's analysis, from queued to done (with its encounter) or failed (with why)."""

    __tablename__ = "analysis_jobs"
    __table_args__ = (Index("ix_analysis_jobs_status_runner", "status", "runner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    encounter_id: Mapped[int | None] = mapped_column(
        ForeignKey("encounters.id", ondelete="SET NULL"), default=None
    )
    runner: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def job_status(self) -> JobStatus:
        """The status as the enum."""
        return JobStatus(self.status)
