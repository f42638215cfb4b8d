"""The summary CSV: one row per conversation, stable columns first."""

from __future__ import annotations

import csv
from pathlib import Path

from bedside.batch import summary_row, write_summary

DOC = {
    "schema": "bedside.analysis/1",
    "id": "c01",
    "source": "c01.TextGrid",
    "turns": [{"cue": True}, {"cue": False}, {"cue": None}, {"cue": True}],
    "metrics": {
        "talk_time_basis": "seconds",
        "talk_time_share": {"clinician": 0.61234, "patient": 0.38766},
        "turns": {"clinician": 2, "patient": 2},
        "interruptions": 3,
        "first_interruption_s": 11.5,
        "reflection_to_question": 0.25,
        "pauses": [1, 2],
        "mi": {"percent_open_questions": 40.0, "basis": "models", "turns": [1, 2]},
    },
    "opportunities": [{"response": "missed"}, {"response": "explored"}],
    "score": {"compassion": 64, "components": {"cues": {"score": 30, "max": 40}, "balance": 12}},
}


def test_row_has_counts_shares_and_engine_extras() -> None:
    row = summary_row(DOC)
    assert row["id"] == "c01"
    assert row["compassion"] == 64
    assert row["turns"] == 4
    assert row["cues"] == 2
    assert (row["explored"], row["acknowledged"], row["missed"]) == (1, 0, 1)
    assert row["talk_share_clinician"] == 0.6123
    assert row["talk_share_family"] == 0.0
    assert row["interruptions"] == 3
    assert row["metric_reflection_to_question"] == 0.25
    assert "metric_pauses" not in row  # lists do not fit a cell
    assert row["metric_mi_percent_open_questions"] == 40.0
    assert "metric_mi_turns" not in row
    assert row["score_cues"] == 30 and row["score_balance"] == 12


def test_csv_has_union_of_columns(tmp_path: Path) -> None:
    bare = {
        "id": "c02",
        "metrics": {"talk_time_basis": "words", "talk_time_share": {}, "turns": {}},
    }
    path = tmp_path / "summary.csv"
    assert write_summary(path, [summary_row(DOC), summary_row(bare)]) == 2
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["c01", "c02"]
    assert rows[1]["metric_reflection_to_question"] == ""
    assert rows[1]["compassion"] == ""
    assert list(rows[0])[:3] == ["id", "source", "compassion"]


def test_risk_turns_and_warnings_reach_the_csv():
    document = {
        "id": "c", "turns": [], "opportunities": [], "score": {"compassion": None},
        "metrics": {"risk_turns": [{"turn": 3, "category": "suicide"}, {"turn": 9}],
                    "warnings": ["only one speaker found (Doctor)", "no patient or family turns"]},
    }
    row = summary_row(document)
    assert row["metric_risk_turns"] == "3 9"
    assert row["metric_warnings"] == "only one speaker found (Doctor) | no patient or family turns"
