"""`bedside convert`: normalise transcripts from any supported format into one chosen format.

A thin edge over `bedside.io`: read (with `--merge` and `--role` as in `bedside analyze`), then
write with `bedside.io.write_conversation`. JSON Lines output is written as each conversation is
read, so converting a large `.jsonl` file runs in constant memory.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, TextIO

import typer

from bedside.cli._options import InputFormatOption, RoleOption
from bedside.errors import BedsideError
from bedside.model import Conversation, Role

HELP = (
    "Normalise transcripts: read any supported format, write json, jsonl, vtt, srt, text, csv "
    "or textgrid.\n\n"
    "INPUT is a file, a directory (every supported file in it), or '-' for stdin (say which "
    "format with --input-format when the content cannot tell). --merge makes all inputs one "
    "conversation on one timeline (for example one TextGrid per speaker). --to json writes one "
    "document (an array for several conversations); jsonl one conversation a line; vtt, srt, "
    "text, csv and textgrid hold exactly one conversation (use --merge or jsonl for several).\n\n"
    "Exit status: 0 success; 2 bad input or usage (one 'bedside: error: FILE:LINE: ...' line "
    "per bad input; the good ones are still converted); 1 internal error."
)

SINGLE = ("vtt", "srt", "text", "csv", "textgrid")


def _read_all(
    paths: list[Path], *, input_format: str | None, roles: Mapping[str, Role], stderr: TextIO
) -> tuple[Iterator[Conversation], list[int]]:
    """Conversations from every input in order; a bad input is reported and skipped."""
    import bedside.io as bio

    bad = [0]

    def generate() -> Iterator[Conversation]:
        for path in paths:
            try:
                yield from bio.read_conversations(path, format=input_format, roles=roles)
            except BedsideError as error:
                stderr.write(f"bedside: error: {error}\n")
                bad[0] += 1

    return generate(), bad


def _write(conversations: Iterator[Conversation], to: str, merge: bool, out: TextIO) -> None:
    import bedside.io as bio

    if merge:
        merged = bio.merge_conversations(list(conversations))
        out.write(bio.write_conversation(merged, to))
        return
    if to == "jsonl":
        for conv in conversations:
            out.write(bio.write_conversation(conv, "jsonl"))
        return
    items = list(conversations)
    if not items:
        return
    if to == "json":
        document = (
            bio.conversation_document(items[0])
            if len(items) == 1
            else [bio.conversation_document(conv) for conv in items]
        )
        out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    if len(items) > 1:
        raise BedsideError(
            f"--to {to} holds one conversation but the inputs hold {len(items)}; "
            "use --merge, or --to jsonl / json"
        )
    out.write(bio.write_conversation(items[0], to))


def convert(
    inputs: Annotated[
        list[str], typer.Argument(metavar="INPUT...", help="Files, directories, or '-' (stdin).")
    ],
    to: Annotated[
        str, typer.Option("--to", "-t", help="json | jsonl | vtt | srt | text | csv | textgrid.")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output file (default: stdout).")
    ] = None,
    merge: Annotated[
        bool, typer.Option("--merge", help="Make all inputs one conversation on one timeline.")
    ] = False,
    role: RoleOption = None,
    input_format: InputFormatOption = None,
) -> None:
    """Normalise transcripts (see `bedside convert --help`)."""
    import bedside.io as bio

    try:
        if to not in bio.WRITE_FORMATS:
            raise BedsideError(f"--to {to}: expected one of {', '.join(bio.WRITE_FORMATS)}")
        if input_format is not None and input_format not in bio.FORMATS:
            raise BedsideError(
                f"--input-format {input_format}: expected one of {', '.join(bio.FORMATS)}"
            )
        roles = bio.parse_role_overrides(role or [])
        paths = bio.discover(inputs)
        if not paths:
            raise BedsideError(
                f"{', '.join(inputs)}: no supported transcript files found "
                f"(expected one of {', '.join(bio.SUPPORTED_SUFFIXES)})"
            )
        conversations, bad = _read_all(
            paths, input_format=input_format, roles=roles, stderr=sys.stderr
        )
        if merge:
            items = list(conversations)
            if bad[0]:
                raise BedsideError("--merge: not merging because an input above could not be read")
            conversations = iter(items)
        if out is None:
            _write(conversations, to, merge, sys.stdout)
        else:
            with out.open("w", encoding="utf-8", newline="\n") as handle:
                _write(conversations, to, merge, handle)
    except BedsideError as error:
        sys.stderr.write(f"bedside: error: {error}\n")
        raise typer.Exit(2) from None
    except OSError as error:
        sys.stderr.write(f"bedside: error: {error.filename}: {error.strerror}\n")
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as error:  # one line, not a traceback; the status says it is our bug
        sys.stderr.write(f"bedside: internal error: {type(error).__name__}: {error}\n")
        raise typer.Exit(1) from None
    raise typer.Exit(2 if bad[0] else 0)


def register(app: typer.Typer) -> None:
    """Add `bedside convert` to the app."""
    app.command("convert", help=HELP)(convert)
