"""Writers: a Conversation to each supported format, so that transcripts can be normalised.

Every writer is the inverse of its reader: reading the output back gives the same conversation
(speakers, roles where the format can hold them, text, times to the format's precision, and
tags, written as empty markers such as `<UNSURE/>` where the format has no field for them).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from bedside.errors import FormatError
from bedside.io._common import SPEAKER_PREFIX, format_clock
from bedside.io._csv import CSV_COLUMNS
from bedside.io._tags import tag_markers
from bedside.model import Conversation, Turn

__all__ = ["WRITERS", "conversation_document", "write_conversation"]


def _prefix_name(conv: Conversation, turn: Turn, format: str) -> str:
    """The speaker as a `Name:` prefix, refusing names that would read back differently."""
    name = turn.speaker.name
    match = SPEAKER_PREFIX.match(f"{name}: x")
    if match is None or match["name"] != name:
        raise FormatError(
            f"speaker {name[:40]!r} cannot be written as a 'Name:' prefix in {format} (a name "
            "starts with a letter and has no colon); write json, jsonl, csv or vtt instead",
            source=conv.source,
            line=turn.line,
        )
    return name


def _text_with_markers(turn: Turn) -> str:
    return f"{turn.text} {tag_markers(turn.tags)}" if turn.tags else turn.text


def _timed(conv: Conversation, format: str) -> None:
    for index, turn in enumerate(conv.turns):
        if turn.start is None or turn.end is None:
            raise FormatError(
                f"turn {index} has no start/end time; {format} needs times on every turn "
                "(write json, jsonl, csv or text instead)",
                source=conv.source,
                line=turn.line,
            )


def conversation_document(conv: Conversation) -> dict[str, Any]:
    """The Conversation JSON document (contracts.md), with `tags` on turns that have them."""
    turns = []
    for turn in conv.turns:
        item: dict[str, Any] = {
            "speaker": turn.speaker.name,
            "role": turn.role.value,
            "text": turn.text,
            "start": turn.start,
            "end": turn.end,
        }
        if turn.tags:
            item["tags"] = list(turn.tags)
        turns.append(item)
    return {"id": conv.id, "metadata": dict(conv.metadata), "turns": turns}


def _json(conv: Conversation) -> str:
    return json.dumps(conversation_document(conv), ensure_ascii=False, indent=2) + "\n"


def _jsonl(conv: Conversation) -> str:
    return json.dumps(conversation_document(conv), ensure_ascii=False, separators=(",", ":")) + "\n"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt(conv: Conversation) -> str:
    _timed(conv, "WebVTT")
    blocks = ["WEBVTT"]
    for turn in conv.turns:
        assert turn.start is not None and turn.end is not None
        text = _vtt_escape(turn.text)
        if turn.tags:
            text = f"{text} {tag_markers(turn.tags)}"
        name = turn.speaker.name
        if ">" in name or "<" in name:
            raise FormatError(
                f"speaker {name[:40]!r} cannot be written in a WebVTT voice span (no '<' or '>')",
                source=conv.source,
                line=turn.line,
            )
        blocks.append(f"{format_clock(turn.start)} --> {format_clock(turn.end)}\n<v {name}>{text}")
    return "\n\n".join(blocks) + "\n"


def _srt(conv: Conversation) -> str:
    _timed(conv, "SRT")
    blocks = []
    for number, turn in enumerate(conv.turns, start=1):
        assert turn.start is not None and turn.end is not None
        timing = (
            f"{format_clock(turn.start, separator=',')} --> {format_clock(turn.end, separator=',')}"
        )
        name = _prefix_name(conv, turn, "SRT")
        blocks.append(f"{number}\n{timing}\n{name}: {_text_with_markers(turn)}")
    return "\n\n".join(blocks) + "\n"


def _text(conv: Conversation) -> str:
    lines = []
    for turn in conv.turns:
        prefix = f"[{format_clock(turn.start)}] " if turn.start is not None else ""
        lines.append(f"{prefix}{_prefix_name(conv, turn, 'text')}: {_text_with_markers(turn)}")
    return "\n".join(lines) + "\n"


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)


def _csv(conv: Conversation) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for turn in conv.turns:
        writer.writerow(
            [
                turn.speaker.name,
                turn.role.value,
                _text_with_markers(turn),
                _number(turn.start),
                _number(turn.end),
            ]
        )
    return buffer.getvalue()


def _seconds(value: float) -> str:
    """Shortest exact positional form (`1e-05` -> `0.00001`): praatio cannot read exponents."""
    return format(Decimal(repr(float(value))), "f")


def _textgrid_text(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _textgrid(conv: Conversation) -> str:
    """Long text format, one interval tier per speaker, silences as empty intervals."""
    _timed(conv, "TextGrid")
    speakers = list(dict.fromkeys(turn.speaker.name for turn in conv.turns))
    xmax = max(turn.end or 0.0 for turn in conv.turns)
    tiers = []
    for name in speakers:
        intervals: list[tuple[float, float, str]] = []
        clock = 0.0
        for turn in sorted(
            (t for t in conv.turns if t.speaker.name == name), key=lambda t: t.start or 0.0
        ):
            assert turn.start is not None and turn.end is not None
            if turn.start < clock:
                raise FormatError(
                    f"{name!r} has overlapping turns at {turn.start} s; a TextGrid tier cannot hold them",
                    source=conv.source,
                    line=turn.line,
                )
            if turn.start > clock:
                intervals.append((clock, turn.start, ""))
            intervals.append((turn.start, turn.end, _text_with_markers(turn)))
            clock = turn.end
        if clock < xmax:
            intervals.append((clock, xmax, ""))
        tiers.append((name, intervals))
    out = [
        'File type = "ooTextFile"',
        'Object class = "TextGrid"',
        "",
        "xmin = 0",
        f"xmax = {_seconds(xmax)}",
        "tiers? <exists>",
        f"size = {len(tiers)}",
        "item []:",
    ]
    for number, (name, intervals) in enumerate(tiers, start=1):
        out += [
            f"    item [{number}]:",
            '        class = "IntervalTier"',
            f"        name = {_textgrid_text(name)}",
            "        xmin = 0",
            f"        xmax = {_seconds(xmax)}",
            f"        intervals: size = {len(intervals)}",
        ]
        for index, (start, end, text) in enumerate(intervals, start=1):
            out += [
                f"        intervals [{index}]:",
                f"            xmin = {_seconds(start)}",
                f"            xmax = {_seconds(end)}",
                f"            text = {_textgrid_text(text)}",
            ]
    return "\n".join(out) + "\n"


WRITERS: dict[str, Callable[[Conversation], str]] = {
    "json": _json,
    "jsonl": _jsonl,
    "vtt": _vtt,
    "srt": _srt,
    "text": _text,
    "csv": _csv,
    "textgrid": _textgrid,
}


def write_conversation(conv: Conversation, format: str) -> str:
    """Render a conversation in `format` (json, jsonl, vtt, srt, text, csv, textgrid).

    Raises:
        FormatError: an unknown format, or a conversation the format cannot hold (turns without
            times for vtt/srt/textgrid; overlapping turns of one speaker for textgrid).
    """
    try:
        writer = WRITERS[format]
    except KeyError:
        raise FormatError(
            f"cannot write {format!r}; expected one of {', '.join(WRITERS)}", source=conv.source
        ) from None
    return writer(conv)
