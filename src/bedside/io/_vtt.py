"""WebVTT captions, read with webvtt-py; speakers from `<v Name>` voice spans or `Name:` prefixes.

    WEBVTT

    00:00:01.000 --> 00:00:04.000
    <v Dr Lee>How are you feeling &amp; sleeping?

webvtt-py parses the cues but silently skips a cue whose timing line is malformed, and gives
no line numbers, so a light structural pass here checks every block first and keeps each cue's
line for error messages and `Turn.line`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import webvtt

from bedside.errors import FormatError
from bedside.io._common import FORMATTING, TurnBuilder, conversation_id
from bedside.io._cues import split_cue
from bedside.model import Conversation, Role

__all__ = ["read_vtt", "vtt_seconds"]

_STAMP = r"(?:\d{2,4}:)?[0-5]\d:[0-5]\d\.\d{3}"  # up to 9999 hours: no float overflow
_TIMING = re.compile(rf"^\s*(?P<start>{_STAMP})[ \t]+-->[ \t]+(?P<end>{_STAMP})(?:[ \t]+.*)?$")
_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")


def vtt_seconds(stamp: str) -> float:
    """`01:02:03.500` or `02:03.500` -> seconds, exact to the millisecond."""
    clock, millis = stamp.split(".")
    parts = [int(part) for part in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, minutes, seconds = parts
    return (((hours * 60 + minutes) * 60 + seconds) * 1000 + int(millis)) / 1000


def _cue_timing_lines(data: str, source: str) -> list[int]:
    """Check the block structure and return the line number of every cue's timing line."""
    lines = data.split("\n")
    if not _HEADER.match(lines[0]):
        raise FormatError(
            "expected the file to start with 'WEBVTT'", source=source, line=1, column=1
        )
    timings: list[int] = []
    index = 1
    while index < len(lines) and lines[index].strip():
        index += 1  # header block (metadata lines)
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        block_start = index
        block = []
        while index < len(lines) and lines[index].strip():
            block.append(lines[index])
            index += 1
        first = block[0].lstrip()
        if first.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in first:
            continue
        arrow = next((i for i, text in enumerate(block[:2]) if "-->" in text), None)
        if arrow is None:
            raise FormatError(
                "expected a cue timing like '00:00:01.000 --> 00:00:04.000'",
                source=source,
                line=block_start + 1,
                column=1,
            )
        number = block_start + arrow + 1
        if not _TIMING.match(block[arrow]):
            raise FormatError(
                f"malformed cue timing {block[arrow].strip()[:60]!r}; expected 'hh:mm:ss.ttt --> hh:mm:ss.ttt'",
                source=source,
                line=number,
                column=1,
            )
        timings.append(number)
    return timings


def read_vtt(
    data: str, *, source: str = "<string>", roles: Mapping[str, Role] | None = None
) -> Conversation:
    """Read a WebVTT file; each named stretch of a cue is one turn with the cue's times.

    Raises:
        FormatError: a missing `WEBVTT` header, a malformed cue timing (with its line), a cue that
            ends before it starts, a first cue that names no speaker, or no turns at all.
    """
    timings = _cue_timing_lines(data, source)
    try:
        cues = list(webvtt.from_string(data).captions)
    except Exception as error:  # webvtt-py raises bare MalformedFileError/ValueError subclasses
        raise FormatError(
            f"not a valid WebVTT file ({error}); expected WEBVTT cues", source=source
        ) from None
    if len(cues) != len(timings):
        raise FormatError(
            f"found {len(timings)} cue timings but webvtt-py read {len(cues)} cues; "
            "expected one blank line between cues",
            source=source,
        )
    builder = TurnBuilder(source=source, roles=roles)
    speaker: str | None = None
    for cue, line in zip(cues, timings, strict=True):
        start, end = vtt_seconds(cue.start), vtt_seconds(cue.end)
        for name, raw, offset in split_cue(cue.raw_text.split("\n")):
            if name is None and speaker is None:
                raise FormatError(
                    "cue names no speaker; expected '<v Name>' or 'Name:' at the start of the first cue",
                    source=source,
                    line=line + 1,
                )
            speaker = name or speaker
            assert speaker is not None
            builder.add(
                speaker,
                FORMATTING.sub(" ", raw),
                start=start,
                end=end,
                line=line + 1 + offset,
                unescape=True,
            )
    if not builder.turns:
        raise FormatError("no turns found; expected cues with spoken text", source=source)
    return Conversation(id=conversation_id(source), source=source, turns=tuple(builder.turns))
