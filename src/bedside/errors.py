"""Every error bedside raises on purpose.

    BedsideError
     ├── FormatError        a transcript or data file could not be read (file, line, column, expected)
     │    └── ReadTimeout   reading the file took longer than the wall-clock limit
     ├── ScoringError       a questionnaire answer is missing or out of range
     ├── ScenarioError      a training scenario is unsound (dead end, unreachable node, bad key)
     ├── ModelError         shipped model weights are missing, corrupt or the wrong version
     ├── ConfigError        a setting from the environment is invalid
     ├── SealedDataError    an encrypted value does not open (changed, or its key is not configured)
     ├── AuditChainError    the audit trail's hash chain is broken, or an export does not continue it
     ├── Busy               the server or database cannot take this now; try again shortly
     ├── NotFound           a record does not exist (or is not visible to the caller)
     └── PermissionDenied   the caller's role or ownership does not allow the action

The command line turns any of these into one line on stderr and exit status 2; the web layer maps
them to HTTP status codes in one exception handler.
"""

from __future__ import annotations

__all__ = [
    "AuditChainError",
    "BedsideError",
    "Busy",
    "ConfigError",
    "FormatError",
    "ModelError",
    "NotFound",
    "PermissionDenied",
    "ReadTimeout",
    "ScenarioError",
    "ScoringError",
    "SealedDataError",
]


class BedsideError(Exception):
    """Base class of every error bedside raises on purpose."""


class FormatError(BedsideError):
    """A transcript or data file could not be read; says where and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        source: str = "<string>",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class ReadTimeout(FormatError):
    """Reading an upload took longer than `BEDSIDE_PARSE_TIMEOUT_S`; the reader was stopped."""


class Busy(BedsideError):
    """A lock, a full queue or a slow answer: nothing was changed, and trying again may work."""


class ScoringError(BedsideError):
    """A questionnaire answer is missing, of the wrong count, or out of range."""


class ScenarioError(BedsideError):
    """A training scenario file is unsound (unknown key, unreachable node, dead end)."""


class ModelError(BedsideError):
    """Shipped model weights are missing, corrupt (hash mismatch) or incompatible."""


class ConfigError(BedsideError):
    """A setting taken from the environment is invalid."""


class SealedDataError(BedsideError):
    """An encrypted column value failed to open: changed since it was written, or sealed with a
    data key that is not configured (see `bedside.db.crypto`)."""


class AuditChainError(BedsideError):
    """The audit trail's hash chain is broken, or an export file does not continue it."""


class NotFound(BedsideError):
    """The record does not exist, or the caller may not know that it exists."""


class PermissionDenied(BedsideError):
    """The caller's role or relation to the record does not allow this action."""
