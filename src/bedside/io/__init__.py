"""Reading and writing consultation transcripts: the only package that parses file formats.

    >>> from bedside.io import read_conversation
    >>> conv = read_conversation("visit.vtt")            # format from the suffix, else the content
    >>> [t.speaker.name for t in conv.turns][:2]
    ['Dr Lee', 'Patient']

Every reader takes text and returns a `Conversation` (JSON Lines yields a stream of them);
files, stdin, encodings and size limits are handled once, in `read_conversations`. Any problem
with the input is a `bedside.errors.FormatError` naming the file, the line and what was expected.
"""

from bedside.io._csv import read_csv
from bedside.io._decode import MAX_FILE_BYTES, decode
from bedside.io._detect import detect_format
from bedside.io._files import discover, read_conversation, read_conversations
from bedside.io._json import read_json, read_jsonl
from bedside.io._merge import merge_conversations
from bedside.io._registry import FORMATS, READERS, SUPPORTED_SUFFIXES
from bedside.io._roles import parse_role_overrides
from bedside.io._srt import read_srt
from bedside.io._tags import clean_text
from bedside.io._text import read_text
from bedside.io._textgrid import read_textgrid
from bedside.io._vtt import read_vtt
from bedside.io._writers import WRITERS, conversation_document, write_conversation

WRITE_FORMATS: tuple[str, ...] = tuple(WRITERS)
"""Formats `write_conversation` accepts."""

__all__ = [
    "FORMATS",
    "MAX_FILE_BYTES",
    "READERS",
    "SUPPORTED_SUFFIXES",
    "WRITE_FORMATS",
    "clean_text",
    "conversation_document",
    "decode",
    "detect_format",
    "discover",
    "merge_conversations",
    "parse_role_overrides",
    "read_conversation",
    "read_conversations",
    "read_csv",
    "read_json",
    "read_jsonl",
    "read_srt",
    "read_text",
    "read_textgrid",
    "read_vtt",
    "write_conversation",
]
