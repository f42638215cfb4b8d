"""TOTP second factor (RFC 6238, pyotp) and single-use recovery codes.

Offered to every account, required for admins (`bedside.services.accounts.needs_mfa_enrolment`).
The secret is stored sealed with the data keys (`bedside.db.crypto.EncryptedText`) and is never
logged; a code is accepted once only (its time step must be newer than the last accepted one,
ASVS 2.8.4), within one step of clock drift either way. Recovery codes have 100 random bits and
are kept as salted SHA-256 digests (ASVS 2.6.2), each usable once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bedside.db.base import utcnow
from bedside.db.tables import User
from bedside.db.tables_credentials import RecoveryCode, TotpCredential
from bedside.errors import PermissionDenied
from bedside.services import audit

__all__ = [
    "ISSUER",
    "RECOVERY_CODES",
    "Enrolment",
    "WrongCode",
    "begin_enrolment",
    "check_code",
    "confirm_enrolment",
    "is_enrolled",
    "pending_enrolment",
    "recovery_codes_left",
    "remove",
]

ISSUER = "bedside"
RECOVERY_CODES = 10
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
DRIFT_STEPS = 1  # accept the previous and next 30-second code too (phone clocks drift)


class WrongCode(PermissionDenied):
    """The authentication code is wrong, expired or already used."""


@dataclass(frozen=True)
class Enrolment:
    """What the account page shows while an authenticator is being added (secret shown once)."""

    secret: str
    uri: str


def _credential(session: Session, user: User) -> TotpCredential | None:
    return session.get(TotpCredential, user.id)


def is_enrolled(session: Session, user: User) -> bool:
    """True when the account has a confirmed authenticator."""
    credential = _credential(session, user)
    return credential is not None and credential.confirmed_at is not None


def _enrolment(user: User, secret: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri)


def pending_enrolment(session: Session, user: User) -> Enrolment | None:
    """The unconfirmed authenticator being added, or None."""
    credential = _credential(session, user)
    if credential is None or credential.confirmed_at is not None:
        return None
    return _enrolment(user, credential.secret)


def begin_enrolment(session: Session, user: User) -> Enrolment:
    """Make a new secret for the account (replacing an unconfirmed one) and commit it.

    Raises:
        PermissionDenied: an authenticator is already confirmed; remove it first.
    """
    credential = _credential(session, user)
    if credential is not None and credential.confirmed_at is not None:
        raise PermissionDenied("an authenticator is already set up; remove it before adding another")
    secret = pyotp.random_base32()  # 160 bits
    if credential is None:
        session.add(TotpCredential(user_id=user.id, secret=secret, last_step=0))
    else:
        credential.secret = secret
        credential.created_at = utcnow()
    session.commit()
    return _enrolment(user, secret)


def _matching_step(secret: str, code: str, after: int, now: datetime) -> int | None:
    """The time step whose code is `code`, newer than `after`, within the drift; else None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def confirm_enrolment(
    session: Session, user: User, code: str, *, ip: str | None = None, now: datetime | None = None
) -> tuple[str, ...]:
    """Confirm the new authenticator with a first code; returns fresh recovery codes (shown once).

    Raises:
        WrongCode: no authenticator is being added, or the code does not match.
    """
    credential = _credential(session, user)
    if credential is None or credential.confirmed_at is not None:
        raise WrongCode("start adding an authenticator first")
    step = _matching_step(credential.secret, _normalise(code), 0, now or utcnow())
    if step is None:
        raise WrongCode("that code does not match; check the phone's clock and try the next code")
    credential.confirmed_at = utcnow()
    credential.last_step = step
    codes = _new_recovery_codes(session, user)
    audit.record(session, user, "mfa.enrol", f"user:{user.id}", ip=ip)
    session.commit()
    return codes


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _new_recovery_codes(session: Session, user: User) -> tuple[str, ...]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(BASE32) for _ in range(20))  # 100 bits
        salt = secrets.token_hex(16)
        session.add(RecoveryCode(user_id=user.id, salt=salt, code_hash=_digest(salt, raw)))
        codes.append("-".join(raw[i : i + 5] for i in range(0, 20, 5)))
    return tuple(codes)


def recovery_codes_left(session: Session, user: User) -> int:
    """How many unused recovery codes the account has."""
    return len(
        session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )


def check_code(session: Session, user: User, code: str, *, now: datetime | None = None) -> bool:
    """Accept a 6-digit TOTP code (once) or an unused recovery code; flushes, does not commit."""
    credential = _credential(session, user)
    if credential is None or credential.confirmed_at is None:
        return False
    typed = _normalise(code)
    if typed.isdigit() and len(typed) == 6:
        step = _matching_step(credential.secret, typed, credential.last_step, now or utcnow())
        if step is None:
            return False
        credential.last_step = step
        session.flush()
        return True
    for stored in session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ):
        if hmac.compare_digest(stored.code_hash, _digest(stored.salt, typed)):
            stored.used_at = utcnow()
            session.flush()
            return True
    return False


def remove(session: Session, user: User, *, actor: User | None = None, ip: str | None = None) -> None:
    """Delete the account's authenticator and recovery codes (no commit).

    The caller checked the user's password, or `actor` is the admin doing it for them.
    """
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    audit.record(session, actor or user, "mfa.remove", f"user:{user.id}", ip=ip)
