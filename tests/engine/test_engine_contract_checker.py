"""The `bedside.analysis/1` checker itself: it accepts a real report and catches each kind of break."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from analysis_contract import check_analysis
from engine_helpers import timed
from keyword_labeller import KeywordLabeller

from bedside.engine import analyse


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    conv = timed(
        ("Doctor", "What brings you in today?", 0.0, 2.0),
        ("Patient", "I'm scared it's cancer, my mum had it.", 2.5, 6.0),
        ("Doctor", "Do you smoke?", 6.5, 7.5),
        ("Patient", "No.", 8.0, 8.5),
    )
    return analyse(conv, labeller=KeywordLabeller()).to_json()


def test_a_real_report_passes(document: dict[str, Any]) -> None:
    assert check_analysis(document, models=True) == []


BREAKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "schema": lambda d: d.update(schema="bedside.analysis/2"),
    "missing turn key": lambda d: d["turns"][0].pop("reflection"),
    "cue on clinician": lambda d: d["turns"][0].update(cue=True),
    "cue null on patient": lambda d: d["turns"][1].update(cue=None),
    "empathy level 3": lambda d: d["turns"][0]["empathy"].update(explorations=3),
    "rationale outside text": lambda d: d["turns"][0]["rationales"].update(explorations=[[0, 999]]),
    "unknown emotion": lambda d: d["turns"][1].update(emotions=["jealousy"]),
    "shares do not sum": lambda d: d["metrics"]["talk_time_share"].update(clinician=0.9),
    "bad basis": lambda d: d["metrics"].update(talk_time_basis="minutes"),
    "response turn is patient": lambda d: d["opportunities"][0].update(response_turn=3),
    "unknown response": lambda d: d["opportunities"][0].update(response="ignored"),
    "missed without suggestion": lambda d: d["opportunities"][0].update(suggestion=None),
    "score over 100": lambda d: d["score"].update(compassion=140),
    "index out of order": lambda d: d["turns"][2].update(index=7),
    "missing metrics key": lambda d: d["metrics"].pop("first_interruption_s"),
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_each_break_is_caught(document: dict[str, Any], name: str) -> None:
    broken = copy.deepcopy(document)
    BREAKS[name](broken)
    assert check_analysis(broken, models=True) != []


def test_models_flag_demands_model_fields() -> None:
    rules_only = analyse(
        timed(("Doctor", "Hello.", 0.0, 1.0), ("Patient", "Hi.", 1.0, 2.0))
    ).to_json()
    assert check_analysis(rules_only) == []
    assert check_analysis(rules_only, models=True) != []
