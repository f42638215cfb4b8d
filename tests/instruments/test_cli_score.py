"""`bedside score` exactly as contracts.md describes it: JSON keys, text, exit 2 on bad answers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bedside.cli.main import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_output_has_the_contract_keys() -> None:
    code, out, _ = run(
        "score", "phq9", "1", "1", "2", "2", "1", "2", "2", "2", "1", "--format", "json"
    )
    assert code == 0
    document = json.loads(out)
    assert {
        k: document[k] for k in ("instrument", "total", "band", "positive", "flags", "percentage")
    } == {
        "instrument": "phq9",
        "total": 14,
        "band": "moderate",
        "positive": True,
        "flags": ["self_harm_risk"],
        "percentage": None,
    }


def test_who5_percentage() -> None:
    code, out, _ = run("score", "who5", "3", "3", "2", "2", "2", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert (document["total"], document["percentage"], document["positive"]) == (12, 48, True)
    assert document["flags"] == ["poor_wellbeing"]


def test_text_output_spells_out_item9_without_saying_no_risk() -> None:
    code, out, _ = run(
        "score", "phq9", "0", "0", "0", "0", "0", "0", "0", "0", "0", "--format", "text"
    )
    assert code == 0
    assert "Total: 0 / 27" in out and "Band: Minimal" in out
    assert "does not rule out risk" in out and "no risk" not in out.lower()
    code, out, _ = run(
        "score", "phq9", "0", "0", "0", "0", "0", "0", "0", "0", "2", "--format", "text"
    )
    assert "SAFETY:" in out and "Flag: self_harm_risk" in out


def _main(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from bedside.cli.main import main; sys.argv = ['bedside', *sys.argv[1:]]; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["phq9", "1", "1"], "phq9 expects 9 answers (items 1-9 in order), got 2"),
        (["gad7", "0", "0", "0", "0", "0", "0", "4"], "gad7 item 7 answer 4 is out of range"),
        (["who5", "0", "0", "x", "0", "0"], "who5 answer 3 'x' is not a whole number"),
        (["phq11", "0"], "unknown instrument 'phq11'"),
    ],
)
def test_bad_answers_exit_2_with_one_line(args: list[str], message: str) -> None:
    done = _main("score", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("bedside: error: ")
    assert message in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
