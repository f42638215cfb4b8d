"""`bedside demo`: what `make run` starts. Migrates an embedded SQLite database, seeds a demo
organisation with one account per role and analysed PriMock57 samples, prints the address and the
logins, and serves on 127.0.0.1:8000.
"""

from __future__ import annotations

import typer


def demo(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    seed_only: bool = typer.Option(False, "--seed-only", help="Seed and print, do not serve."),
) -> None:
    """Start the demo: embedded database, demo accounts, sample consultations, web server."""
    import os

    import uvicorn

    from bedside.config import Settings, default_data_home
    from bedside.services import demo as demo_service
    from bedside.services.database import open_database, upgrade
    from bedside.services.encounters import DefaultPipeline

    settings = Settings()
    url = settings.database_url or f"sqlite:///{default_data_home() / 'demo.sqlite3'}"
    default_data_home().mkdir(parents=True, exist_ok=True)
    typer.echo(f"bedside demo: database {url}")
    upgrade(url)
    database = open_database(url)
    pipeline = DefaultPipeline()
    typer.echo("seeding the demo organisation and analysing sample consultations …")
    with database.sessions() as session:
        logins, problems = demo_service.seed(session, pipeline=pipeline)
    for problem in problems:
        typer.echo(f"  (sample skipped: {problem})", err=True)
    typer.echo("")
    typer.echo(f"  Open  http://{host}:{port}/  and sign in with one of these demo logins:")
    typer.echo("")
    for login in logins:
        typer.echo(f"    {login.role:<11} {login.email:<34} {login.password}")
        if login.totp_secret:
            typer.echo(f"    {'':<11} authenticator key (add it to a TOTP app): {login.totp_secret}")
    typer.echo("")
    typer.echo("  (passwords are new on every start; press Ctrl+C to stop)")
    database.dispose()
    if seed_only:
        return
    # The web layer is started by name, as `bedside serve` does: the CLI does not import it.
    os.environ["BEDSIDE_DATABASE_URL"] = url
    uvicorn.run(
        "bedside.web.app:create_app", factory=True, host=host, port=port, log_level="warning",
        proxy_headers=False,  # loopback demo: no proxy, so X-Forwarded-For is never believed
    )


def register(app: typer.Typer) -> None:
    """Add this area's commands to the app."""
    app.command("demo")(demo)
