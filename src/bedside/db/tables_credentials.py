"""Second-factor credentials: a TOTP authenticator and single-use recovery codes per account.

The TOTP secret is stored sealed with the data keys (AES-GCM, `bedside.db.crypto.EncryptedText`);
recovery codes only as salted SHA-256 digests. `last_step` is the time step of the last accepted code, so that a code
seen over someone's shoulder cannot be replayed within its 30 seconds (ASVS 2.8.4).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bedside.db.base import Base, utcnow
from bedside.db.crypto import EncryptedText

__all__ = ["RecoveryCode", "TotpCredential"]


class TotpCredential(Base):
    """An account's authenticator app; `confirmed_at` is None until a first code was accepted."""

    __tablename__ = "totp_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(EncryptedText("totp_credentials.secret"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_step: Mapped[int] = mapped_column(Integer, default=0)


class RecoveryCode(Base):
    """One single-use recovery code, for a lost phone; `used_at` is set when it is spent."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(default=None)
