"""Plain-text transcripts: `Speaker: text` lines, continuation lines, optional time prefixes.

    [00:01:02] Dr Lee: How have you been since we last met?
    [00:01:05] Patient: Not great, to be honest.
    I haven't been sleeping.

A line that does not start with a speaker continues the turn above it (transcribers wrap long
turns). Times, when present, are turn starts; the format has no end times.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bedside.errors import FormatError
from bedside.io._common import SPEAKER_PREFIX, TurnBuilder, conversation_id
from bedside.model import Conversation, Role

__all__ = ["parse_clock", "read_text"]

_TIME_PREFIX = re.compile(r"^\s*\[(?P<clock>[0-9][0-9:.,]*)\]\s*")
_CLOCK = re.compile(
    r"^(?:(?P<h>\d{1,4}):(?P<m2>[0-5]\d)|(?P<m>\d{1,6})):(?P<s>[0-5]\d)(?:[.,](?P<frac>\d{1,3}))?$"
)


def parse_clock(clock: str) -> float | None:
    """`01:02:03.5` or `62:03` -> seconds; None when it is not a clock."""
    match = _CLOCK.match(clock)
    if not match:
        return None
    hours = int(match["h"] or 0)
    minutes = int(match["m2"] if match["m2"] is not None else match["m"])
    frac = match["frac"] or ""
    millis = int(frac.ljust(3, "0")) if frac else 0
    total_ms = ((hours * 60 + minutes) * 60 + int(match["s"])) * 1000 + millis
    return total_ms / 1000


def read_text(
    data: str, *, source: str = "<string>", roles: Mapping[str, Role] | None = None
) -> Conversation:
    """Read a `Speaker: text` transcript.

    Raises:
        FormatError: text before the first speaker, a malformed `[hh:mm:ss]` prefix, a time prefix
            with no speaker after it, or no turns at all.
    """
    builder = TurnBuilder(source=source, roles=roles)
    current: tuple[str, list[str], float | None, int] | None = None

    def flush() -> None:
        if current is not None:
            name, parts, start, line = current
            builder.add(name, " ".join(parts), start=start, line=line)

    for number, line in enumerate(data.split("\n"), start=1):
        if not line.strip():
            continue
        start: float | None = None
        rest = line
        timed = _TIME_PREFIX.match(line)
        if timed:
            start = parse_clock(timed["clock"])
            if start is None:
                raise FormatError(
                    f"'[{timed['clock'][:20]}]' is not a time; expected [hh:mm:ss] or [mm:ss]",
                    source=source,
                    line=number,
                    column=timed.start("clock"),
                )
            rest = line[timed.end() :]
        spoken = SPEAKER_PREFIX.match(rest)
        if spoken:
            flush()
            current = (spoken["name"], [spoken["text"]], start, number)
        elif timed:
            raise FormatError(
                "a time prefix must be followed by 'Speaker: text'",
                source=source,
                line=number,
                column=timed.end() + 1,
            )
        elif current is None:
            raise FormatError(
                "text before the first speaker; expected 'Speaker: text' (for example 'Dr Lee: Hello')",
                source=source,
                line=number,
                column=1,
            )
        else:
            current[1].append(line)
    flush()
    if not builder.turns:
        raise FormatError("no turns found; expected lines like 'Dr Lee: Hello'", source=source)
    return Conversation(id=conversation_id(source), source=source, turns=tuple(builder.turns))
