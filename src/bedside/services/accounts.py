"""Accounts, sign-in with a slowing lock-out, browser sessions, second factor and API tokens.

Each public function is one unit of work: it changes the database, records the audit event in
the same transaction, and commits.

Sign-in never says whether an account exists: a wrong password, an unknown e-mail and an
account whose sign-in is being slowed after repeated failures all get the same `LoginFailed`
message after the same argon2 work (ASVS 2.2.1, no account enumeration). Repeated failures do
not lock the account; each one beyond `MAX_FAILURES` doubles the wait before the next attempt is
even checked, up to `LOCKOUT`.

A credential change (own password change, admin reset) ends every browser session and revokes
every API token of the account (ASVS 3.3.3); the changer gets one fresh session.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bedside.db import repos
from bedside.db.base import utcnow
from bedside.db.tables import ApiToken, Organisation, User, UserRole, WebSession
from bedside.errors import NotFound, PermissionDenied
from bedside.services import audit, mfa, safety_routing
from bedside.services.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from bedside.services.passwords import check_strength, hash_password, verify_password

__all__ = [
    "DEFAULT_TOKEN_DAYS",
    "LOCKOUT",
    "MAX_FAILURES",
    "MFA_STEP_LIFETIME",
    "MIN_PASSWORD_LENGTH",
    "SESSION_IDLE",
    "SESSION_LIFETIME",
    "TOKEN_LIFETIMES",
    "AccountLocked",
    "LoginFailed",
    "NewToken",
    "UserRole",
    "active_sessions",
    "authenticate",
    "change_password",
    "complete_mfa",
    "create_api_token",
    "create_organisation",
    "create_user",
    "end_other_sessions",
    "end_session",
    "is_session_token",
    "list_users",
    "mfa_pending_user",
    "needs_mfa_enrolment",
    "remove_mfa",
    "reset_password",
    "revoke_api_token",
    "session_user",
    "set_active",
    "start_session",
    "token_user",
    "tokens_of",
]

MAX_FAILURES = 5  # failures in a row before each further attempt must wait
FIRST_DELAY = timedelta(seconds=30)
LOCKOUT = timedelta(minutes=15)  # the longest wait; the account is never locked outright
SESSION_LIFETIME = timedelta(hours=8)  # absolute, from sign-in
SESSION_IDLE = timedelta(minutes=30)  # default; `BEDSIDE_SESSION_IDLE_MINUTES`
MFA_STEP_LIFETIME = timedelta(minutes=5)  # between the password and the code
MFA_MAX_FAILURES = 5  # wrong codes before the half-open sign-in is dropped
SEEN_RESOLUTION = timedelta(minutes=1)  # how stale `last_seen_at`/`last_used_at` may be (fewer writes)
TOKEN_LIFETIMES = (30, 90, 180, 365)  # days one may choose for an API token
DEFAULT_TOKEN_DAYS = 90
TOKEN_PREFIX = "bsk_"
SIGN_IN_FAILED = (
    "wrong e-mail or password. After several failed attempts sign-in slows down: "
    "wait a minute before trying again"
)


class LoginFailed(PermissionDenied):
    """Wrong e-mail or password, or sign-in slowed for now (deliberately not saying which)."""


class AccountLocked(PermissionDenied):
    """The account is disabled (said only after the right password)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_organisation(session: Session, name: str) -> Organisation:
    """Create an organisation (commits)."""
    organisation = Organisation(name=name)
    session.add(organisation)
    session.flush()
    audit.record(session, None, "organisation.create", f"organisation:{organisation.id}")
    session.commit()
    return organisation


def create_user(
    session: Session,
    actor: User | None,
    *,
    organisation_id: int,
    email: str,
    display_name: str,
    role: UserRole | str,
    password: str,
    ip: str | None = None,
    password_hash: str | None = None,
) -> User:
    """Create an account; only an admin (or the command line, `actor=None`) may.

    `password_hash` lets a seeding script reuse one argon2 hash for many accounts.
    """
    if actor is not None and actor.user_role is not UserRole.ADMIN:
        raise PermissionDenied("only an admin can create accounts")
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise PermissionDenied(f"{email!r} is not an e-mail address")
    if repos.get_user_by_email(session, email) is not None:
        raise PermissionDenied(f"an account for {email} already exists")
    if password_hash is None:
        check_strength(password, email=email)
        password_hash = hash_password(password)
    user = User(
        organisation_id=organisation_id,
        email=email,
        display_name=display_name.strip() or email,
        role=UserRole(role).value,
        password_hash=password_hash,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", f"user:{user.id}", ip=ip, detail=f"role={user.role}")
    session.commit()
    return user


def _next_wait(failures: int) -> timedelta:
    """How long sign-in waits after `failures` failures in a row (0 below `MAX_FAILURES`)."""
    if failures < MAX_FAILURES:
        return timedelta(0)
    doubled: timedelta = FIRST_DELAY * (2 ** min(failures - MAX_FAILURES, 10))  # no overflow
    return min(doubled, LOCKOUT)


def authenticate(session: Session, email: str, password: str, *, ip: str | None = None) -> User:
    """Check a password; every attempt is audited and committed.

    Raises:
        LoginFailed: wrong password, unknown e-mail, or an attempt within the wait that follows
            repeated failures (the same message and the same argon2 work in every case).
        AccountLocked: the password is right but the account is disabled.
    """
    user = repos.get_user_by_email(session, email.strip().lower())
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        verify_password(password, None)  # the same work as a real check
        audit.record(session, None, "auth.slowed", f"user:{user.id}", ip=ip)
        session.commit()
        raise LoginFailed(SIGN_IN_FAILED)
    right = verify_password(password, user.password_hash if user else None)  # work done either way
    if user is None or not right:
        if user is not None:
            user.failed_logins += 1
            wait = _next_wait(user.failed_logins)
            if wait:
                user.locked_until = now + wait
                audit.record(session, None, "auth.slowdown", f"user:{user.id}", ip=ip,
                             detail=f"wait={int(wait.total_seconds())}s")
        audit.record(session, None, "auth.failure", f"user:{user.id}" if user else "user", ip=ip)
        session.commit()
        raise LoginFailed(SIGN_IN_FAILED)
    if not user.is_active:
        audit.record(session, user, "auth.disabled", f"user:{user.id}", ip=ip)
        session.commit()
        raise AccountLocked("this account is disabled; ask an administrator")
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, user, "auth.login", f"user:{user.id}", ip=ip)
    session.commit()
    return user


def needs_mfa_enrolment(session: Session, user: User) -> bool:
    """True for an admin without a confirmed authenticator (they must add one before anything)."""
    return user.user_role is UserRole.ADMIN and not mfa.is_enrolled(session, user)


def start_session(session: Session, user: User, *, mfa_pending: bool = False) -> str:
    """Open a browser session; returns the random token for the cookie (only its hash is stored).

    With `mfa_pending` the session only lets its holder give the authentication code, for
    `MFA_STEP_LIFETIME`; `complete_mfa` turns it into a full session.
    """
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            token_hash=_digest(token), user_id=user.id, created_at=now, last_seen_at=now,
            expires_at=now + (MFA_STEP_LIFETIME if mfa_pending else SESSION_LIFETIME),
            mfa_pending=mfa_pending, mfa_failures=0,
        )
    )
    session.commit()
    return token


def session_user(session: Session, token: str, *, idle: timedelta = SESSION_IDLE) -> User | None:
    """The active account behind a session cookie, or None (expired, idle too long, half-open).

    A session unused for longer than `idle` is deleted; a used one has `last_seen_at` moved on
    at most once a minute.
    """
    found = repos.find_web_session(session, _digest(token), utcnow())
    if found is None or found.mfa_pending:
        return None
    now = utcnow()
    seen = found.last_seen_at or found.created_at
    if now - seen > idle:
        session.delete(found)
        audit.record(session, None, "auth.idle_timeout", f"user:{found.user_id}")
        session.commit()
        return None
    user_id = found.user_id
    if now - seen > SEEN_RESOLUTION:
        found.last_seen_at = now
        session.commit()
    user = repos.get_user(session, user_id)
    return user if user is not None and user.is_active else None


def mfa_pending_user(session: Session, token: str) -> User | None:
    """The account whose password was right and whose code is awaited, or None."""
    found = repos.find_web_session(session, _digest(token), utcnow())
    if found is None or not found.mfa_pending:
        return None
    user = repos.get_user(session, found.user_id)
    return user if user is not None and user.is_active else None


def complete_mfa(session: Session, token: str, code: str, *, ip: str | None = None) -> str:
    """Check the second factor of a half-open sign-in; returns a new full-session token.

    The half-open session is deleted either way once it succeeds or has had `MFA_MAX_FAILURES`
    wrong codes (then the password must be given again).

    Raises:
        LoginFailed: no half-open sign-in behind `token`, or the code is wrong or reused.
    """
    found = repos.find_web_session(session, _digest(token), utcnow())
    user = repos.get_user(session, found.user_id) if found is not None and found.mfa_pending else None
    if found is None or user is None or not user.is_active:
        raise LoginFailed("this sign-in has expired; give your e-mail and password again")
    if not mfa.check_code(session, user, code):
        found.mfa_failures += 1
        audit.record(session, None, "auth.mfa_failure", f"user:{user.id}", ip=ip)
        if found.mfa_failures >= MFA_MAX_FAILURES:
            session.delete(found)
            session.commit()
            raise LoginFailed("too many wrong codes; give your e-mail and password again")
        session.commit()
        raise LoginFailed("that code is wrong or was already used; wait for the next one")
    session.delete(found)
    audit.record(session, user, "auth.mfa", f"user:{user.id}", ip=ip)
    session.commit()
    return start_session(session, user)


def active_sessions(session: Session, user: User) -> Sequence[WebSession]:
    """The account's signed-in browsers (unexpired, past the code step), newest first."""
    return session.scalars(
        select(WebSession)
        .where(
            WebSession.user_id == user.id,
            WebSession.expires_at > utcnow(),
            WebSession.mfa_pending.is_(False),
        )
        .order_by(WebSession.id.desc())
    ).all()


def is_session_token(found: WebSession, token: str) -> bool:
    """True when `found` is the session behind this cookie token."""
    return secrets.compare_digest(found.token_hash, _digest(token))


def end_other_sessions(session: Session, user: User, token: str, *, ip: str | None = None) -> int:
    """Sign out every other browser of the account (ASVS 3.3.4); returns how many ended."""
    others = [
        row for row in session.scalars(select(WebSession).where(WebSession.user_id == user.id))
        if not is_session_token(row, token)
    ]
    for row in others:
        session.delete(row)
    audit.record(
        session, user, "auth.logout_others", f"user:{user.id}", ip=ip, detail=f"sessions={len(others)}"
    )
    session.commit()
    return len(others)


def end_session(session: Session, token: str, *, ip: str | None = None) -> None:
    """Sign out: delete the session row so the cookie is useless even if copied."""
    found = repos.find_web_session(session, _digest(token), utcnow())
    if found is None:
        return
    user = repos.get_user(session, found.user_id)
    session.delete(found)
    audit.record(session, user, "auth.logout", f"user:{found.user_id}", ip=ip)
    session.commit()


def _end_every_session_and_token(session: Session, user: User) -> None:
    """Delete the account's browser sessions and revoke its API tokens (no commit)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def list_users(session: Session, actor: User) -> Sequence[User]:
    """Every account of the admin's organisation."""
    _require_admin(actor)
    return repos.organisation_users(session, actor.organisation_id)


def _require_admin(actor: User) -> None:
    if actor.user_role is not UserRole.ADMIN:
        raise PermissionDenied("only an admin can manage accounts")


def _managed_user(session: Session, actor: User, user_id: int) -> User:
    _require_admin(actor)
    user = repos.organisation_user(session, user_id, organisation_id=actor.organisation_id)
    if user is None:
        raise NotFound(f"no account {user_id}")
    return user


def reset_password(
    session: Session, actor: User, user_id: int, new_password: str, *, ip: str | None = None,
    remove_mfa: bool = False,
) -> User:
    """An admin sets a new password: unlocks, ends every session and token, forces a change.

    With `remove_mfa` the account's authenticator and recovery codes go too (a lost phone); the
    user may add a new one, and an admin must before doing anything else.
    """
    user = _managed_user(session, actor, user_id)
    check_strength(new_password, email=user.email)
    if remove_mfa:
        mfa.remove(session, user, actor=actor, ip=ip)
    user.password_hash = hash_password(new_password)
    user.failed_logins = 0
    user.locked_until = None
    user.must_change_password = True
    _end_every_session_and_token(session, user)
    audit.record(session, actor, "user.reset_password", f"user:{user.id}", ip=ip)
    session.commit()
    return user


def set_active(
    session: Session, actor: User, user_id: int, active: bool, *, ip: str | None = None
) -> User:
    """An admin enables or disables an account (never their own)."""
    user = _managed_user(session, actor, user_id)
    if user.id == actor.id:
        raise PermissionDenied("you cannot disable your own account")
    user.is_active = active
    if not active:
        session.query(WebSession).filter(WebSession.user_id == user.id).delete()
        # their open tasks (urgent ones from safety flags) move to whoever routing picks now
        safety_routing.reassign_from(session, user, actor=actor, ip=ip)
    audit.record(
        session, actor, "user.enable" if active else "user.disable", f"user:{user.id}", ip=ip
    )
    session.commit()
    return user


def change_password(
    session: Session, user: User, old_password: str, new_password: str, *, ip: str | None = None
) -> str:
    """A user changes their own password (the old one is required).

    Every session and API token of the account ends; returns the token of one fresh session for
    the browser that made the change.
    """
    if not verify_password(old_password, user.password_hash):
        raise LoginFailed("the current password is wrong")
    if new_password == old_password:
        raise PermissionDenied("the new password must differ from the current one")
    check_strength(new_password, email=user.email)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    _end_every_session_and_token(session, user)
    audit.record(session, user, "user.change_password", f"user:{user.id}", ip=ip)
    session.commit()
    return start_session(session, user)


def remove_mfa(session: Session, user: User, password: str, *, ip: str | None = None) -> str:
    """Remove one's authenticator (the password is required); ends every other session too.

    Returns the token of a fresh session for this browser. An admin is then sent to add a new
    authenticator before anything else.
    """
    if not verify_password(password, user.password_hash):
        raise LoginFailed("the current password is wrong")
    mfa.remove(session, user, ip=ip)
    _end_every_session_and_token(session, user)
    session.commit()
    return start_session(session, user)


@dataclass(frozen=True)
class NewToken:
    """A freshly made API token: `secret` is shown once and never stored."""

    token: ApiToken
    secret: str


def create_api_token(
    session: Session, user: User, name: str, *, days: int = DEFAULT_TOKEN_DAYS, ip: str | None = None
) -> NewToken:
    """Make an API token for scripts, valid for `days` (one of `TOKEN_LIFETIMES`); only its SHA-256 is kept."""
    if days not in TOKEN_LIFETIMES:
        raise PermissionDenied(f"a token lasts {', '.join(map(str, TOKEN_LIFETIMES))} days")
    name = name.strip()[:100] or "token"
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id, name=name, token_hash=_digest(secret), prefix=secret[:12],
        created_at=now, expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(session, user, "token.create", f"api_token:{token.id}", ip=ip, detail=f"days={days}")
    session.commit()
    return NewToken(token=token, secret=secret)


def tokens_of(session: Session, user: User) -> Sequence[ApiToken]:
    """A user's API tokens."""
    return repos.user_tokens(session, user)


def revoke_api_token(session: Session, user: User, token_id: int, *, ip: str | None = None) -> None:
    """Revoke one of the user's own tokens."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"no API token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, user, "token.revoke", f"api_token:{token.id}", ip=ip)
        session.commit()


def _expired(token: ApiToken, now: datetime) -> bool:
    return token.expires_at is None or token.expires_at <= now


def token_user(session: Session, secret: str) -> User | None:
    """The active account behind an unexpired bearer token, or None; notes when it was used."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = repos.find_api_token(session, _digest(secret))
    now = utcnow()
    if token is None or _expired(token, now):
        return None
    user_id = token.user_id
    if token.last_used_at is None or now - token.last_used_at > SEEN_RESOLUTION:
        token.last_used_at = now
        session.commit()
    user = repos.get_user(session, user_id)
    if user is None or not user.is_active:
        return None
    return user
