"""`bedside convert`: formats, --merge, --role, stdin, bad inputs reported and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bedside.cli.main import app
from bedside.io import read_conversation

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "primock57"
OK = Path(__file__).resolve().parents[1] / "fixtures" / "io" / "ok"
PAIR = [
    str(SAMPLES / "day1_consultation01_doctor.TextGrid"),
    str(SAMPLES / "day1_consultation01_patient.TextGrid"),
]
runner = CliRunner()


def test_merge_pair_to_json() -> None:
    result = runner.invoke(app, ["convert", *PAIR, "--merge", "--to", "json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["id"] == "day1_consultation01"
    roles = {turn["role"] for turn in document["turns"]}
    assert roles == {"clinician", "patient"}
    starts = [turn["start"] for turn in document["turns"]]
    assert starts == sorted(starts)


def test_vtt_out_file_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "visit.vtt"
    result = runner.invoke(app, ["convert", *PAIR, "--merge", "--to", "vtt", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    conv = read_conversation(out)
    assert len(conv.turns) > 50
    assert conv.turns[0].speaker.name == "Doctor"


def test_role_override_and_stdin(monkeypatch) -> None:
    result = runner.invoke(
        app,
        ["convert", "-", "--input-format", "text", "--to", "jsonl", "--role", "Sam=family"],
        input="Sam: Is she all right?\nDr Lee: She is stable.\n",
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert [t["role"] for t in document["turns"]] == ["family", "clinician"]


def test_several_conversations_need_jsonl_json_or_merge() -> None:
    files = [str(OK / "sample.txt"), str(OK / "sample.srt")]
    result = runner.invoke(app, ["convert", *files, "--to", "text"])
    assert result.exit_code == 2
    assert "use --merge" in result.stderr
    result = runner.invoke(app, ["convert", *files, "--to", "json"])
    assert result.exit_code == 0
    assert [d["id"] for d in json.loads(result.stdout)] == ["sample", "sample"]


def test_bad_input_is_reported_and_good_ones_still_converted(tmp_path: Path) -> None:
    bad = tmp_path / "bad.vtt"
    bad.write_text("not a vtt\n")
    result = runner.invoke(app, ["convert", str(bad), str(OK / "sample.txt"), "--to", "jsonl"])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"bedside: error: {bad}:1:1: expected the file to start with 'WEBVTT'"
    )
    assert json.loads(result.stdout)["id"] == "sample"


def test_usage_errors_exit_2_with_one_line() -> None:
    for args, words in (
        (["convert", str(OK / "sample.txt"), "--to", "docx"], "--to docx"),
        (["convert", str(OK / "sample.txt"), "--to", "json", "--role", "x"], "--role"),
        (["convert", "missing.txt", "--to", "json"], "missing.txt: no such file"),
        (["convert", str(OK / "sample.txt"), "--to", "vtt"], "needs times"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("bedside: error: ")
        assert words in result.stderr
        assert "Traceback" not in result.stderr
