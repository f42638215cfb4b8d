"""Tables of the access model: consent to share a patient's record, cohort invitations, break-glass.

Access is never self-granted (security issue 11, finding 5). A clinician joins a patient's care
team (`CareAssignment`) only when an admin or a clinician already on that team adds them, with
the patient's consent recorded here; an educator's invitation gives no access until the member
accepts it; break-glass access is a time-limited, justified row that admins review.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bedside.db.base import Base, utcnow
from bedside.db.crypto import EncryptedText

__all__ = ["BreakGlassAccess", "CareConsent", "CohortInvitation"]


class CareConsent(Base):
    """The patient's consent to share their record with one clinician of their care team.

    `recorded_by_id` is the admin or clinician who granted the relationship and attested that the
    patient agreed; `withdrawn_at` is set when the relationship is revoked.
    """

    __tablename__ = "care_consents"
    __table_args__ = (Index("ix_care_consents_patient_clinician", "patient_id", "clinician_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)


class CohortInvitation(Base):
    """An educator's invitation to join a cohort; membership (and access) starts on acceptance."""

    __tablename__ = "cohort_invitations"
    __table_args__ = (Index("ix_cohort_invitations_user_status", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class BreakGlassAccess(Base):
    """Emergency access by a clinician to a patient outside their care team.

    Open until `expires_at` (or `ended_at`, when the clinician closes it early); the written
    justification is kept for the admins' review.
    """

    __tablename__ = "break_glass_access"
    __table_args__ = (
        Index("ix_break_glass_access_clinician_expires", "clinician_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Sealed (`bedside.db.crypto`): the reason for an emergency is often clinical.
    justification: Mapped[str] = mapped_column(EncryptedText("break_glass_access.justification"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
