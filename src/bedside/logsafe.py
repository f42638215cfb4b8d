"""No health data in any log line (issue 11, finding 7; HIPAA §164.312(b), ASVS 7.1.1).

A database error under a lock once logged the transcript text and `{"item9": 3, "total": 19}`:
SQLAlchemy puts the bound values into its error message, PostgreSQL echoes a failing row in its
`DETAIL:` line, and pydantic repeats the `input_value`. bedside's engines hide bound values
(`hide_parameters=True`); this module is the second line: `install_log_redaction` makes every
log record redact the known carriers of patient content before any handler sees it.

What is redacted:
- SQLAlchemy's `[parameters: …]` block, PostgreSQL's `DETAIL:` lines (a failing row, a duplicate
  key's value) and pydantic's `input_value=…`, in the message and in the formatted traceback;
- values under PHI-carrying keys (`answers`, `text`, `transcript`, `message`, `item9` …) in
  mapping arguments of a log call, and in `extra=` fields of that name.

Tracebacks are formatted and redacted when the record is made (`exc_text`), and `exc_info` is
dropped, so no handler formats the raw exception again. Text arguments of a log call have CR and
LF escaped (ASVS 7.3.1): a request path or a name cannot start a forged log line.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "PHI_KEYS",
    "REDACTED",
    "RedactPHI",
    "install_log_redaction",
    "redact_record",
    "redact_text",
]

REDACTED = "[redacted]"

PHI_KEYS = frozenset(
    {
        "answers", "body", "content", "conversation", "detail", "free_text", "goals", "message",
        "messages", "note", "notes", "params", "parameters", "report", "safety_total", "text",
        "total", "transcript", "turns", "what_matters",
    }
)
"""Names under which bedside keeps patient content (columns, form fields, dict keys)."""

_ITEM_KEY = re.compile(r"item\d+\Z")

_CARRIERS: tuple[tuple[re.Pattern[str], str], ...] = (
    # SQLAlchemy: "[parameters: {...}]" up to its "(Background on this error" line or the end
    (re.compile(r"\[parameters: .*?(?=\n\(Background on this error|\Z)", re.S),
     f"[parameters: {REDACTED}]"),
    # PostgreSQL: "DETAIL:  Failing row contains (...)", "DETAIL:  Key (email)=(...) exists."
    (re.compile(r"^(\s*DETAIL:).*$", re.M), rf"\1 {REDACTED}"),
    (re.compile(r"Failing row contains \(.*?\)\.?$", re.M | re.S), f"Failing row contains {REDACTED}"),
    (re.compile(r"(Key \([^)]*\))=\(.*?\)", re.S), rf"\1=({REDACTED})"),
    # pydantic ValidationError: "input_value='...', input_type=str"
    (re.compile(r"input_value=.*?(?=, input_type=|\]$|$)", re.M | re.S), f"input_value={REDACTED}"),
)

_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "_bedside_redacted",
}


def redact_text(text: str) -> str:
    """The text with every known carrier of patient content replaced by `[redacted]`."""
    for pattern, replacement in _CARRIERS:
        text = pattern.sub(replacement, text)
    return text


def _is_phi_key(key: object) -> bool:
    return isinstance(key, str) and (key.lower() in PHI_KEYS or bool(_ITEM_KEY.match(key.lower())))


def _redact_value(value: Any, depth: int = 0) -> Any:
    if depth > 4:
        return value
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _is_phi_key(key) else _redact_value(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(item, depth + 1) for item in value)
    if isinstance(value, str):
        return _one_line(redact_text(value))
    return value


def _one_line(value: str) -> str:
    """A value logged as one line: CR and LF escaped, so input cannot forge a log entry."""
    return value.replace("\r", "\\r").replace("\n", "\\n")


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact one record in place (message, arguments, traceback, PHI-named extra fields)."""
    if getattr(record, "_bedside_redacted", False):
        _redact_extra(record)
        return record
    if record.args:
        record.args = _redact_value(record.args)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep logging's own error path
        message = str(record.msg)
    record.msg, record.args = redact_text(message), ()
    if record.exc_info and record.exc_info[0] is not None:
        formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = redact_text(formatted)
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)
    _redact_extra(record)
    setattr(record, "_bedside_redacted", True)  # noqa: B010 - LogRecord has no such field
    return record


def _redact_extra(record: logging.LogRecord) -> None:
    for name in set(vars(record)) - _STANDARD_ATTRIBUTES:
        if _is_phi_key(name):
            setattr(record, name, REDACTED)


class RedactPHI(logging.Filter):
    """A handler filter: redact each record before the handler formats it (keeps every record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact and let the record through."""
        redact_record(record)
        return True


_installed: dict[str, Callable[..., logging.LogRecord]] = {}


def install_log_redaction() -> None:
    """Redact every log record from now on: a record factory, and a filter on the root handlers.

    The factory covers every handler, including ones added later (pytest's caplog, uvicorn's);
    the handler filter also covers `extra=` fields, which logging sets after the factory runs.
    Calling it again is harmless.
    """
    if "factory" not in _installed:
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return redact_record(previous(*args, **kwargs))

        _installed["factory"] = factory
        logging.setLogRecordFactory(factory)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(existing, RedactPHI) for existing in handler.filters):
            handler.addFilter(RedactPHI())
