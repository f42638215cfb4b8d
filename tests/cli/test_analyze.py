"""`bedside analyze`: formats, exit codes, stdin, bad files in a batch, resume, order, merge.

Most tests run the command in-process with a stand-in engine (a deterministic metrics-only
analysis), so they check the command's own behaviour quickly; `test_analyze_real.py` runs the
real engine end to end.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bedside.batch import _worker
from bedside.cli.main import app
from bedside.model import AnalysisReport, Conversation, EncounterMetrics, Opportunity, TurnAnalysis

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "primock57"
PAIR = [
    str(SAMPLES / "day1_consultation01_doctor.TextGrid"),
    str(SAMPLES / "day1_consultation01_patient.TextGrid"),
]


def fake_analyse(conv: Conversation, use_models: bool) -> AnalysisReport:
    """Turns copied, word counts as talk time, a cue on every patient question (for the report)."""
    turns = tuple(
        TurnAnalysis(
            index=i,
            speaker=t.speaker.name,
            role=t.role,
            text=t.text,
            start=t.start,
            end=t.end,
            cue=("?" in t.text) if t.role == "patient" else None,
        )
        for i, t in enumerate(conv.turns)
    )
    words: dict[str, int] = {}
    counts: dict[str, int] = {}
    for t in conv.turns:
        words[str(t.role)] = words.get(str(t.role), 0) + t.words
        counts[str(t.role)] = counts.get(str(t.role), 0) + 1
    total = sum(words.values()) or 1
    cues = [t.index for t in turns if t.cue]
    return AnalysisReport(
        id=conv.id,
        source=conv.source,
        turns=turns,
        metrics=EncounterMetrics(
            talk_time_basis="words",
            talk_time_share={role: n / total for role, n in words.items()},
            turns=counts,
        ),
        opportunities=tuple(
            Opportunity(cue_turn=i, response_turn=None, response="missed") for i in cues
        ),
    )


@pytest.fixture(autouse=True)
def _stand_in_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_worker, "analyse_conversation", fake_analyse)
    monkeypatch.setattr(_worker, "get_labeller", lambda use_models: None)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "Doctor: Hello, how are you?\nPatient: Not great, is it serious?\nDoctor: Tell me more.\n"
BAD_JSON = '{"turns": [{"speaker": "Dr", "text": 3}]}'


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("bedside: error:")]


def test_json_is_the_default_off_a_terminal(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "visit.txt", GOOD)
    result = runner.invoke(app, ["analyze", str(path), "--no-models"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema"] == "bedside.analysis/1"
    assert document["id"] == "visit"
    assert [t["role"] for t in document["turns"]] == ["clinician", "patient", "clinician"]


def test_several_inputs_give_a_json_array_in_input_order(runner: CliRunner, tmp_path: Path) -> None:
    paths = [str(_write(tmp_path, f"{name}.txt", GOOD)) for name in ("b", "a", "c")]
    result = runner.invoke(app, ["analyze", *paths, "--format", "json"])
    assert result.exit_code == 0
    assert [d["id"] for d in json.loads(result.stdout)] == ["b", "a", "c"]


def test_jsonl_one_line_per_conversation(runner: CliRunner, tmp_path: Path) -> None:
    paths = [str(_write(tmp_path, f"{name}.txt", GOOD)) for name in ("z", "y")]
    result = runner.invoke(app, ["analyze", *paths, "--format", "jsonl"])
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["z", "y"]


def test_text_summary(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "visit.txt", GOOD)
    result = runner.invoke(app, ["analyze", str(path), "--format", "text"])
    assert result.exit_code == 0
    assert "visit" in result.stdout and "Clinician" in result.stdout


def test_html_to_a_file_and_one_file_per_conversation_in_a_directory(
    runner: CliRunner, tmp_path: Path
) -> None:
    one = _write(tmp_path, "one.txt", GOOD)
    two = _write(tmp_path, "two.txt", GOOD.replace("Hello", "Hi & bye, 2 < 3"))
    page = tmp_path / "one.html"
    result = runner.invoke(app, ["analyze", str(one), "--out", str(page)])  # format from the suffix
    assert result.exit_code == 0
    assert page.read_text().startswith("<!DOCTYPE html>")
    reports = tmp_path / "reports"
    result = runner.invoke(
        app, ["analyze", str(one), str(two), "--format", "html", "--out", str(reports)]
    )
    assert result.exit_code == 0
    assert sorted(p.name for p in reports.iterdir()) == ["one.html", "two.html"]
    assert "Hi &amp; bye, 2 &lt; 3" in (reports / "two.html").read_text()


def test_html_for_several_conversations_needs_a_directory(
    runner: CliRunner, tmp_path: Path
) -> None:
    paths = [str(_write(tmp_path, f"{n}.txt", GOOD)) for n in ("a", "b")]
    result = runner.invoke(app, ["analyze", *paths, "--format", "html"])
    assert result.exit_code == 2
    assert _errors(result.stderr) and "give --out a directory" in result.stderr
    assert "Traceback" not in result.output


def test_stdin_with_input_format(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["analyze", "-", "--input-format", "text", "--format", "json"], input=GOOD
    )
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["turns"]) == 3


def test_bad_file_alone_exits_2_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.json", BAD_JSON)
    result = runner.invoke(app, ["analyze", str(bad), "--format", "json"])
    assert result.exit_code == 2
    (line,) = _errors(result.stderr)
    assert line.startswith(f"bedside: error: {bad}:")
    assert "expected" in line
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_batch_with_a_bad_file_analyses_the_good_ones_and_exits_2(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder, "a.txt", GOOD)
    _write(folder, "b.json", BAD_JSON)
    _write(folder, "c.txt", GOOD)
    _write(folder, "d.vtt", "not a vtt file")
    out = tmp_path / "results.jsonl"
    result = runner.invoke(app, ["analyze", str(folder), "--format", "jsonl", "--out", str(out)])
    assert result.exit_code == 2
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "c"]
    errors = _errors(result.stderr)
    assert len(errors) == 2
    assert str(folder / "b.json") in errors[0] and str(folder / "d.vtt") in errors[1]


def test_missing_file_and_bad_options_are_usage_errors(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["analyze", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2 and "no such file" in result.stderr
    good = str(_write(tmp_path, "a.txt", GOOD))
    result = runner.invoke(app, ["analyze", good, "--format", "pdf"])
    assert result.exit_code == 2 and _errors(result.stderr)
    result = runner.invoke(app, ["analyze", good, "--role", "nonsense"])
    assert result.exit_code == 2 and _errors(result.stderr)


def test_role_override(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "visit.txt", "Sam: Hello there.\nAlex: I'm worried.\n")
    result = runner.invoke(
        app, ["analyze", str(path), "--role", "Sam=clinician", "--role", "Alex=patient"]
    )
    assert result.exit_code == 0, result.stderr
    assert [t["role"] for t in json.loads(result.stdout)["turns"]] == ["clinician", "patient"]


def test_resume_skips_done_ids_and_repairs_a_torn_line(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b", "c", "d"):
        _write(folder, f"{name}.txt", GOOD.replace("Hello", f"Hello {name}"))
    out = tmp_path / "results.jsonl"
    summary = tmp_path / "summary.csv"
    first = runner.invoke(app, ["analyze", str(folder), "--format", "jsonl", "--out", str(out)])
    assert first.exit_code == 0
    lines = out.read_text().splitlines(keepends=True)
    # simulate a crash: keep a and b, then half of c's line
    out.write_text(lines[0] + lines[1] + lines[2][:40])
    calls: list[str] = []

    def counting(conv: Conversation, use_models: bool) -> AnalysisReport:
        calls.append(conv.id)
        return fake_analyse(conv, use_models)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_worker, "analyse_conversation", counting)
        again = runner.invoke(
            app,
            [
                "analyze",
                str(folder),
                "--format",
                "jsonl",
                "--out",
                str(out),
                "--summary",
                str(summary),
            ],
        )
    assert again.exit_code == 0, again.stderr
    assert calls == ["c", "d"]
    assert "incomplete last line" in again.stderr
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "b", "c", "d"]
    assert out.read_text().splitlines(keepends=True)[:2] == lines[:2]
    rows = list(csv.DictReader(summary.open()))
    assert [r["id"] for r in rows] == ["a", "b", "c", "d"]
    assert rows[0]["turns_clinician"] == "2"


def test_merge_directory_groups_pairs(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["analyze", str(SAMPLES), "--merge", "--format", "jsonl"])
    assert result.exit_code == 0, result.stderr
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["id"] for d in documents] == [
        "day1_consultation01",
        "day1_consultation02",
        "day2_consultation01",
    ]
    roles = {t["role"] for t in documents[0]["turns"]}
    assert roles == {"clinician", "patient"}


def test_merge_of_named_pair_is_one_conversation(runner: CliRunner) -> None:
    result = runner.invoke(app, ["analyze", *PAIR, "--merge", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    starts = [t["start"] for t in document["turns"]]
    assert starts == sorted(starts)


def test_internal_error_exits_1_with_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conv: Conversation, use_models: bool) -> AnalysisReport:
        raise RuntimeError("bug")

    monkeypatch.setattr(_worker, "analyse_conversation", broken)
    path = _write(tmp_path, "a.txt", GOOD)
    result = runner.invoke(app, ["analyze", str(path), "--format", "json"])
    assert result.exit_code == 1
    assert "internal error RuntimeError: bug" in result.stderr
    assert "Traceback" not in result.output


def test_progress_bar_and_totals_on_stderr(runner: CliRunner, tmp_path: Path) -> None:
    paths = [str(_write(tmp_path, f"{n}.txt", GOOD)) for n in ("a", "b")]
    result = runner.invoke(app, ["analyze", *paths, "--format", "jsonl", "--progress"])
    assert result.exit_code == 0
    assert "analysing" in result.stderr and "2/2" in result.stderr
    assert "2 analysed, 0 already done, 0 bad input(s)" in result.stderr
    assert len(result.stdout.splitlines()) == 2  # the bar never mixes into the data


def test_default_format_is_text_on_a_terminal() -> None:
    import io

    from bedside.batch import AnalyzeRequest, choose_format

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert choose_format(AnalyzeRequest(inputs=("a",)), Terminal()) == "text"
    assert choose_format(AnalyzeRequest(inputs=("a",)), io.StringIO()) == "json"
    assert choose_format(AnalyzeRequest(inputs=("a",), out=Path("r.jsonl")), Terminal()) == "jsonl"
    assert choose_format(AnalyzeRequest(inputs=("a",), format="html"), io.StringIO()) == "html"
