"""`bedside scenarios list|check` and `bedside practice`, driven like a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from simulator_helpers import MINI
from typer.testing import CliRunner

from bedside.cli.main import app
from bedside.simulator import shipped_scenario

runner = CliRunner()
BEDSIDE = Path(sys.executable).with_name("bedside")


def test_list_as_json():
    result = runner.invoke(app, ["scenarios", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert len(listed) >= 12
    grief = next(s for s in listed if s["id"] == "grief")
    assert grief["title"].startswith("Grief")
    assert grief["objectives"] and grief["sources"]


def test_list_as_text_and_bad_format():
    result = runner.invoke(app, ["scenarios", "list"])
    assert result.exit_code == 0
    assert "breaking-bad-news" in result.stdout and "bedside practice" in result.stdout
    assert runner.invoke(app, ["scenarios", "list", "--format", "xml"]).exit_code == 2


def test_check_shipped_scenarios():
    result = runner.invoke(app, ["scenarios", "check"])
    assert result.exit_code == 0, result.output
    assert "all 12 scenario files sound" in result.stdout or "scenario files sound" in result.stdout


def test_check_files_and_folders(tmp_path):
    good = tmp_path / "mini.yaml"
    good.write_text(MINI, encoding="utf-8")
    result = runner.invoke(app, ["scenarios", "check", str(good)])
    assert result.exit_code == 0 and "ok  " in result.stdout

    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / "mini.yaml").write_text(
        MINI.replace("    goto: mixed\n", "    goto: first\n"), encoding="utf-8"
    )
    (bad_dir / "typo.yaml").write_text(
        MINI.replace("id: mini", "id: typo").replace("topic: testing\n", "topik: testing\n"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["scenarios", "check", str(bad_dir)])
    assert result.exit_code == 2
    assert f"bedside: error: {bad_dir / 'mini.yaml'}: graph: has a cycle" in result.stderr
    assert f"bedside: error: {bad_dir / 'typo.yaml'}:6: unknown key 'topik'" in result.stderr
    assert "2 of 2 scenario files unsound" in result.stderr


def test_practice_with_piped_replies_reaches_a_debrief():
    """The whole grief scenario with a skilled learner's replies (rules-only scoring)."""
    replies = [
        "I'll sort the tablets. I was so sorry to hear about Joan. How have you been getting on since she died?",
        "Two cups, after fifty years together. The quiet must be so hard.",
        "When you say you can't see the point, I want to ask you directly: have you had thoughts of ending your life?",
        "Thank you for telling me. Would you like a bereavement service, and can we see each other again in two weeks?",
    ]
    result = runner.invoke(
        app, ["practice", "grief", "--rules-only"], input="\n".join(replies) + "\n"
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Arthur Bennett:" in out and "Joan always did all this" in out
    assert out.count("Feedback") == 4
    assert "A stronger reply:" in out
    assert "Outcome: good" in out
    assert "Take-aways" in out and "Sources" in out


def test_practice_hint_quit_and_early_end():
    result = runner.invoke(
        app, ["practice", "teach-back", "--rules-only"], input="/hint\n\n/quit\n"
    )
    assert result.exit_code == 0
    assert (
        "Hint:" in result.stdout
        and shipped_scenario("teach-back").node("opening").example_reply[:20] in result.stdout
    )
    assert "Stopped" in result.stdout and "Feedback" not in result.stdout

    result = runner.invoke(
        app, ["practice", "teach-back", "--rules-only"], input="Of course, let me explain.\n"
    )
    assert result.exit_code == 0
    assert "Input ended before the scenario did" in result.stdout


def test_practice_through_the_real_command_with_piped_stdin():
    replies = "\n".join(
        [
            "Please calm down, it's hospital policy.",
            "Whatever.",
        ]
    )
    done = subprocess.run(
        [str(BEDSIDE), "practice", "angry-patient", "--rules-only"],
        input=replies + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (
        "Don't give me that. I want to make a complaint."
        in done.stdout.replace("\n", " ").replace("  ", " ")
        or "make a complaint" in done.stdout
    )
    assert "Outcome: poor" in done.stdout


def test_practice_unknown_scenario_is_a_clear_error():
    done = subprocess.run(
        [str(BEDSIDE), "practice", "no-such-scenario", "--rules-only"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(
        "bedside: error: no scenario 'no-such-scenario'; known scenarios:"
    )
    assert "Traceback" not in done.stderr
