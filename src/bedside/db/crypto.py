"""Encrypted columns: transcripts, messages and free-text answers sealed with AES-256-GCM.

A stolen database file or backup must not read as a patient's words. Each value is sealed on its
way into the database and opened on its way out, so the ORM API does not change
(`encounter.analysis` is still a dict, `message.text` still a str).

A sealed value is one line of text, `bsd1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`: the key
id names the key that sealed it (several keys may be configured during a rotation), the 96-bit
nonce is random per value, and the column's name (`encounters.analysis`) is authenticated as
associated data, so a value copied into another column does not open. A changed byte, a wrong key
or a plaintext value raise `SealedDataError`; nothing ever comes back as garbage.

The keyring is process-wide: `bedside.services.keys` loads it from the environment and installs
it when a database is opened (`install_keyring`); this module only seals and opens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bedside.errors import ConfigError, SealedDataError

__all__ = [
    "PREFIX",
    "EncryptedJSON",
    "EncryptedText",
    "Keyring",
    "install_keyring",
    "installed_keyring",
    "is_sealed",
    "key_id_for",
    "parse_keyring",
    "seal",
    "sealed_key_id",
    "unseal",
]

PREFIX = "bsd1"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID = re.compile(r"[A-Za-z0-9-]{1,32}")


def key_id_for(key: bytes) -> str:
    """The id a key gets when none is given: the first 8 hex digits of its SHA-256.

    Deterministic, so that moving from `BEDSIDE_DATA_KEY=K1` to `BEDSIDE_DATA_KEYS=K2,K1` still
    opens every value sealed under K1.
    """
    return hashlib.sha256(key).hexdigest()[:8]


@dataclass(frozen=True)
class Keyring:
    """The data keys by id; `active_id` seals new values, every key opens old ones."""

    active_id: str
    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        for key_id, key in self.keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise ConfigError(
                    f"data key id {key_id!r} must be 1-32 letters, digits or '-'"
                )
            if len(key) != KEY_BYTES:
                raise ConfigError(
                    f"data key {key_id!r} has {len(key)} bytes; it must be the base64 of "
                    f"{KEY_BYTES} random bytes (`bedside data new-key` prints one)"
                )
        if self.active_id not in self.keys:
            raise ConfigError(f"the active data key {self.active_id!r} is not in the keyring")

    @property
    def active_key(self) -> bytes:
        """The key that seals new values."""
        return self.keys[self.active_id]


def parse_keyring(spec: str) -> Keyring:
    """Parse `id1:base64key1,id2:base64key2` (first one active); an entry may omit `id:`.

    Raises:
        ConfigError: an entry is not base64 of 32 bytes, or an id repeats.
    """
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        key_id, _, encoded = entry.rpartition(":")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(
                "a data key is not valid base64; each entry is `id:base64key` or `base64key`"
            ) from None
        key_id = key_id or key_id_for(key)
        if key_id in keys:
            raise ConfigError(f"data key id {key_id!r} is given twice")
        keys[key_id] = key
        order.append(key_id)
    if not order:
        raise ConfigError("the data key setting is empty; give at least one base64 key")
    return Keyring(active_id=order[0], keys=keys)


_installed: Keyring | None = None


def install_keyring(keyring: Keyring | None) -> None:
    """Make `keyring` the one every encrypted column uses in this process (None removes it)."""
    global _installed
    _installed = keyring


def installed_keyring() -> Keyring:
    """The process keyring; a clear ConfigError when no database was opened with one."""
    if _installed is None:
        raise ConfigError(
            "no data key is loaded: open the database with bedside.services.database."
            "open_database, or set BEDSIDE_DATA_KEY"
        )
    return _installed


def _aad(key_id: str, purpose: str) -> bytes:
    return f"{PREFIX}:{key_id}:{purpose}".encode()


def seal(plaintext: bytes, keyring: Keyring, *, purpose: str) -> str:
    """Encrypt `plaintext` under the active key; `purpose` (the column) is authenticated too."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keyring.active_key).encrypt(nonce, plaintext, _aad(keyring.active_id, purpose))
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
    return f"{PREFIX}:{keyring.active_id}:{body}"


def is_sealed(value: str) -> bool:
    """True when `value` has the shape of a sealed value (it may still fail to open)."""
    return sealed_key_id(value) is not None


def sealed_key_id(value: str) -> str | None:
    """The id of the key that sealed `value`, or None when it is not a sealed value."""
    prefix, _, rest = value.partition(":")
    key_id, sep, _ = rest.partition(":")
    if prefix != PREFIX or not sep or not _KEY_ID.fullmatch(key_id):
        return None
    return key_id


def unseal(value: str, keyring: Keyring, *, purpose: str) -> bytes:
    """Decrypt a sealed value.

    Raises:
        SealedDataError: not a sealed value, sealed under a key that is not configured, or
            changed since it was sealed (the message names the column, never the content).
    """
    key_id = sealed_key_id(value)
    if key_id is None:
        raise SealedDataError(f"{purpose}: the stored value is not encrypted (expected {PREFIX}:…)")
    key = keyring.keys.get(key_id)
    if key is None:
        raise SealedDataError(
            f"{purpose}: the value was encrypted with data key {key_id!r}, which is not "
            "configured; add it to BEDSIDE_DATA_KEYS"
        )
    try:
        raw = base64.urlsafe_b64decode(value.split(":", 2)[2].encode("ascii"))
        if len(raw) <= NONCE_BYTES:
            raise ValueError("too short")
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(key_id, purpose))
    except (InvalidTag, ValueError, binascii.Error):
        raise SealedDataError(
            f"{purpose}: the encrypted value failed its integrity check (changed, truncated or "
            f"sealed with a different key under the id {key_id!r})"
        ) from None


class EncryptedText(TypeDecorator[str]):
    """A `str` column stored sealed; `purpose` is the column's `table.column` name."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return seal(value.encode("utf-8"), installed_keyring(), purpose=self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return unseal(value, installed_keyring(), purpose=self.purpose).decode("utf-8")


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document column stored sealed (compact JSON, UTF-8, then AES-GCM)."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        document = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return seal(document.encode("utf-8"), installed_keyring(), purpose=self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(unseal(value, installed_keyring(), purpose=self.purpose))
