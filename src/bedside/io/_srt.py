"""SubRip (.srt) subtitles, read with the `srt` package; speakers from `Name:` prefixes.

    1
    00:00:01,000 --> 00:00:04,000
    Dr Lee: How are you feeling?

`srt` reports where parsing stopped as a character offset; it is turned into a line here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

import srt

from bedside.errors import FormatError
from bedside.io._common import FORMATTING, TurnBuilder, conversation_id, line_numbers
from bedside.io._cues import split_cue
from bedside.model import Conversation, Role

__all__ = ["read_srt"]

_ARROW = re.compile(r"^[^\n]*-->[^\n]*$", re.MULTILINE)
MAX_DIGITS = 24
"""Longest run of digits an SRT file may hold (a subtitle number or a time field is far shorter).

The `srt` package's pattern retries its index and time fields from every digit of a run, a
cost cubic in the run's length: 10 KB of digits took over 3 s. Capped, the cost stays linear.
"""
_LONG_DIGITS = re.compile(rf"\d{{{MAX_DIGITS + 1},}}")


def _check_digit_runs(data: str, source: str) -> None:
    run = _LONG_DIGITS.search(data)
    if run:
        line = data.count("\n", 0, run.start()) + 1
        raise FormatError(
            f"a run of {len(run.group())} digits; expected subtitle numbers and times "
            f"(at most {MAX_DIGITS} digits in a row)",
            source=source,
            line=line,
            column=run.start() - (data.rfind("\n", 0, run.start()) + 1) + 1,
        )


def _seconds(delta: timedelta) -> float:
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return round(micros / 1_000_000, 6)


def read_srt(
    data: str, *, source: str = "<string>", roles: Mapping[str, Role] | None = None
) -> Conversation:
    """Read an SRT file; each named stretch of a subtitle is one turn with the subtitle's times.

    Raises:
        FormatError: text that is not a subtitle block (with its line), a subtitle that ends
            before it starts, a first subtitle that names no speaker, or no turns at all.
    """
    _check_digit_runs(data, source)
    try:
        subtitles = list(srt.parse(data, ignore_errors=False))
    except srt.SRTParseError as error:
        line = data.count("\n", 0, error.expected_start) + 1
        unmatched = error.unmatched_content.strip().split("\n")[0][:60]
        raise FormatError(
            f"unexpected {unmatched!r}; expected a subtitle block (number, "
            "'hh:mm:ss,ttt --> hh:mm:ss,ttt', text, blank line)",
            source=source,
            line=line,
        ) from None
    except (ValueError, OverflowError) as error:
        raise FormatError(f"bad subtitle timing ({error})", source=source) from None
    arrows = line_numbers(data, (match.start() for match in _ARROW.finditer(data)))
    lines: list[int | None] = (
        list(arrows) if len(arrows) == len(subtitles) else [None] * len(subtitles)
    )
    builder = TurnBuilder(source=source, roles=roles)
    speaker: str | None = None
    for subtitle, timing_line in zip(subtitles, lines, strict=True):
        start, end = _seconds(subtitle.start), _seconds(subtitle.end)
        text_line = timing_line + 1 if timing_line is not None else None
        for name, raw, offset in split_cue(subtitle.content.split("\n")):
            if name is None and speaker is None:
                if not raw.strip():
                    continue
                raise FormatError(
                    "subtitle names no speaker; expected 'Name:' at the start of the first subtitle",
                    source=source,
                    line=text_line,
                )
            speaker = name or speaker
            assert speaker is not None
            builder.add(
                speaker,
                FORMATTING.sub(" ", raw),
                start=start,
                end=end,
                line=text_line + offset if text_line is not None else None,
            )
    if not builder.turns:
        raise FormatError("no turns found; expected subtitles with spoken text", source=source)
    return Conversation(id=conversation_id(source), source=source, turns=tuple(builder.turns))
