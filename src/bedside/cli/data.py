"""`bedside data`: data keys, retention purge, a patient's export and erasure (security issue 11).

Every command acts on the database named by BEDSIDE_DATABASE_URL. Export and erasure take the
operator's reason (and optionally the admin account acting, `--by`), which the audit trail keeps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bedside.config import Settings
from bedside.errors import NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bedside.db.tables import User
    from bedside.services.database import Database

data_app = typer.Typer(
    help="Data at rest and its lifecycle: keys, retention, patient export and erasure.",
    no_args_is_help=True,
)


def _database() -> Database:
    from bedside.services.database import open_database

    return open_database(Settings().resolved_database_url())


def _actor(session: Session, email: str | None) -> User | None:
    """The admin account named by --by, or None (the operator at the command line)."""
    if email is None:
        return None
    from sqlalchemy import select

    from bedside.db.tables import User

    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no account {email!r}; --by takes an admin's e-mail")
    return user


@data_app.command("new-key")
def new_key() -> None:
    """Print a fresh data key (base64 of 32 random bytes) for BEDSIDE_DATA_KEY(S)."""
    from bedside.services.keys import new_key as make

    typer.echo(make())


@data_app.command("rotate-key")
def rotate_key(
    batch_size: int = typer.Option(500, min=1, help="Rows per committed batch."),
) -> None:
    """Re-encrypt every stored value under the active (first) key of BEDSIDE_DATA_KEYS.

    Resumable: values already under the active key are skipped, so a stopped run can be started
    again. Keep the old keys configured until it reports zero values left.
    """
    from bedside.services import keys

    database = _database()
    try:
        keyring = keys.install_for(database.url)
        results = keys.rotate(database.sessions, keyring, batch_size=batch_size)
    finally:
        database.dispose()
    for result in results:
        typer.echo(f"{result.column}: {result.rewritten} re-encrypted")
    typer.echo(f"every value is now under data key {keyring.active_id!r}")


@data_app.command("retention")
def retention(
    organisation: int = typer.Argument(..., help="Organisation id."),
    encounters_days: int | None = typer.Option(None, help="Keep encounters this many days."),
    messages_days: int | None = typer.Option(None, help="Keep patient messages this many days."),
    checkins_days: int | None = typer.Option(None, help="Keep check-ins this many days."),
) -> None:
    """Set an organisation's retention policy (an omitted kind is kept for ever)."""
    from bedside.services import lifecycle

    database = _database()
    try:
        with database.sessions() as session:
            lifecycle.set_retention(
                session, None, organisation, encounters_days=encounters_days,
                messages_days=messages_days, checkins_days=checkins_days,
            )
    finally:
        database.dispose()
    typer.echo(
        f"organisation {organisation}: encounters {encounters_days or 'kept'}, "
        f"messages {messages_days or 'kept'}, check-ins {checkins_days or 'kept'} (days)"
    )


@data_app.command("purge")
def purge(
    apply: bool = typer.Option(False, "--apply", help="Delete (the default is a dry run)."),
) -> None:
    """Delete records older than their organisation's retention policy (dry run by default).

    The audit trail and safety flags are never purged.
    """
    from bedside.services import lifecycle

    database = _database()
    try:
        with database.sessions() as session:
            lines = lifecycle.purge(session, apply=apply)
    finally:
        database.dispose()
    verb = "deleted" if apply else "would delete"
    for line in lines:
        typer.echo(
            f"organisation {line.organisation_id}: {verb} {line.rows} {line.kind} "
            f"created before {line.cutoff.date().isoformat()}"
        )
    if not lines:
        typer.echo("no retention policy is set: nothing to purge")
    elif not apply:
        typer.echo("dry run: run again with --apply to delete")


@data_app.command("export-patient")
def export_patient(
    patient_id: int = typer.Argument(..., help="The patient's account id."),
    reason: str = typer.Option(..., help="Why (a request reference); kept in the audit trail."),
    by: str | None = typer.Option(None, help="E-mail of the admin acting (default: the operator)."),
    out: Path | None = typer.Option(  # noqa: B008
        None, help="Write the JSON here (mode 0600) instead of stdout."
    ),
) -> None:
    """A patient's complete record as JSON: FHIR Bundle, messages, check-ins, care plans."""
    import os

    from bedside.services import lifecycle

    database = _database()
    try:
        with database.sessions() as session:
            document = lifecycle.export_patient(
                session, _actor(session, by), patient_id, reason=reason
            ).to_json()
    finally:
        database.dispose()
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if out is None:
        typer.echo(text)
        return
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    typer.echo(f"patient {patient_id} exported to {out}", err=True)


@data_app.command("erase-patient")
def erase_patient(
    patient_id: int = typer.Argument(..., help="The patient's account id."),
    reason: str = typer.Option(..., help="Why (a request reference); kept in the audit trail."),
    by: str | None = typer.Option(None, help="E-mail of the admin acting (default: the operator)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Irreversibly delete a patient's content and disable the account (flags kept, stripped)."""
    from bedside.services import lifecycle

    if not yes:
        typer.confirm(f"Erase patient {patient_id}? This cannot be undone", abort=True)
    database = _database()
    try:
        with database.sessions() as session:
            report = lifecycle.erase_patient(session, _actor(session, by), patient_id, reason=reason)
    finally:
        database.dispose()
    counts = ", ".join(f"{count} {kind}" for kind, count in report.deleted.items())
    typer.echo(
        f"patient {report.patient_id} erased: deleted {counts}; kept {report.flags_kept} safety "
        f"flags and {report.tasks_kept} tasks without free text; account disabled"
    )


def register(app: typer.Typer) -> None:
    """Add the `bedside data` command group."""
    app.add_typer(data_app, name="data")
