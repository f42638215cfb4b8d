"""Accounts, sign-in with throttled lock-out, browser sessions and API tokens.

Each public function is one unit of work: it changes the database, records the audit event in
the same transaction, and commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from bedside.db import repos
from bedside.db.base import utcnow
from bedside.db.tables import ApiToken, Organisation, User, UserRole, WebSession
from bedside.errors import NotFound, PermissionDenied
from bedside.services import audit
from bedside.services.passwords import check_strength, hash_password, verify_password

__all__ = [
    "LOCKOUT",
    "MAX_FAILURES",
    "SESSION_LIFETIME",
    "AccountLocked",
    "LoginFailed",
    "NewToken",
    "UserRole",
    "authenticate",
    "change_password",
    "create_api_token",
    "create_organisation",
    "create_user",
    "end_session",
    "list_users",
    "reset_password",
    "revoke_api_token",
    "session_user",
    "set_active",
    "start_session",
    "token_user",
    "tokens_of",
]

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
TOKEN_PREFIX = "bsk_"


class LoginFailed(PermissionDenied):
    """Wrong e-mail or password (deliberately not saying which)."""


class AccountLocked(PermissionDenied):
    """Too many failed sign-ins: the account is locked for a while, or disabled."""


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
        check_strength(password)
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


def authenticate(session: Session, email: str, password: str, *, ip: str | None = None) -> User:
    """Check a sign-in; after `MAX_FAILURES` wrong passwords the account locks for `LOCKOUT`.

    Every attempt is audited (success, failure and refusal while locked) and committed.
    """
    user = repos.get_user_by_email(session, email)
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        verify_password(password, None)  # same work as a real check
        audit.record(session, user, "auth.locked", f"user:{user.id}", ip=ip)
        session.commit()
        raise AccountLocked("this account is locked after repeated failed sign-ins; try later")
    if not verify_password(password, user.password_hash if user else None) or user is None:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                audit.record(session, user, "auth.lockout", f"user:{user.id}", ip=ip)
        audit.record(
            session, None, "auth.failure", f"user:{user.id}" if user else "user", ip=ip
        )
        session.commit()
        raise LoginFailed("wrong e-mail or password")
    if not user.is_active:
        audit.record(session, user, "auth.disabled", f"user:{user.id}", ip=ip)
        session.commit()
        raise AccountLocked("this account is disabled; ask an administrator")
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, user, "auth.login", f"user:{user.id}", ip=ip)
    session.commit()
    return user


def start_session(session: Session, user: User) -> str:
    """Open a browser session; returns the random token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(token_hash=_digest(token), user_id=user.id, expires_at=utcnow() + SESSION_LIFETIME)
    )
    session.commit()
    return token


def session_user(session: Session, token: str) -> User | None:
    """The active account behind a session cookie, or None."""
    found = repos.find_web_session(session, _digest(token), utcnow())
    if found is None:
        return None
    user = repos.get_user(session, found.user_id)
    return user if user is not None and user.is_active else None


def end_session(session: Session, token: str, *, ip: str | None = None) -> None:
    """Sign out: delete the session row so the cookie is useless even if copied."""
    found = repos.find_web_session(session, _digest(token), utcnow())
    if found is None:
        return
    user = repos.get_user(session, found.user_id)
    session.delete(found)
    audit.record(session, user, "auth.logout", f"user:{found.user_id}", ip=ip)
    session.commit()


def list_users(session: Session, actor: User) -> Sequence[User]:
    """Every account of the admin's organisation."""
    _require_admin(actor)
    return repos.organisation_users(session, actor.organisation_id)


def _require_admin(actor: User) -> None:
    if actor.user_role is not UserRole.ADMIN:
        raise PermissionDenied("only an admin can manage accounts")


def _managed_user(session: Session, actor: User, user_id: int) -> User:
    _require_admin(actor)
    user = repos.get_user(session, user_id)
    if user is None or user.organisation_id != actor.organisation_id:
        raise NotFound(f"no account {user_id}")
    return user


def reset_password(
    session: Session, actor: User, user_id: int, new_password: str, *, ip: str | None = None
) -> User:
    """An admin sets a new password, unlocks the account and signs out its sessions."""
    user = _managed_user(session, actor, user_id)
    check_strength(new_password)
    user.password_hash = hash_password(new_password)
    user.failed_logins = 0
    user.locked_until = None
    user.must_change_password = True
    session.query(WebSession).filter(WebSession.user_id == user.id).delete()
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
    audit.record(
        session, actor, "user.enable" if active else "user.disable", f"user:{user.id}", ip=ip
    )
    session.commit()
    return user


def change_password(
    session: Session, user: User, old_password: str, new_password: str, *, ip: str | None = None
) -> None:
    """A user changes their own password (the old one is required)."""
    if not verify_password(old_password, user.password_hash):
        raise LoginFailed("the current password is wrong")
    check_strength(new_password)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    audit.record(session, user, "user.change_password", f"user:{user.id}", ip=ip)
    session.commit()


@dataclass(frozen=True)
class NewToken:
    """A freshly made API token: `secret` is shown once and never stored."""

    token: ApiToken
    secret: str


def create_api_token(session: Session, user: User, name: str, *, ip: str | None = None) -> NewToken:
    """Make an API token for scripts; only its SHA-256 is kept."""
    name = name.strip()[:100] or "token"
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(secret), prefix=secret[:12])
    session.add(token)
    session.flush()
    audit.record(session, user, "token.create", f"api_token:{token.id}", ip=ip)
    session.commit()
    return NewToken(token=token, secret=secret)


def tokens_of(session: Session, user: User) -> Sequence[ApiToken]:
    """A user's API tokens."""
    return repos.user_tokens(session, user.id)


def revoke_api_token(session: Session, user: User, token_id: int, *, ip: str | None = None) -> None:
    """Revoke one of the user's own tokens."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"no API token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, user, "token.revoke", f"api_token:{token.id}", ip=ip)
        session.commit()


def token_user(session: Session, secret: str) -> User | None:
    """The active account behind a bearer token, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = repos.find_api_token(session, _digest(secret))
    if token is None:
        return None
    user = repos.get_user(session, token.user_id)
    if user is None or not user.is_active:
        return None
    return user
