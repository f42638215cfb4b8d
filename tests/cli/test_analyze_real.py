"""`bedside analyze` with the real engine (and the models when they are installed), end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples" / "primock57"
PAIR = [
    str(SAMPLES / "day1_consultation01_doctor.TextGrid"),
    str(SAMPLES / "day1_consultation01_patient.TextGrid"),
]


def _bedside(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    code = "from bedside.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("models", [False, True], ids=["no-models", "models"])
def test_contract_done_when_command_on_the_bundled_pair(models: bool) -> None:
    """issue 3: `bedside analyze <doctor> <patient> --merge --format json` gives valid analysis JSON."""
    result = _bedside(
        "analyze", *PAIR, "--merge", "--format", "json", *([] if models else ["--no-models"])
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == "bedside.analysis/1"
    for key in ("id", "turns", "metrics", "opportunities", "score"):
        assert key in document
    metrics = document["metrics"]
    assert metrics["talk_time_basis"] == "seconds"
    shares = metrics["talk_time_share"]
    assert set(shares) >= {"clinician", "patient"}
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-6)
    # talk-time share is summed durations over all roles (contract), checked from the turns
    spoken: dict[str, float] = {}
    for turn in document["turns"]:
        spoken[turn["role"]] = spoken.get(turn["role"], 0.0) + turn["end"] - turn["start"]
        for key in (
            "index",
            "speaker",
            "role",
            "text",
            "start",
            "end",
            "emotions",
            "emotion_scores",
            "cue",
            "empathy",
            "rationales",
            "question",
            "reflection",
        ):
            assert key in turn
    for role, seconds in spoken.items():
        assert shares[role] == pytest.approx(seconds / sum(spoken.values()), abs=1e-3)
    if models:
        patient = [t for t in document["turns"] if t["role"] == "patient"]
        clinician = [t for t in document["turns"] if t["role"] == "clinician"]
        assert all(t["emotions"] is not None and t["cue"] is not None for t in patient)
        assert all(
            set(t["empathy"]) == {"emotional_reactions", "interpretations", "explorations"}
            for t in clinician
        )
        assert document["score"]["compassion"] is not None


def test_missing_models_fall_back_to_rules_with_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Weights missing or corrupt: one warning line, the analysis still runs on the rules."""
    from typer.testing import CliRunner

    import bedside.nlp
    from bedside.batch import _worker
    from bedside.cli.main import app
    from bedside.errors import ModelError

    def missing(*args: object, **kwargs: object) -> None:
        raise ModelError("model weights missing: encoder.onnx")

    monkeypatch.setattr(bedside.nlp, "load_labeller", missing)
    monkeypatch.setattr(_worker, "_LABELLER", _worker._UNSET)
    result = CliRunner().invoke(app, ["analyze", *PAIR, "--merge", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("bedside: warning: language models unavailable") == 1
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    assert all(turn["empathy"] is None for turn in document["turns"])


def test_html_report_of_the_pair_without_models(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = _bedside("analyze", *PAIR, "--merge", "--no-models", "--out", str(page))
    assert result.returncode == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Who spoke when" in html
    assert "http://" not in html and "https://" not in html


def test_bad_file_in_a_real_batch(tmp_path: Path) -> None:
    bad = tmp_path / "broken.vtt"
    bad.write_text("WEBVTT\n\n00:00:01.000 --> nonsense\n<v Dr>Hi\n")
    result = _bedside("analyze", str(bad), PAIR[0], "--no-models", "--format", "jsonl")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("bedside: error:")]
    assert len(errors) == 1 and errors[0].startswith(f"bedside: error: {bad}:")
    assert "Traceback" not in result.stderr
    assert len(result.stdout.splitlines()) == 1
