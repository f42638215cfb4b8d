"""The docs users read stay true: every command has help and is named in the README or docs."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from bedside.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = "\n".join(
    path.read_text(encoding="utf-8") for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
)


def _command_paths() -> list[tuple[str, ...]]:
    root = get_command(app)
    paths: list[tuple[str, ...]] = []

    def walk(command: object, prefix: tuple[str, ...]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append((*prefix, name))
            walk(sub, (*prefix, name))

    walk(root, ())
    return paths


COMMANDS = _command_paths()


def test_the_contract_commands_exist() -> None:
    names = {" ".join(path) for path in COMMANDS}
    for required in ("analyze", "convert", "score", "scenarios list", "scenarios check", "practice",
                     "serve", "db upgrade", "admin create", "models info", "models train", "fhir export"):
        assert required in names


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_has_help_and_is_documented(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert f"bedside {' '.join(path)}" in DOCS, f"`bedside {' '.join(path)}` is not in README.md or docs/"


def test_version_flag() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("bedside ")


def test_typer_app_is_the_entry_point() -> None:
    assert isinstance(app, typer.Typer)
