"""Transcription tags: removed from the text, their words kept, their names recorded.

Transcribers mark doubt and gaps inline, for example PriMock57's
`<UNSURE>Hello how</UNSURE> um` or `<UNIN/> Sorry to hear that`. The analysis wants the words
("Hello how um", "Sorry to hear that") but a reader of the result should still know that the
words were uncertain, so the tag names go to `Turn.tags`.
"""

from __future__ import annotations

import re

__all__ = ["TAG", "clean_text", "has_words", "tag_markers"]

TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9_\-]*)\s*(/?)>")
"""`<NAME>`, `</NAME>`, `<NAME/>`, nothing else: no attributes and no space after `<`, so that
speech such as "between < normal and > 37" is never mistaken for markup and loses no words."""

_WORD = re.compile(r"\w")
_BEFORE_PUNCTUATION = re.compile(r" +(?=[.,?!;:](?:\s|$))")


def clean_text(raw: str) -> tuple[str, tuple[str, ...]]:
    """Remove tags and collapse whitespace; return the text and the distinct tag names in order.

    Example: `"<UNSURE>Hello how</UNSURE> um <UNIN/>"` gives `("Hello how um", ("UNSURE", "UNIN"))`.
    """
    names: dict[str, None] = {}

    def _drop(match: re.Match[str]) -> str:
        if not match.group(1):
            names.setdefault(match.group(2), None)
        return " "

    if "<" not in raw:
        return " ".join(raw.split()), ()
    text = " ".join(TAG.sub(_drop, raw).split())
    if names:
        text = _BEFORE_PUNCTUATION.sub("", text)
    return text, tuple(names)


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit (a segment of only tags has none)."""
    return bool(_WORD.search(text))


def tag_markers(tags: tuple[str, ...]) -> str:
    """Empty-element markers (`<UNSURE/>`) that writers append so that a re-read keeps the tags."""
    return " ".join(f"<{name}/>" for name in tags)
