"""The `bedside` command: one Typer app; each area registers its commands from its own module."""

from __future__ import annotations

import sys

import typer

from bedside import __version__
from bedside.cli import analyze, convert, data, demo, fhir, models, scenarios, score, web
from bedside.cli import audit as audit_commands
from bedside.errors import BedsideError
from bedside.logsafe import install_log_redaction

app = typer.Typer(
    name="bedside",
    help="Make compassion in care visible, teachable and part of the care plan.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for area in (analyze, convert, score, fhir, scenarios, models, web, demo, data):
    area.register(app)
audit_commands.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bedside {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Make compassion in care visible, teachable and part of the care plan."""


def main() -> None:
    """Entry point: a bedside error is one line on stderr and exit status 2, never a traceback."""
    install_log_redaction()
    try:
        app()
    except BedsideError as error:
        sys.stderr.write(f"bedside: error: {error}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("bedside: interrupted\n")
        sys.exit(130)
