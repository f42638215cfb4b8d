"""`bedside audit verify` and `bedside audit export --jsonl PATH` (HIPAA §164.312(b)).

Both act on the database named by BEDSIDE_DATABASE_URL and need only SELECT on `audit_events`,
so an operator or a cron job can run them as the application role.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bedside.config import Settings
from bedside.errors import AuditChainError

audit_app = typer.Typer(
    help="Check the audit trail's hash chain and ship it off the box as JSON Lines.",
    no_args_is_help=True,
)


@audit_app.command("verify")
def verify(
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    against: Annotated[
        Path | None,
        typer.Option("--against", help="Also compare the database with this exported JSONL copy."),
    ] = None,
) -> None:
    """Walk the audit hash chain; exit 0 with the row count, or 1 naming the first broken row.

    With --against, every row of the exported copy must also still be in the database with the
    same hash (finds rewritten history and deleted newest rows, which the chain alone cannot).
    """
    from bedside.services import audit
    from bedside.services.database import open_database

    if output not in ("text", "json"):
        raise typer.BadParameter("--format is text or json")
    database = open_database(Settings().resolved_database_url())
    try:
        with database.sessions() as session:
            report = audit.verify(session)
            if report.ok and against is not None:
                copy = audit.compare_with_export(session, against)
                if not copy.ok:
                    report = copy
    except AuditChainError as error:
        sys.stderr.write(f"bedside: error: {error}\n")
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    if output == "json":
        broken = report.broken
        typer.echo(json.dumps({
            "ok": report.ok, "rows": report.rows, "last_id": report.last_id,
            "last_hash": report.last_hash,
            "broken": None if broken is None else {
                "row_id": broken.row_id, "position": broken.position, "reason": broken.reason},
        }))
    elif report.broken is None:
        typer.echo(f"audit chain OK: {report.rows} rows, last hash {report.last_hash}")
    if report.broken is not None:
        if output == "text":
            sys.stderr.write(
                f"bedside: error: audit chain broken at row {report.broken.row_id} "
                f"(row {report.broken.position} in order; {report.rows} rows before it are "
                f"intact): {report.broken.reason}\n"
            )
        raise typer.Exit(1)


@audit_app.command("export")
def export(
    jsonl: Annotated[
        Path,
        typer.Option("--jsonl", help="JSON Lines file to append new rows to (created if missing)."),
    ],
) -> None:
    """Append the audit rows not yet in the file, with their chain hashes (resumable)."""
    from bedside.services import audit
    from bedside.services.database import open_database

    database = open_database(Settings().resolved_database_url())
    try:
        with database.sessions() as session:
            result = audit.export_jsonl(session, jsonl)
    except AuditChainError as error:
        sys.stderr.write(f"bedside: error: {error}\n")
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    typer.echo(
        f"appended {result.appended} audit rows to {jsonl} (last row {result.last_id or '-'}, "
        f"hash {result.last_hash})"
    )


def register(app: typer.Typer) -> None:
    """Add the `bedside audit` command group."""
    app.add_typer(audit_app, name="audit")
