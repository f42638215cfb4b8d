"""`bedside analyze` on inputs that are not a whole consultation, and on a risk turn (issue 12).

A single-speaker file (the `_doctor` TextGrid alone, or each side of a pair analysed without
`--merge`) is warned about in every format and its score is not assessable; a risk turn leads
the text and HTML reports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples" / "primock57"
DOCTOR = str(SAMPLES / "day1_consultation01_doctor.TextGrid")
PATIENT = str(SAMPLES / "day1_consultation01_patient.TextGrid")

RISK_TRANSCRIPT = """\
Doctor: Hello, what brings you in today?
Patient: I've been really low since my father committed suicide last year.
Doctor: I'm so sorry to hear that. Do you take any medications?
Patient: No. Sometimes I think everyone would be better off without me.
Doctor: Thank you for telling me that.
Patient: And I've had a killer headache all week.
"""


def _bedside(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from bedside.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_the_doctor_textgrid_alone_is_warned_and_not_scored() -> None:
    result = _bedside("analyze", DOCTOR, "--no-models", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    warnings = document["metrics"]["warnings"]
    assert any(w.startswith("only one speaker found (Doctor)") for w in warnings)
    assert document["score"]["compassion"] is None
    # one file alone has no partner on the command line: no pair warning
    assert not any("without --merge" in w for w in warnings)


def test_a_pair_without_merge_is_warned_on_each_side() -> None:
    result = _bedside("analyze", DOCTOR, PATIENT, "--no-models", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["id"] for d in documents] == ["day1_consultation01_doctor", "day1_consultation01_patient"]
    for document, other in zip(documents, ("patient", "doctor"), strict=True):
        warnings = document["metrics"]["warnings"]
        assert warnings[0].startswith("a pair of files analysed without --merge")
        assert f"day1_consultation01_{other}.TextGrid" in warnings[0]
        assert any(w.startswith("only one speaker found") for w in warnings)
        assert document["score"]["compassion"] is None


def test_the_pair_with_merge_has_no_warning_and_a_score() -> None:
    result = _bedside("analyze", DOCTOR, PATIENT, "--merge", "--no-models", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["metrics"]["warnings"] == []
    assert document["score"]["compassion"] is not None


def test_warnings_show_in_the_text_and_html_reports(tmp_path: Path) -> None:
    text = _bedside("analyze", DOCTOR, PATIENT, "--no-models", "--format", "text")
    assert text.returncode == 0, text.stderr
    flat = " ".join(text.stdout.replace("│", " ").split())
    assert "warning: a pair of files analysed without --merge" in flat
    assert "not assessable" in flat
    out = tmp_path / "doctor.html"
    html = _bedside("analyze", DOCTOR, "--no-models", "--format", "html", "--out", str(out))
    assert html.returncode == 0, html.stderr
    page = out.read_text(encoding="utf-8")
    assert "only one speaker found (Doctor)" in page
    assert "not assessable" in page


def test_a_risk_turn_leads_the_text_and_html_reports(tmp_path: Path) -> None:
    source = tmp_path / "visit.txt"
    source.write_text(RISK_TRANSCRIPT, encoding="utf-8")
    text = _bedside("analyze", str(source), "--no-models", "--format", "text")
    assert text.returncode == 0, text.stderr
    flat = " ".join(text.stdout.replace("│", " ").replace("╭", " ").split())
    first = flat.index("Risk mentioned: turn 1, suicide of a relative or someone else")
    assert "follow your organisation's safety procedure" in flat
    assert "Risk mentioned: turn 3, wish to die" in flat
    assert first < flat.index("compassion")  # before the score: the first block
    assert "Risk mentioned: turn 5" not in flat  # the killer headache is not a risk
    out = tmp_path / "visit.html"
    html = _bedside("analyze", str(source), "--no-models", "--format", "html", "--out", str(out))
    assert html.returncode == 0, html.stderr
    page = out.read_text(encoding="utf-8")
    block = page.index('<section class="risk" role="alert"')
    assert block < page.index('<header class="top">')
    assert "Risk mentioned: turn 1, suicide of a relative or someone else" in page
    assert "organisation&#39;s safety procedure" in page or "organisation's safety procedure" in page
