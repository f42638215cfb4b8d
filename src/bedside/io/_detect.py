"""Which format a file is in: by suffix first, then by its first bytes (for stdin or odd names)."""

from __future__ import annotations

import json
import re
from pathlib import PurePath

from bedside.errors import FormatError
from bedside.io._common import SPEAKER_PREFIX
from bedside.io._decode import normalise_newlines, sniff_encoding
from bedside.io._registry import FORMATS, SUFFIXES

__all__ = ["HEAD_BYTES", "detect_format"]

HEAD_BYTES = 65536
"""How much of a file content detection looks at."""

_SRT_START = re.compile(r"^\d+\s*\n[^\n]*-->")
_TIME_PREFIX = re.compile(r"^\[\d[\d:.,]*\]\s*")


def _looks_jsonl(text: str) -> bool:
    first, _, rest = text.partition("\n")
    try:
        document = json.loads(first)
    except (ValueError, RecursionError):  # a first line nested a thousand deep is no JSON Lines
        return False
    return isinstance(document, dict) and bool(rest.strip())


def detect_format(source: str, head: bytes) -> str:
    """Name the format of `source`: its suffix when known, else the content of `head`.

    Raises:
        FormatError: neither the suffix nor the content says which format it is.
    """
    suffix = PurePath(source).suffix.lower() if source not in {"-", "<stdin>"} else ""
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    text = normalise_newlines(head.decode(sniff_encoding(head), errors="replace")).lstrip(
        "\ufeff \t\n"
    )
    first_line = text.split("\n", 1)[0]
    if text.startswith("WEBVTT"):
        return "vtt"
    if re.match(r'File type\s*=\s*"ooTextFile', text):
        return "textgrid"
    if text.startswith("{"):
        return "jsonl" if _looks_jsonl(text) else "json"
    if text.startswith("[") and not _TIME_PREFIX.match(first_line):
        return "json"
    if _SRT_START.match(text):
        return "srt"
    lowered = first_line.lower().replace(" ", "").replace('"', "")
    for delimiter in (",", ";", "\t"):
        if delimiter in lowered and {"speaker", "text"} <= set(lowered.split(delimiter)):
            return "csv"
    if SPEAKER_PREFIX.match(_TIME_PREFIX.sub("", first_line)):
        return "text"
    raise FormatError(
        f"cannot tell the transcript format; expected a suffix among {', '.join(sorted(set(SUFFIXES)))} "
        f"or --input-format with one of {', '.join(FORMATS)}",
        source=source,
    )
