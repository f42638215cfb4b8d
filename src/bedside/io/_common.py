"""Pieces every reader shares: building a checked `Turn`, speaker prefixes, ids from file names."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import PurePath

from bedside.errors import FormatError
from bedside.io._tags import clean_text, has_words
from bedside.model import Role, Speaker, Turn, infer_role

__all__ = [
    "FORMATTING",
    "SPEAKER_PREFIX",
    "TurnBuilder",
    "brief",
    "check_times",
    "conversation_id",
    "format_clock",
    "line_numbers",
]

SPEAKER_PREFIX = re.compile(
    r"^[ \t]*(?=[^:\n]{1,60}:)(?P<name>[^\W\d_][\w.'’\-]*(?:[ \t]+[\w.'’\-]+){0,4}?)[ \t]*:"
    r"(?![/\\\d])\s*(?P<text>.*)$",
    re.DOTALL,
)
"""`Dr Lee: How are you?`: a speaker name, a colon, whitespace, the words.

The name starts with a letter, has at most five words and 60 characters of letters, digits,
dots, apostrophes and hyphens (`Dr. O'Neil-Smith:`), and the colon may not be followed by a
digit or a slash, so `at 8:30 we met` and `see https://nhs.uk` stay text. A wrapped line that
happens to start `Word: ` is still read as a new speaker; docs/formats.md says so.
"""

FORMATTING = re.compile(
    r"</?(?:c|i|b|u|s|v|lang|ruby|rt|font)(?:[.\s][^<>]*)?>|<\d[\d:.]*>|\{\\[^{}]*\}", re.IGNORECASE
)
"""Subtitle styling (`<i>`, `<c.loud>`, `</v>`, `<00:00:01.000>`, `{\\an8}`): not transcription tags."""


def brief(value: object, limit: int = 40) -> str:
    """`repr` of a value quoted in an error message, cut to `limit` characters.

    A hostile file can put megabytes where a number belongs; the message (and any log line or
    page that shows it) quotes enough to find the place, never the whole cell or transcript.
    """
    text = value if isinstance(value, str) else None
    if text is None:
        try:
            text = repr(value)
        except (ValueError, RecursionError):  # an integer past str's digit limit, deep nesting
            return f"<{type(value).__name__}>"
        return text if len(text) <= limit else text[:limit] + "…"
    return repr(text if len(text) <= limit else text[:limit] + "…")


def line_numbers(data: str, offsets: Iterable[int]) -> list[int]:
    """1-based line of each offset, for offsets in increasing order, in one pass over `data`.

    Counting from the start for every offset would be quadratic on a 50 MB file.
    """
    lines, line, previous = [], 1, 0
    for offset in offsets:
        line += data.count("\n", previous, offset)
        previous = offset
        lines.append(line)
    return lines


def conversation_id(source: str) -> str:
    """The file stem of the source (`visits/c01.vtt` -> `c01`), or `conversation` for in-memory data."""
    if source in {"<string>", "-", "<stdin>", ""}:
        return "conversation"
    stem = PurePath(source).name
    for suffix in (".TextGrid", ".textgrid"):
        stem = stem.removesuffix(suffix)
    return PurePath(stem).stem or "conversation"


def check_times(
    start: float | None, end: float | None, *, source: str, line: int | None, what: str = "turn"
) -> None:
    """Reject non-finite, negative and reversed times with a FormatError naming the line."""
    for label, value in (("start", start), ("end", end)):
        if value is None:
            continue
        if not math.isfinite(value):
            raise FormatError(
                f"{what} {label} time {value} is not a finite number", source=source, line=line
            )
        if value < 0:
            raise FormatError(
                f"{what} {label} time {value} is negative; expected seconds from the start of the recording",
                source=source,
                line=line,
            )
    if start is not None and end is not None and end < start:
        raise FormatError(
            f"{what} ends ({end}) before it starts ({start}); expected start <= end",
            source=source,
            line=line,
        )


def format_clock(seconds: float, *, separator: str = ".", hours: bool = True) -> str:
    """`3725.5` -> `01:02:05.500` (milliseconds, rounded)."""
    total_ms = round(seconds * 1000)
    hh, rest = divmod(total_ms, 3_600_000)
    mm, rest = divmod(rest, 60_000)
    ss, ms = divmod(rest, 1000)
    clock = f"{mm:02d}:{ss:02d}{separator}{ms:03d}"
    return f"{hh:02d}:{clock}" if hours or hh else clock


class TurnBuilder:
    """Collects turns for one conversation, inferring roles and dropping segments with no words.

    One builder per conversation keeps a `Speaker` per name, so every turn of "Dr Lee" shares the
    same role even when an override or an explicit role appears only once.
    """

    def __init__(self, *, source: str, roles: Mapping[str, Role] | None) -> None:
        self.source = source
        self.roles = dict(roles or {})
        self.turns: list[Turn] = []
        self._speakers: dict[tuple[str, Role | None], Speaker] = {}

    def speaker(self, name: str, role: Role | None = None) -> Speaker:
        """The speaker called `name`: an override first, then an explicit role, then inference."""
        known = self._speakers.get((name, role))
        if known is None:
            known = self._speakers[(name, role)] = self._make_speaker(name, role)
        return known

    def _make_speaker(self, name: str, role: Role | None) -> Speaker:
        name = " ".join(name.split())
        if name in self.roles:
            return Speaker(name=name, role=self.roles[name])
        return Speaker(name=name, role=role if role is not None else infer_role(name))

    def add(
        self,
        name: str,
        raw_text: str,
        *,
        start: float | None = None,
        end: float | None = None,
        line: int | None = None,
        role: Role | None = None,
        tags: tuple[str, ...] = (),
        unescape: bool = False,
    ) -> Turn | None:
        """Clean the text and add a turn; return None when no words are left once tags are gone.

        With `unescape` (WebVTT), character references such as `&amp;` are decoded after the tags
        are removed, so an escaped `&lt;UNSURE&gt;` stays text rather than becoming a tag.
        """
        if not name or not name.strip():
            raise FormatError(
                "turn has no speaker name; expected a non-empty speaker",
                source=self.source,
                line=line,
            )
        check_times(start, end, source=self.source, line=line)
        text, found = clean_text(raw_text)
        if unescape and "&" in text:
            text = " ".join(html.unescape(text).split())
        if not has_words(text):
            return None
        all_tags = tuple(dict.fromkeys((*tags, *found)))
        turn = Turn(
            speaker=self.speaker(name, role),
            text=text,
            start=start,
            end=end,
            tags=all_tags,
            line=line,
        )
        self.turns.append(turn)
        return turn
