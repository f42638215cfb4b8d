"""`bedside analyze`: options in, `bedside.batch.run_analyze` does the work, exit status out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bedside.cli._options import InputFormatOption, RoleOption
from bedside.errors import BedsideError

FORMATS = ("json", "jsonl", "html", "text")

HELP = "\n\n".join(
    (
        "Analyse consultations: cues and responses, empathy, talk time, a compassion score.",
        "INPUT is a transcript file, a directory (every supported file in it), or '-' for stdin "
        "(say which format with --input-format).",
        "Formats: json (one document; an array for several conversations), jsonl (one analysis a "
        "line, in input order), html (a self-contained report; for several conversations give "
        "--out a directory and get DIR/<id>.html for each), text (a terminal summary). Default: "
        "the --out suffix, else text on a terminal and json otherwise.",
        "--merge makes the named files one conversation on one timeline. With a directory, files "
        "are grouped by their stem without its last '_part': day1_consultation01_doctor.TextGrid "
        "and day1_consultation01_patient.TextGrid become conversation 'day1_consultation01'.",
        "Batches: with --format jsonl --out results.jsonl a rerun resumes (conversations whose id "
        "is already in the file are skipped; a torn last line left by a crash is removed and "
        "redone). --summary writes one CSV row per conversation. --workers N runs N local "
        "processes; --dask local or --dask tcp://host:8786 runs on a Dask cluster.",
        "Exit status: 0 success; 2 bad input or usage (one 'bedside: error: FILE:LINE: ...' line "
        "per bad input, the good inputs are still analysed); 1 internal error.",
    )
)


def _batch() -> Any:
    """The batch runner package, imported when a command runs (dask loads only then)."""
    import bedside.batch

    return bedside.batch


def analyze(
    inputs: Annotated[
        list[str], typer.Argument(metavar="INPUT", help="Files, directories, or '-' (stdin).")
    ],
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="json | jsonl | html | text (default: text on a terminal, else json).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output file (a directory for several html reports)."),
    ] = None,
    merge: Annotated[
        bool,
        typer.Option(
            "--merge", help="Make the inputs one conversation (per stem group in a directory)."
        ),
    ] = False,
    role: RoleOption = None,
    input_format: InputFormatOption = None,
    summary: Annotated[
        Path | None,
        typer.Option("--summary", help="Also write a CSV with one row per conversation."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", "-w", min=1, help="Local worker processes (each loads the models once)."
        ),
    ] = 1,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask", help="Run on Dask: 'local' (a 2-worker LocalCluster) or tcp://host:8786."
        ),
    ] = None,
    no_models: Annotated[
        bool,
        typer.Option(
            "--no-models", help="Skip the language models: timing metrics and rules only."
        ),
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress bar on stderr (default: when it is a terminal).",
        ),
    ] = None,
) -> None:
    """Analyse consultations (see `bedside analyze --help`)."""
    try:
        if output_format is not None and output_format not in FORMATS:
            raise BedsideError(f"--format {output_format}: expected one of {', '.join(FORMATS)}")
        import bedside.io as bio

        batch = _batch()
        request = batch.AnalyzeRequest(
            inputs=tuple(inputs),
            format=output_format,
            out=out,
            merge=merge,
            roles=bio.parse_role_overrides(role) if role else {},
            input_format=input_format,
            summary=summary,
            workers=workers,
            dask=dask,
            use_models=not no_models,
            progress=progress,
        )
        status = batch.run_analyze(request, stdout=sys.stdout, stderr=sys.stderr)
    except BedsideError as error:
        sys.stderr.write(f"bedside: error: {error}\n")
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as error:  # one line, not a traceback; the status says it is our bug
        sys.stderr.write(f"bedside: internal error: {type(error).__name__}: {error}\n")
        raise typer.Exit(1) from None
    raise typer.Exit(status)


def register(app: typer.Typer) -> None:
    """Add `bedside analyze` to the app."""
    app.command("analyze", help=HELP)(analyze)
