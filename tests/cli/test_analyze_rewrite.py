"""`bedside analyze` asks the endpoint BEDSIDE_LLM_URL names for better replies, and only then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bedside.batch import _worker
from bedside.cli.main import app
from services.test_rewrite import FakeServer, completion

TRANSCRIPT = "Patient: I'm scared it's cancer, my dad died of it.\nDoctor: Do you smoke?\nPatient: No.\n"


def _missed(document: dict) -> list[dict]:
    return [o for o in document["opportunities"] if o["response"] == "missed"]


def test_rewrites_missed_suggestions_when_an_endpoint_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit = tmp_path / "visit.txt"
    visit.write_text(TRANSCRIPT)
    with FakeServer() as server:
        server.reply = lambda body: completion("That sounds frightening. What worries you most?")
        monkeypatch.setenv("BEDSIDE_LLM_URL", server.url)
        monkeypatch.setattr(_worker, "_REWRITER", _worker._UNSET)
        result = CliRunner().invoke(app, ["analyze", str(visit), "--no-models", "--format", "json"])
    assert result.exit_code == 0, result.output
    missed = _missed(json.loads(result.stdout))
    assert missed, "the fixture must contain a missed cue"
    assert missed[0]["suggestion"] == "That sounds frightening. What worries you most?"
    assert missed[0]["suggestion_source"] == "llm"
    assert "scared" in json.dumps(server.requests[0])


def test_no_endpoint_no_request_and_template_suggestions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit = tmp_path / "visit.txt"
    visit.write_text(TRANSCRIPT)
    monkeypatch.delenv("BEDSIDE_LLM_URL", raising=False)
    monkeypatch.setattr(_worker, "_REWRITER", _worker._UNSET)
    result = CliRunner().invoke(app, ["analyze", str(visit), "--no-models", "--format", "json"])
    assert result.exit_code == 0, result.output
    missed = _missed(json.loads(result.stdout))
    assert missed and missed[0]["suggestion"] and missed[0]["suggestion_source"] != "llm"
