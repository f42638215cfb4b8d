"""Password rules and hashing: argon2id (pwdlib), and the checks a new password must pass.

The rules follow OWASP ASVS 4.0.3 section 2.1 and NIST SP 800-63B 5.1.1.2: length over
complexity (at least `MIN_LENGTH` characters, any Unicode, long passphrases welcome), and no
password that attackers try first: one found in the bundled common-password lists (the top
100,000 of SecLists and the zxcvbn-ts frequency list, see `data/NOTICE.md`), one made of a
single repeated character or of white space, or one that contains the account's e-mail address.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from pwdlib import PasswordHash

from bedside.errors import PermissionDenied

__all__ = [
    "LISTS",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "WeakPassword",
    "check_strength",
    "common_passwords",
    "hash_password",
    "verify_password",
]

MIN_LENGTH = 12  # ASVS 2.1.1
MAX_LENGTH = 128  # ASVS 2.1.2: 64 must be allowed, more than 128 refused
MIN_DISTINCT = 3  # "aaaaaaaaaaaa" and "abababababab" are one guess away
LISTS = ("common_passwords_seclists_top100k.txt", "common_passwords_zxcvbn_ts.txt")
CONTEXT_WORDS = ("bedside",)  # the product's own name (NIST 800-63B: context-specific words)


class WeakPassword(PermissionDenied):
    """A new password breaks one of the password rules; the message says which."""


@cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


@cache
def common_passwords() -> frozenset[str]:
    """Every entry of the bundled lists, lower-cased (loaded once: 38,637 strings of 8 characters or more)."""
    folder = files("bedside.services") / "data"
    entries: set[str] = set()
    for name in LISTS:
        entries.update(line for line in (folder / name).read_text("utf-8").splitlines() if line)
    return frozenset(entries)


def _variants(password: str) -> set[str]:
    """The forms looked up in the lists: as typed, and without its spaces, lower-cased."""
    folded = password.strip().lower()
    return {folded, "".join(folded.split())}


def check_strength(password: str, *, email: str | None = None) -> None:
    """Refuse a new password that breaks a rule, with a message that says how to choose better.

    Args:
        password: the new password, exactly as typed (never trimmed or truncated).
        email: the account's e-mail; a password containing it or its local part is refused.
    """
    if not password.strip():
        raise WeakPassword("the password cannot be only spaces; try a few unrelated words")
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"the password must have at least {MIN_LENGTH} characters; a phrase of three or four "
            "unrelated words is easy to remember"
        )
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password can have at most {MAX_LENGTH} characters")
    if len(set(password.strip())) < MIN_DISTINCT:
        raise WeakPassword("the password repeats one or two characters; choose something less regular")
    folded = password.lower()
    for word in _personal_words(email):
        if word in folded:
            raise WeakPassword("the password cannot contain your e-mail address or its first part")
    for word in CONTEXT_WORDS:
        if word in folded:
            raise WeakPassword(f"the password cannot contain the word {word!r}")
    if _variants(password) & common_passwords():
        raise WeakPassword(
            "this password is on a list of common passwords that attackers try first; choose another"
        )


def _personal_words(email: str | None) -> tuple[str, ...]:
    words: list[str] = []
    if email:
        address = email.strip().lower()
        local = address.partition("@")[0]
        words.append(address)
        if len(local) >= 3:
            words.append(local)
    return tuple(words)


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
