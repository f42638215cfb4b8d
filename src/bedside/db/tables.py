"""The web application's tables: organisations, accounts, sessions, tokens, cohorts, encounters, audit.

Typed SQLAlchemy 2 declarations (`Mapped[...]`). Domain objects stay in `bedside.model`; these
classes are storage only and are mapped to and from the domain in `bedside.db.repos`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bedside.db.base import Base, utcnow
from bedside.db.crypto import EncryptedJSON, EncryptedText

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Cohort",
    "CohortMember",
    "Encounter",
    "EncounterShare",
    "Organisation",
    "User",
    "UserRole",
    "WebSession",
]


class UserRole(StrEnum):
    """What an account may do; object-level rules narrow it further (see `bedside.services.access`)."""

    ADMIN = "admin"
    EDUCATOR = "educator"
    CLINICIAN = "clinician"
    LEARNER = "learner"
    PATIENT = "patient"
    RESEARCHER = "researcher"


class Organisation(Base):
    """A care organisation or training programme; every account belongs to one."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A local account. `password_hash` is argon2id (pwdlib); never the password itself."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def user_role(self) -> UserRole:
        """The role as the enum."""
        return UserRole(self.role)


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # idle timeout and the sign-in's second step (services.accounts; migration 0006)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    mfa_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    mfa_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiToken(Base):
    """A bearer token for scripts; stored as SHA-256 (the token has 256 bits of entropy)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)  # migration 0006


class Cohort(Base):
    """A team or teaching group followed by one educator (coach)."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    educator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class CohortMember(Base):
    """Membership of a clinician or learner in a cohort."""

    __tablename__ = "cohort_members"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class Encounter(Base):
    """One uploaded consultation: its transcript, its analysis and a few summary figures.

    `analysis` is the contract JSON (`bedside.analysis/1`) served by the API; `report` is the
    lossless dump of the `AnalysisReport` that the HTML report is rendered from.
    The summary columns (score, talk share, missed cues) are copied out of the analysis so that
    trends and aggregates are one indexed query, never a scan of JSON documents.
    """

    __tablename__ = "encounters"
    __table_args__ = (Index("ix_encounters_owner_created", "owner_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    # Sealed too: uploaders name visits and files after the patient ("Mrs Smith follow-up").
    title: Mapped[str] = mapped_column(EncryptedText("encounters.title"))
    source_name: Mapped[str] = mapped_column(EncryptedText("encounters.source_name"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    turn_count: Mapped[int] = mapped_column(Integer)
    score: Mapped[int | None] = mapped_column(Integer, default=None)
    clinician_share: Mapped[float | None] = mapped_column(Float, default=None)
    cues: Mapped[int] = mapped_column(Integer, default=0)
    missed: Mapped[int] = mapped_column(Integer, default=0)
    # Risk turns in the analysis (suicide, self-harm, harm, safeguarding): the list marks them,
    # so a risk in an upload not linked to a patient is still seen (docs/analysis.md).
    risk_turns: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The documents are loaded only when read: lists, trends and access checks never parse them.
    # Sealed with AES-GCM (`bedside.db.crypto`): they hold the words of the consultation.
    conversation: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON("encounters.conversation"), deferred=True
    )
    analysis: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("encounters.analysis"), deferred=True)
    report: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("encounters.report"), deferred=True)


class EncounterShare(Base):
    """An encounter its owner has shared with another account of the same organisation."""

    __tablename__ = "encounter_shares"

    encounter_id: Mapped[int] = mapped_column(
        ForeignKey("encounters.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class AuditEvent(Base):
    """Who did what to which record, when and from where. Append-only and hash-chained.

    The migrations add database triggers that refuse UPDATE and DELETE on this table and, on
    PostgreSQL, an application role that may only INSERT and SELECT it. Each row stores the
    SHA-256 of the previous row's hash and its own canonical form (`bedside.db.audit_chain`), so
    `bedside audit verify` finds a row changed or removed behind the database's back.
    `organisation_id` scopes the trail per tenant (no foreign key: the trail outlives an erased
    organisation). `detail` never holds transcript text.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    actor_email: Mapped[str | None] = mapped_column(String(320), default=None)
    actor_role: Mapped[str | None] = mapped_column(String(20), default=None)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(64), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
