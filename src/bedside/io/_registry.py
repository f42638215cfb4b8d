"""The registered readers: format name -> reader function, and the file suffixes of each format."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from bedside.io._csv import read_csv
from bedside.io._json import read_json, read_jsonl
from bedside.io._srt import read_srt
from bedside.io._text import read_text
from bedside.io._textgrid import read_textgrid
from bedside.io._vtt import read_vtt
from bedside.model import Conversation

__all__ = [
    "FORMATS",
    "READERS",
    "STREAMED",
    "SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "StreamReader",
    "WholeReader",
]

WholeReader = Callable[..., Conversation]
"""`read_xxx(data: str, *, source: str, roles: Mapping[str, Role] | None) -> Conversation`."""
StreamReader = Callable[..., Iterator[Conversation]]

READERS: Mapping[str, WholeReader] = {
    "text": read_text,
    "vtt": read_vtt,
    "srt": read_srt,
    "textgrid": read_textgrid,
    "csv": read_csv,
    "json": read_json,
}
"""Readers of formats that hold one conversation per file (read whole, up to the size limit)."""

STREAMED: Mapping[str, StreamReader] = {"jsonl": read_jsonl}

FORMATS: tuple[str, ...] = ("text", "vtt", "srt", "textgrid", "csv", "json", "jsonl")

SUFFIXES: Mapping[str, str] = {
    ".txt": "text",
    ".vtt": "vtt",
    ".srt": "srt",
    ".textgrid": "textgrid",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
"""Lower-cased suffix -> format (suffixes match case-insensitively: `.TextGrid`, `.VTT`)."""

SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".txt",
    ".vtt",
    ".srt",
    ".TextGrid",
    ".csv",
    ".json",
    ".jsonl",
    ".ndjson",
)
