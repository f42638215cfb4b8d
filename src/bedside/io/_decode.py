"""Bytes to text at the edge: byte-order marks, UTF-16, line endings, and the size limit.

Readers work on `str`; everything about encodings happens here, once, so that a transcript saved
by Praat (UTF-16 with a BOM), by Windows Notepad (UTF-8 with a BOM, CRLF) or by a Mac editor
reads the same.
"""

from __future__ import annotations

import codecs

from bedside.errors import FormatError

__all__ = ["MAX_FILE_BYTES", "decode", "normalise_newlines", "sniff_encoding"]

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Largest file read whole (every format but JSON Lines, which is streamed line by line).

A real consultation transcript is well under 1 MB; 50 MB leaves room for day-long recordings
while stopping a mistaken path (an audio file, a database dump) from exhausting memory.
"""

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def sniff_encoding(head: bytes) -> str:
    """Guess the encoding from the first bytes: a BOM, else NUL-byte patterns of UTF-16, else UTF-8."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    sample = head[:200]
    if len(sample) >= 4:
        even = sample[0::2]
        odd = sample[1::2]
        if even.count(0) == 0 and odd.count(0) >= len(odd) * 0.6 and odd.count(0) > 0:
            return "utf-16-le"
        if odd.count(0) == 0 and even.count(0) >= len(even) * 0.6 and even.count(0) > 0:
            return "utf-16-be"
    return "utf-8"


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def decode(data: bytes, *, source: str = "<string>") -> str:
    """Decode a whole file, with newlines normalised to `\\n` and any BOM removed.

    Raises:
        FormatError: the file is empty, too large, binary, or not in UTF-8 / UTF-16; the error
            names the line and column of the first undecodable byte.
    """
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(
            f"file is {len(data) / 2**20:.0f} MB, above the {MAX_FILE_BYTES // 2**20} MB limit "
            "for a single transcript; split it, or use JSON Lines (.jsonl), which is streamed",
            source=source,
        )
    if not data.strip():
        raise FormatError("file is empty; expected a transcript", source=source)
    encoding = sniff_encoding(data[:4096])
    if encoding.startswith("utf-8") and b"\x00" in data:
        good = data[: data.index(b"\x00")].decode(encoding, errors="replace")
        line, column = _position(good, len(good))
        raise FormatError(
            "file contains NUL bytes (binary data?); expected a text transcript",
            source=source,
            line=line,
            column=column,
        )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        good = data[: error.start].decode(encoding, errors="replace")
        line, column = _position(good, len(good))
        raise FormatError(
            f"byte 0x{data[error.start]:02x} is not valid {encoding.upper().replace('-SIG', '')}; "
            "expected text saved as UTF-8 or UTF-16",
            source=source,
            line=line,
            column=column,
        ) from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        line, column = _position(text, text.index("\x00"))
        raise FormatError(
            "file contains NUL bytes (binary data?); expected a text transcript",
            source=source,
            line=line,
            column=column,
        )
    if not text.strip():
        raise FormatError("file is empty; expected a transcript", source=source)
    return normalise_newlines(text)


def normalise_newlines(text: str) -> str:
    """Turn CRLF and lone CR into LF, so line numbers count the way editors count them."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
