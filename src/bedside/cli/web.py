"""`bedside serve`, `bedside db upgrade|downgrade` and `bedside admin create` (see contracts.md)."""

from __future__ import annotations

import os
from typing import Any

import typer

from bedside.config import Settings
from bedside.errors import ConfigError

db_app = typer.Typer(help="Create or migrate the database named by BEDSIDE_DATABASE_URL.",
                     no_args_is_help=True)
admin_app = typer.Typer(help="Administer accounts from the command line.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
) -> None:
    """Create or migrate the database named by BEDSIDE_DATABASE_URL (default: a SQLite file)."""
    from bedside.services.database import upgrade

    url = Settings().resolved_migration_url()  # the table owner
    upgrade(url, revision)
    typer.echo(f"database at {_safe(url)} is at revision {revision}")


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(..., help="Target revision, or 'base' for an empty database."),
) -> None:
    """Undo migrations down to REVISION."""
    from bedside.services.database import downgrade

    url = Settings().resolved_migration_url()  # the table owner
    downgrade(url, revision)
    typer.echo(f"database at {_safe(url)} is at revision {revision}")


@admin_app.command("create")
def admin_create(
    email: str = typer.Argument(..., help="E-mail of the new admin (the sign-in name)."),
    name: str = typer.Option("Administrator", help="Display name."),
    organisation: str = typer.Option("My organisation", help="Organisation, if none exists yet."),
) -> None:
    """Create an admin account; the password comes from BEDSIDE_ADMIN_PASSWORD or a prompt."""
    from bedside.db import repos
    from bedside.services import accounts
    from bedside.services.database import open_database, upgrade

    password = os.environ.get("BEDSIDE_ADMIN_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    url = Settings().resolved_database_url()
    upgrade(url)
    database = open_database(url)
    try:
        with database.sessions() as session:
            org = repos.first_organisation(session) or accounts.create_organisation(session, organisation)
            user = accounts.create_user(
                session, None, organisation_id=org.id, email=email, display_name=name,
                role=accounts.UserRole.ADMIN, password=password,
            )
            typer.echo(f"admin {user.email} created in {org.name}")
    finally:
        database.dispose()


def _safe(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Run the web application with uvicorn (migrate first with `bedside db upgrade`)."""
    import uvicorn

    if workers < 1:
        raise ConfigError("--workers must be at least 1")
    from bedside.services.database import pending_migrations

    url = Settings().resolved_database_url()
    if pending_migrations(url):
        raise ConfigError(f"the database at {_safe(url)} needs migrating: run `bedside db upgrade`")
    typer.echo(f"bedside is serving on http://{host}:{port}/")
    uvicorn.run(
        "bedside.web.app:create_app", factory=True, host=host, port=port, workers=workers,
        log_level="info", **proxy_options(Settings().trusted_proxies),
    )


def proxy_options(trusted_proxies: str) -> dict[str, Any]:
    """uvicorn's forwarded-header options: believe X-Forwarded-For/-Proto only from these proxies.

    With none configured (the default) the headers are ignored whoever sends them, so the
    address in the audit trail and the sign-in throttle is the socket's peer and cannot be
    spoofed; uvicorn's own default would trust 127.0.0.1, i.e. anyone on the same machine.
    """
    proxies = [part.strip() for part in trusted_proxies.split(",") if part.strip()]
    if not proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": []}
    return {"proxy_headers": True, "forwarded_allow_ips": proxies}


def register(app: typer.Typer) -> None:
    """Add this area's commands to the app."""
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(admin_app, name="admin")
