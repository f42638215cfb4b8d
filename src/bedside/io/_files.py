"""Opening transcripts: the only place in bedside.io that touches the file system or stdin."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from bedside.errors import FormatError
from bedside.io._decode import MAX_FILE_BYTES, decode, sniff_encoding
from bedside.io._detect import HEAD_BYTES, detect_format
from bedside.io._json import read_json_documents
from bedside.io._registry import FORMATS, READERS, STREAMED, SUFFIXES
from bedside.model import Conversation, Role

__all__ = ["MAX_LINE_CHARS", "discover", "read_conversation", "read_conversations"]

STDIN = "-"
MAX_LINE_CHARS = MAX_FILE_BYTES
"""Longest JSON Lines record (one conversation): the same 50 MB as a whole transcript."""


def discover(inputs: Sequence[str | Path]) -> list[Path]:
    """Expand the command line's inputs: files kept, folders replaced by their transcripts.

    A folder gives every file with a supported suffix below it, sorted, hidden files skipped;
    `-` (stdin) is kept as is.

    Raises:
        FormatError: an input does not exist.
    """
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if str(item) == STDIN:
            found.append(Path(STDIN))
        elif path.is_dir():
            found.extend(
                sorted(
                    child
                    for child in path.rglob("*")
                    if child.is_file()
                    and child.suffix.lower() in SUFFIXES
                    and not any(part.startswith(".") for part in child.relative_to(path).parts)
                )
            )
        elif path.exists():
            found.append(path)
        else:
            raise FormatError(
                "no such file or directory; expected a transcript file or folder", source=str(item)
            )
    return found


def _read_limited(stream: BinaryIO, source: str) -> bytes:
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(
            f"input is above the {MAX_FILE_BYTES // 2**20} MB limit for a single transcript; "
            "split it, or use JSON Lines, which is streamed",
            source=source,
        )
    return data


def _stream_lines(raw: BinaryIO, source: str, encoding: str) -> Iterator[str]:
    """Decoded lines of a binary stream, each at most MAX_LINE_CHARS, closing the stream at the end."""
    text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline=None)
    number = 0
    try:
        while True:
            try:
                line = text.readline(MAX_LINE_CHARS + 1)
            except UnicodeDecodeError:
                raise FormatError(
                    f"line is not valid {encoding}; expected UTF-8 or UTF-16 text",
                    source=source,
                    line=number + 1,
                ) from None
            if not line:
                return
            number += 1
            if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
                raise FormatError(
                    f"line is longer than {MAX_LINE_CHARS // 2**20} MB; expected one conversation per line",
                    source=source,
                    line=number,
                )
            if "\x00" in line:
                raise FormatError(
                    "line contains NUL bytes (binary data?)", source=source, line=number
                )
            yield line
    finally:
        text.close()


def _check_format(format: str, source: str) -> str:
    if format not in FORMATS:
        raise FormatError(
            f"unknown format {format!r}; expected one of {', '.join(FORMATS)}", source=source
        )
    return format


def read_conversations(
    source: str | Path,
    *,
    format: str | None = None,
    roles: Mapping[str, Role] | None = None,
    data: bytes | None = None,
) -> Iterator[Conversation]:
    """Read every conversation in a file, in `data`, or on stdin (`-`).

    Opening the file, the size check and format detection happen at once, so that a missing
    file fails at the call; the conversations of a JSON Lines file are then read one line at a
    time as the iterator advances, in constant memory.

    Raises:
        FormatError: with the file, line and column where known, and what was expected.
    """
    name = str(source)
    if format is not None:
        _check_format(format, name)
    if data is not None:
        chosen = format or detect_format(name, data[:HEAD_BYTES])
        if chosen in STREAMED:
            return STREAMED[chosen](
                _stream_lines(io.BytesIO(data), name, sniff_encoding(data)),
                source=name,
                roles=roles,
            )
        return _whole(chosen, decode(data, source=name), name, roles)
    if name == STDIN:
        stdin = sys.stdin.buffer
        if format is not None and format in STREAMED:
            # Streamed as it arrives; the encoding comes from the first bytes in the buffer.
            head = stdin.peek(4)[:4] if hasattr(stdin, "peek") else b""
            return STREAMED[format](
                _stream_lines(stdin, "<stdin>", sniff_encoding(head)), source="<stdin>", roles=roles
            )
        # A pipe may deliver its first bytes in pieces, so detection looks at the whole input.
        return read_conversations(
            "<stdin>", format=format, roles=roles, data=_read_limited(stdin, "<stdin>")
        )
    try:
        handle = open(name, "rb")  # noqa: SIM115 - closed below or by the streaming generator
    except IsADirectoryError:
        raise FormatError("is a folder; expected a transcript file", source=name) from None
    except OSError as error:
        raise FormatError(
            f"cannot open ({error.strerror}); expected a readable transcript file", source=name
        ) from None
    try:
        head = handle.read(HEAD_BYTES)
        chosen = format or detect_format(name, head)
        if chosen in STREAMED:
            handle.seek(0)
            return STREAMED[chosen](
                _stream_lines(handle, name, sniff_encoding(head)), source=name, roles=roles
            )
        # Bounded read, not the file size: a FIFO or /dev/zero has no size but no end either.
        whole = head + handle.read(MAX_FILE_BYTES + 1 - len(head))
        if len(whole) > MAX_FILE_BYTES:
            raise FormatError(
                f"file is above the {MAX_FILE_BYTES // 2**20} MB limit for a single transcript; "
                "split it, or use JSON Lines (.jsonl), which is streamed",
                source=name,
            )
    except BaseException:
        handle.close()
        raise
    handle.close()
    return _whole(chosen, decode(whole, source=name), name, roles)


def _whole(
    format: str, text: str, source: str, roles: Mapping[str, Role] | None
) -> Iterator[Conversation]:
    """Read a whole-file format; JSON may also hold an array of conversations."""
    if format == "json":
        return iter(list(read_json_documents(text, source=source, roles=roles)))
    return iter([READERS[format](text, source=source, roles=roles)])


def read_conversation(
    source: str | Path,
    *,
    format: str | None = None,
    roles: Mapping[str, Role] | None = None,
    data: bytes | None = None,
) -> Conversation:
    """Read exactly one conversation (any format; a JSON Lines file must hold a single line).

    Raises:
        FormatError: as `read_conversations`, or when the input holds no or several conversations.
    """
    stream = read_conversations(source, format=format, roles=roles, data=data)
    first = next(stream, None)
    if first is None:
        raise FormatError("no conversation found; expected one", source=str(source))
    if next(stream, None) is not None:
        raise FormatError(
            "holds several conversations; expected one (read it with read_conversations)",
            source=str(source),
        )
    return first
