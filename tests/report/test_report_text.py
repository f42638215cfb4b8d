"""The terminal summary."""

from __future__ import annotations

from bedside.model import AnalysisReport
from bedside.report import render_text


def test_summary_has_score_balance_and_missed_cue(report: AnalysisReport) -> None:
    text = render_text(report, width=100)
    assert "compassion 58/100" in text
    assert "1 explored, 0 acknowledged, 1 missed" in text
    assert "Clinician 45%" in text and "Patient 55%" in text
    assert "Okay. Any fever?" in text
    assert "What worries you most?" in text
    assert "\x1b[" not in text  # plain text: no colour codes in files


def test_summary_fits_narrow_terminals(report: AnalysisReport) -> None:
    text = render_text(report, width=60)
    assert max(len(line) for line in text.splitlines()) <= 60
