"""Speakers inside subtitle cues (WebVTT and SRT), shared by both readers.

Subtitles name speakers in two ways: a WebVTT voice span (`<v Dr Lee>How are you?`) or a plain
prefix (`Dr Lee: How are you?`). A cue may hold two speakers, one per line, usually with a
dialogue dash (`- Dr Lee: Ready?` / `- Patient: Yes.`). A cue that names nobody continues the
previous speaker, as subtitle files only label a change of speaker.
"""

from __future__ import annotations

import re

from bedside.io._common import FORMATTING, SPEAKER_PREFIX

__all__ = ["Segment", "split_cue"]

_VOICE = re.compile(
    r"^\s*(?:-\s*)?<v(?:\.[\w.\-]+)?\s+(?P<name>[^<>\s][^<>]*)>(?P<text>.*)$", re.IGNORECASE
)
"""`<v Dr Lee>text`. The name is one greedy run up to `>` (trailing spaces are stripped after):
a lazy name followed by `\\s*>` retried every length on `<v a` and 40,000 spaces with no `>`,
which took over 3 s (quadratic in the line)."""
_DASH = re.compile(r"^\s*-\s+")

Segment = tuple[str | None, str, int]
"""(speaker name or None when the cue names nobody, raw text, index of its first line in the cue)."""


def split_cue(lines: list[str]) -> list[Segment]:
    """Split a cue's text lines into (speaker, text) segments, one per named speaker.

    `Name:` prefixes count on the first line and on dialogue-dash lines only, so a wrapped line
    such as `Note: twice a day` inside a cue stays part of the turn.
    """
    segments: list[tuple[str | None, list[str], int]] = []
    for index, line in enumerate(lines):
        voice = _VOICE.match(line)
        if voice:
            segments.append((voice["name"].rstrip(), [voice["text"]], index))
            continue
        candidate = line
        dashed = _DASH.match(line)
        if dashed:
            candidate = line[dashed.end() :]
        if index == 0 or dashed:
            prefix = SPEAKER_PREFIX.match(FORMATTING.sub("", candidate))
            if prefix:
                segments.append((prefix["name"], [prefix["text"]], index))
                continue
        if segments:
            segments[-1][1].append(line)
        else:
            segments.append((None, [line], index))
    return [(name, "\n".join(parts), index) for name, parts, index in segments]
