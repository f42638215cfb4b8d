"""Praat TextGrids, read with praatio: one interval tier per speaker, one turn per non-empty interval.

PriMock57 ships one TextGrid per speaker (`day1_consultation01_doctor.TextGrid`, tier `Doctor`);
other tools write one file with a tier per speaker. Both are read the same way; empty intervals
(the silences between utterances) are not turns. Point tiers carry no speech and are ignored.

praatio parses the text but, being lenient, accepts things a clinical reader must not: it drops
the minus sign of a negative time and silently stops at a truncated tier. A light line scan
here catches those and gives every interval its line number.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from praatio.utilities import textgrid_io

from bedside.errors import FormatError
from bedside.io._common import (
    TurnBuilder,
    brief,
    check_times,
    conversation_id,
    line_numbers,
)
from bedside.io._praat_guard import check_long_fields
from bedside.model import Conversation, Role

__all__ = ["read_textgrid"]

_NEGATIVE = re.compile(
    r"^[ \t]*(?:(?:xmin|xmax|number|time)[ \t]*=[ \t]*)?-[ \t]*(?P<value>\d[\d.eE+\-]*)[ \t]*$",
    re.MULTILINE,
)
"""A negative number alone on its line. Only spaces and tabs around it (not `\\s`, which spans
lines): `^\\s*` retried at every line of a long run of blank lines is quadratic."""
_MAX_COUNT_DIGITS = 9
"""A declared tier or entry count longer than this cannot match a file under the size limit."""
_SHORT_TOKEN = re.compile(r'"(?:[^"]|"")*"|[-+]?\d[\w.+\-]*|<\w+>')


def _check_header(data: str, source: str) -> None:
    head = data[:200]
    if "ooBinaryFile" in head:
        raise FormatError(
            "binary TextGrids are not supported; expected a text TextGrid (Praat: Save as text file)",
            source=source,
            line=1,
        )
    if (
        not re.match(r'\s*File type\s*=\s*"ooTextFile(?: short)?"', head)
        or '"TextGrid"' not in head
    ):
        raise FormatError(
            "expected a Praat TextGrid starting 'File type = \"ooTextFile\"' and 'Object class = \"TextGrid\"'",
            source=source,
            line=1,
            column=1,
        )
    # Long format: praatio reads "xmin = -1.5" as 1.5, so look for the sign first (a cheap
    # substring test, then the regex for the line). Short-format times keep their sign and are
    # caught by check_times with the interval's line.
    suspicious = "= -" in data or "=-" in data or "=\t-" in data
    negative = (
        next((m for m in _NEGATIVE.finditer(data) if _nonzero(m["value"], data, m, source)), None)
        if suspicious
        else None
    )
    if negative:
        raise FormatError(
            "negative time; expected seconds from the start of the recording",
            source=source,
            line=line_numbers(data, [negative.start()])[0],
        )


def _nonzero(value: str, data: str, match: re.Match[str], source: str) -> bool:
    """Whether a signed number found by `_NEGATIVE` is non-zero (`-0` is how Praat writes 0)."""
    try:
        return float(value) != 0
    except ValueError:  # "1.2.3", "1e5e5": the scan's pattern is looser than a number
        raise FormatError(
            f"time '-{value[:30]}' is not a number; expected seconds",
            source=source,
            line=line_numbers(data, [match.start()])[0],
        ) from None


def _count(text: str, what: str, *, source: str, line: int) -> int:
    """A declared tier or entry count, checked before any loop or slice relies on it.

    A negative count once sent the short-format scan backwards for ever; a count of thousands
    of digits cannot be converted at all. Both are a FormatError naming the line.
    """
    digits = text.lstrip("+")
    # ASCII only: "4²".isdigit() is true, yet int("4²") raises ValueError.
    if not (digits.isascii() and digits.isdigit()) or len(digits) > _MAX_COUNT_DIGITS:
        raise FormatError(
            f"{what} count {brief(text)} is not a count; expected a whole number from 0",
            source=source,
            line=line,
        )
    return int(digits)


_LONG_TIER = re.compile(r"\s*item\s*\[\s*\d+\s*\]")
_LONG_SIZE = re.compile(r"\s*(?:intervals|points)\s*:\s*size\s*=\s*(\S+)")
_LONG_TIER_COUNT = re.compile(r"\s*size\s*=\s*(\S+)")
_LONG_ENTRY = re.compile(r"\s*(?:text|mark)\s*=")


class _Layout(NamedTuple):
    """What the file declares, found by a line scan: the tier count and, per tier, its entries."""

    tier_count: int | None
    tier_count_line: int | None
    tiers: list[tuple[int | None, list[int]]]
    """Per tier: the declared entry count and the line of each entry's text."""


def _long_layout(data: str, source: str) -> _Layout:
    """The declared counts and entry lines of the long text format.

    Substring tests pick candidate lines at C speed before a regex confirms them: five times
    faster here than one multi-line regex, which matters at 200 consultations a second.
    """
    lines = data.split("\n")
    starts = [n for n, text in enumerate(lines, 1) if "item" in text and _LONG_TIER.match(text)]
    sizes = [
        (n, _count(m.group(1), "entry", source=source, line=n))
        for n, text in enumerate(lines, 1)
        if "size" in text and (m := _LONG_SIZE.match(text))
    ]
    header = lines[: starts[0] - 1] if starts else lines
    tier_count = next(
        (
            (n, m.group(1))
            for n, text in enumerate(header, 1)
            if "size" in text and (m := _LONG_TIER_COUNT.match(text))
        ),
        None,
    )
    entries = [
        n
        for n, text in enumerate(lines, 1)
        if ("text" in text or "mark" in text) and _LONG_ENTRY.match(text)
    ]
    size_lines = [n for n, _ in sizes]
    tiers: list[tuple[int | None, list[int]]] = []
    for index, first in enumerate(starts):
        last = starts[index + 1] if index + 1 < len(starts) else len(lines) + 1
        at = bisect.bisect_right(size_lines, first)  # the first size after the tier's start
        declared = sizes[at][1] if at < len(sizes) and size_lines[at] < last else None
        inside = entries[bisect.bisect_left(entries, first) : bisect.bisect_left(entries, last)]
        tiers.append((declared, inside))
    if tier_count is None:
        return _Layout(None, None, tiers)
    line, text = tier_count
    return _Layout(_count(text, "tier", source=source, line=line), line, tiers)


def _short_layout(data: str, source: str) -> _Layout:
    """The declared counts and entry lines of the short text format, a stream of tokens.

    Every step moves forward by at least the five tokens of a tier header, and a count is
    checked (`_count`) before it moves the scan, so the loop ends within the token count.
    """
    tokens = [(m.group(0), m.start()) for m in _SHORT_TOKEN.finditer(data)]
    token_lines = line_numbers(data, (offset for _, offset in tokens))  # one pass, not one a tier

    def line_of(token: int) -> int:
        return token_lines[token]

    tier_count: int | None = None
    if len(tokens) > 5 and tokens[4][0] == "<exists>":
        tier_count = _count(tokens[5][0], "tier", source=source, line=line_of(5))
    tiers: list[tuple[int | None, list[int]]] = []
    index = 6  # "ooTextFile", "TextGrid", xmin, xmax, <exists>, tier count
    while index + 4 < len(tokens):
        kind, (count_text, _) = tokens[index][0], tokens[index + 4]
        width = 3 if kind == '"IntervalTier"' else 2
        if not count_text.lstrip("+-").isdigit():
            break  # not a count where one belongs: praatio's own parse decides
        declared = _count(count_text, "entry", source=source, line=line_of(index + 4))
        first = index + 5
        present = min(declared, (len(tokens) - first) // width)
        labels = [  # each entry's label is its last token
            token_lines[i + width - 1] for i in range(first, first + present * width, width)
        ]
        tiers.append((declared, labels))
        index = first + declared * width
    return _Layout(tier_count, line_of(5) if tier_count is not None else None, tiers)


_GENERIC_TIER = re.compile(
    r"^(?:speaker|tier|transcript|transcription|words?|utterances?)?\s*\d*$", re.I
)
"""Tier names that say nothing about who speaks (`Speaker`, `Tier 1`, ``)."""


def _speaker_name(tier_name: str, position: int, interval_tiers: int, source: str) -> str:
    """The tier's name, unless it is generic and the file holds one speaker.

    PriMock57's shared copy names most tiers just `Speaker`; the speaker is then the last
    `_part` of the file name (`day1_consultation01_doctor` -> `Doctor`), which is what lets
    `--merge` tell doctor from patient.
    """
    name = tier_name.strip()
    if name and not _GENERIC_TIER.match(name):
        return name
    stem = conversation_id(source)
    if interval_tiers == 1 and "_" in stem and stem.rsplit("_", 1)[1].strip():
        part = stem.rsplit("_", 1)[1].strip()
        return part[:1].upper() + part[1:]
    return name or f"Speaker {position}"


def _seconds(value: Any, *, source: str, line: int | None) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise FormatError(
            f"time {brief(value)} is not a number; expected seconds", source=source, line=line
        ) from None
    if not math.isfinite(seconds):
        raise FormatError(f"time {brief(value)} is not a finite number", source=source, line=line)
    return seconds


def read_textgrid(
    data: str, *, source: str = "<string>", roles: Mapping[str, Role] | None = None
) -> Conversation:
    """Read a TextGrid (long or short text format); turns are ordered by start time across tiers.

    Raises:
        FormatError: not a text TextGrid, a truncated or malformed tier, negative or reversed
            interval times, or no speech in any interval tier.
    """
    _check_header(data, source)
    if "ooTextFile short" not in data and "item [" in data:  # praatio's test for the long format
        check_long_fields(data, source=source)
    try:
        parsed = textgrid_io.parseTextgridStr(data, includeEmptyIntervals=True)
        tiers = [(str(t["name"]), t["class"], list(t["entries"])) for t in parsed["tiers"]]
    except Exception as error:  # praatio raises ParsingError, ValueError, IndexError, KeyError...
        raise FormatError(
            f"malformed or truncated TextGrid ({type(error).__name__}: {str(error)[:120]}); "
            "expected Praat's long or short text format",
            source=source,
        ) from None
    short = "ooTextFile short" in data[:200] or "item [" not in data
    layout = _short_layout(data, source) if short else _long_layout(data, source)
    if layout.tier_count is not None and layout.tier_count != len(tiers):
        raise FormatError(
            f"the file declares {layout.tier_count} tiers but {len(tiers)} were found; "
            "the file looks truncated or edited",
            source=source,
            line=layout.tier_count_line,
        )
    builder = TurnBuilder(source=source, roles=roles)
    interval_tiers = sum(kind == "IntervalTier" for _, kind, _ in tiers)
    for position, (name, kind, entries) in enumerate(tiers, start=1):
        declared, lines = (
            layout.tiers[position - 1] if position - 1 < len(layout.tiers) else (None, [])
        )
        if declared is not None and declared != len(entries):
            raise FormatError(
                f"tier {brief(name)} declares {declared} entries but {len(entries)} were found; "
                "the file looks truncated",
                source=source,
                line=lines[-1] if lines else None,
            )
        if kind != "IntervalTier":
            continue
        speaker = _speaker_name(name, position, interval_tiers, source)
        known_lines = len(lines) == len(entries)
        for index, (start, end, label) in enumerate(entries):
            line = lines[index] if known_lines else None
            begin = _seconds(start, source=source, line=line)
            finish = _seconds(end, source=source, line=line)
            if not label:  # a silence: its times are still checked, but it is no turn
                check_times(begin, finish, source=source, line=line, what="interval")
                continue
            builder.add(speaker, str(label), start=begin, end=finish, line=line)
    if not builder.turns:
        raise FormatError(
            "no speech found; expected an interval tier with non-empty intervals", source=source
        )
    turns = sorted(builder.turns, key=lambda turn: turn.start or 0.0)
    return Conversation(id=conversation_id(source), source=source, turns=tuple(turns))
