"""Password hashing with argon2id (pwdlib; passlib's argon2 backend breaks with argon2-cffi 25)."""

from __future__ import annotations

from functools import cache

from pwdlib import PasswordHash

from bedside.errors import PermissionDenied

__all__ = ["MIN_LENGTH", "WeakPassword", "check_strength", "hash_password", "verify_password"]

MIN_LENGTH = 10


class WeakPassword(PermissionDenied):
    """A new password does not meet the minimum length."""


@cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def check_strength(password: str) -> None:
    """Refuse passwords shorter than `MIN_LENGTH` characters (length beats complexity rules)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    """The argon2id hash of a password."""
    return _hasher().hash(password)


# A real hash to verify against when the account does not exist, so that an unknown e-mail
# takes as long as a wrong password (no account enumeration by timing).
@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password-0000")


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when the password matches; constant work whether or not the account exists."""
    if password_hash is None:
        _hasher().verify(password, _dummy_hash())
        return False
    try:
        return _hasher().verify(password, password_hash)
    except Exception:  # a malformed stored hash is a failed sign-in, not a server error
        return False
