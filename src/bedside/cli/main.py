"""The `bedside` command: one Typer app; each area registers its commands from its own module."""

from __future__ import annotations

import sys

import typer
from sqlalchemy.exc import DBAPIError

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


def database_problem(error: DBAPIError) -> str:
    """One line for a database that cannot be read: the driver's first line, never the SQL or
    its parameters (which may hold health data), and what to check."""
    reason = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else type(error.orig).__name__
    return (
        f"the database could not be read ({reason}). Check BEDSIDE_DATABASE_URL names the right "
        "database and that `bedside db upgrade` has run on it."
    )


def main() -> None:
    """Entry point: a bedside error is one line on stderr and exit status 2, never a traceback."""
    install_log_redaction()
    try:
        app()
    except BedsideError as error:
        sys.stderr.write(f"bedside: error: {error}\n")
        sys.exit(2)
    except DBAPIError as error:
        sys.stderr.write(f"bedside: error: {database_problem(error)}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("bedside: interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
