"""Hand-written consultations with known cues and responses (explored, acknowledged, missed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_contract import check_analysis
from engine_helpers import CONSULTATIONS, load_fixture
from keyword_labeller import KeywordLabeller

from bedside.engine import analyse
from bedside.model import MECHANISMS, EmpathyLabel, MICode

FILES = sorted(CONSULTATIONS.glob("*.json"))


def test_there_are_fixtures_for_each_response() -> None:
    responses = set()
    for path in FILES:
        _, expected = load_fixture(path)
        responses |= {o["response"] for o in expected["opportunities"]}
    assert responses == {"explored", "acknowledged", "missed"}


@pytest.mark.parametrize("labelled", [False, True], ids=["rules", "keyword-model"])
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_cues_and_responses_match_the_expected_labels(path: Path, labelled: bool) -> None:
    conv, expected = load_fixture(path)
    report = analyse(conv, labeller=KeywordLabeller() if labelled else None)
    document = report.to_json()
    assert check_analysis(document, models=labelled) == []

    cues = [t["index"] for t in document["turns"] if t["cue"]]
    assert cues == expected["cues"]
    found = [(o["cue_turn"], o["response"], o["response_turn"]) for o in document["opportunities"]]
    wanted = [(o["cue_turn"], o["response"], o["response_turn"]) for o in expected["opportunities"]]
    assert found == wanted
    for got, want in zip(document["opportunities"], expected["opportunities"], strict=True):
        if "reason" in want:
            assert got["reason"] == want["reason"]
        if got["response"] == "missed":
            assert got["suggestion"]
            assert got["suggestion_source"] == "template"
        else:
            assert got["suggestion"] is None
        if "suggestion_mentions" in want:
            assert want["suggestion_mentions"] in got["suggestion"]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_structure_nurse_and_jargon_match(path: Path) -> None:
    conv, expected = load_fixture(path)
    metrics = analyse(conv).to_json()["metrics"]
    if "agenda_setting" in expected:
        assert metrics["agenda_setting_turns"] == expected["agenda_setting"]
    if "summary" in expected:
        assert metrics["summary_turns"] == expected["summary"]
    if "teach_back" in expected:
        assert metrics["teach_back_turns"] == expected["teach_back"]
    for name, turns in expected.get("nurse", {}).items():
        assert metrics["nurse"][name] == turns, name
    if "jargon" in expected:
        turns = analyse(conv).to_json()["turns"]
        explained = {j["term"]: j["explained"] for t in turns for j in (t["jargon"] or [])}
        assert explained == expected["jargon"]


class GenerousLabeller(KeywordLabeller):
    """Like the Reddit-trained EPITOME model on clinical speech: every reply strongly empathic."""

    def empathy(self, contexts, responses):
        self.calls["empathy"] += 1
        return [
            EmpathyLabel(
                levels=dict.fromkeys(MECHANISMS, 2),
                rationales={m: ((0, len(r)),) for m in MECHANISMS},
            )
            for r in responses
        ]

    def mi_codes(self, contexts, responses):
        self.calls["mi_codes"] += 1
        return [MICode(question="open", reflection="complex") for _ in responses]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_an_over_generous_model_does_not_overrule_the_rules(path: Path) -> None:
    """Model labels count only when grounded in feeling words or the cue's own words."""
    conv, expected = load_fixture(path)
    document = analyse(conv, labeller=GenerousLabeller()).to_json()
    found = [(o["cue_turn"], o["response"]) for o in document["opportunities"]]
    assert found == [(o["cue_turn"], o["response"]) for o in expected["opportunities"]]


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_expected_labels_hold_with_the_shipped_models(path: Path) -> None:
    from bedside.errors import ModelError
    from bedside.nlp import load_labeller

    try:
        labeller = load_labeller()
    except ModelError as error:
        pytest.skip(f"shipped models not available: {error}")
    conv, expected = load_fixture(path)
    document = analyse(conv, labeller=labeller).to_json()
    assert check_analysis(document, models=True) == []
    assert [t["index"] for t in document["turns"] if t["cue"]] == expected["cues"]
    found = [(o["cue_turn"], o["response"]) for o in document["opportunities"]]
    assert found == [(o["cue_turn"], o["response"]) for o in expected["opportunities"]]
