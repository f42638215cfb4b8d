"""Options that several `bedside` commands share, declared once so their help reads the same."""

from __future__ import annotations

from typing import Annotated

import typer

RoleOption = Annotated[
    list[str] | None,
    typer.Option(
        "--role", help="Set a speaker's role: NAME=clinician|patient|family|other (repeatable)."
    ),
]

InputFormatOption = Annotated[
    str | None,
    typer.Option(
        "--input-format",
        help="text | vtt | srt | textgrid | csv | json | jsonl: the input format when the suffix "
        "cannot tell (stdin).",
    ),
]
