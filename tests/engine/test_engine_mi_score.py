"""Issue 12 items 7 and 8: MI behaviour in clinician turns, and a score that gives no credit for
finding nothing, with weights chosen on AnnoMI development data (split by transcript)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest
from engine_helpers import timed
from keyword_labeller import KeywordLabeller

from bedside.engine import DEFAULT_RULES, AnalysisConfig, analyse
from bedside.engine._mi_behaviour import mi_behaviour
from bedside.engine._score import DEFAULT_SCORE_RULES, ScoreInputs, compassion_score
from bedside.model import EmpathyLabel

ROOT = Path(__file__).resolve().parents[2]


def _annomi() -> ModuleType:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import _annomi
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return _annomi


class _WorryReactionLabeller(KeywordLabeller):
    """Stands in for the EPITOME model's mistake: a strong emotional reaction on "worries me"."""

    def empathy(self, contexts: Sequence[str], responses: Sequence[str]) -> list[EmpathyLabel]:
        labels = []
        for response in responses:
            spans = tuple((m.start(), m.end()) for m in re.finditer(r"worries me", response))
            labels.append(
                EmpathyLabel(
                    levels={
                        "emotional_reactions": 2 if spans else 0,
                        "interpretations": 0,
                        "explorations": 0,
                    },
                    rationales={
                        "emotional_reactions": spans,
                        "interpretations": (),
                        "explorations": (),
                    },
                )
            )
        return labels


def _smoking(reply: str, labeller: object | None = None) -> dict:
    conv = timed(
        ("Doctor", "How have things been with the smoking?", 0.0, 3.0),
        ("Patient", "I only smoke a few a day, it doesn't really affect my health.", 3.5, 8.0),
        ("Doctor", reply, 8.5, 14.0),
        ("Patient", "Right.", 14.5, 15.0),
        ("Doctor", "OK, we can leave it there for today.", 15.5, 18.0),
        ("Patient", "I'll think about it.", 18.5, 20.0),
    )
    return analyse(conv, labeller=labeller).to_json()  # type: ignore[arg-type]


# --- no credit for finding nothing -------------------------------------------------------------


def test_no_cues_makes_cue_responses_not_assessable_with_no_maximum() -> None:
    conv = timed(
        ("Doctor", "What brings you in today?", 0.0, 2.0),
        ("Patient", "I need a repeat prescription for my inhaler please.", 2.5, 6.0),
        ("Doctor", "Of course. Is there anything else you wanted to talk about today?", 6.5, 9.0),
        ("Patient", "No, that's all, thank you.", 9.5, 11.0),
    )
    score = analyse(conv).to_json()["score"]
    part = score["breakdown"]["cue_responses"]
    assert part["status"] == "not assessable"
    assert part["points"] is None
    assert part["max_points"] is None
    assert "no credit" in part["why"]
    assert score["components"]["cue_responses"] is None
    maxima = [p["max_points"] for p in score["breakdown"].values() if p["status"] == "assessed"]
    assert sum(maxima) == pytest.approx(100.0, abs=0.5)


def test_finding_no_cue_does_not_score_higher_than_meeting_one() -> None:
    def consultation(patient: str) -> int:
        conv = timed(
            ("Doctor", "What brings you in today?", 0.0, 2.0),
            ("Patient", patient, 2.5, 6.0),
            ("Doctor", "That sounds frightening. What worries you most about it?", 6.5, 10.0),
            ("Patient", "That it could be something serious.", 10.5, 12.0),
        )
        return analyse(conv).to_json()["score"]["compassion"]

    with_cue = consultation("I've found a lump and I'm really scared it's cancer.")
    without = consultation("I've found a lump on my arm, it's been there a month.")
    assert without <= with_cue


def test_nothing_assessable_is_a_null_score() -> None:
    empty = ScoreInputs(
        opportunities=(),
        clinician_turns=(),
        empathic_turns=(),
        empathy_basis="rules",
        patient_share=None,
        interruption_turns=None,
        duration_s=None,
        agenda_turns=(),
        summary_turns=(),
        teach_back_turns=(),
        clinician_grade=None,
        clinician_words=0,
        unexplained_jargon_turns=(),
        unexplained_jargon=0,
    )
    score = compassion_score(empty, DEFAULT_SCORE_RULES)
    assert score.compassion is None
    assert all(p["status"] == "not assessable" for p in score.breakdown.values())


def test_v1_weights_still_give_todays_score_as_the_baseline() -> None:
    doc = _smoking("OK, and how many a day is that?")
    old = analyse(
        timed(("Doctor", "How are you?", 0.0, 1.0), ("Patient", "Fine.", 1.5, 2.0)),
        config=AnalysisConfig(score_rules=DEFAULT_RULES.score),
    ).to_json()["score"]
    assert set(old["weights"]) == set(DEFAULT_RULES.score.weights)
    assert "mi_adherence" in doc["score"]["weights"]
    assert "mi_adherence" not in old["weights"]


# --- MI behaviour ------------------------------------------------------------------------------


def test_confronting_talk_lowers_the_score_and_is_not_empathic() -> None:
    labeller = _WorryReactionLabeller()
    confront = _smoking("I think you're wrong about that. Honestly it really worries me.", labeller)
    neutral = _smoking("OK. And how many a day is that, roughly?", labeller)
    turn = confront["turns"][2]
    assert turn["mi_behaviours"]["inconsistent"] == ["confront"]
    assert 2 not in confront["score"]["breakdown"]["empathic_language"]["turns"]
    assert confront["score"]["breakdown"]["mi_adherence"]["value"] == 0.0
    assert 2 in confront["score"]["breakdown"]["mi_adherence"]["turns"]
    assert confront["metrics"]["mi_behaviour"]["inconsistent_turns"] == [2]
    assert confront["score"]["compassion"] < neutral["score"]["compassion"]


def test_affirming_and_autonomy_raise_the_score() -> None:
    supportive = _smoking(
        "You've already made a real effort to cut down. It's your decision what happens next."
    )
    plain = _smoking("OK. And how many a day is that, roughly?")
    behaviours = supportive["turns"][2]["mi_behaviours"]["consistent"]
    assert behaviours == ["affirm", "emphasise_autonomy"]
    assert supportive["score"]["compassion"] > plain["score"]["compassion"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("If you don't stop now you're going to end up in hospital.", "warn"),
        ("You really need to stop smoking.", "persuade"),
        ("Come on, be honest with me.", "confront"),
        ("What do you think would work for you?", "seek_collaboration"),
        ("Only you can decide that.", "emphasise_autonomy"),
        ("That takes a lot of courage.", "affirm"),
    ],
)
def test_mi_behaviour_codes(text: str, kind: str) -> None:
    assert kind in mi_behaviour(text).behaviours


def test_advice_with_permission_is_not_persuasion() -> None:
    asked = mi_behaviour("Would it be okay if I shared something? You really need to stop smoking.")
    assert "persuade" not in asked.behaviours
    carried = mi_behaviour("You really need to stop smoking.", asked_permission_before=True)
    assert "persuade" not in carried.behaviours


@pytest.mark.parametrize(
    "text",
    [
        "If your symptoms aren't getting better, I want you to come back and see us.",
        "So you're using a lot of fluid there.",
        "To be honest with you, I think it's a virus.",
        "Take paracetamol for the pain and drink plenty of fluids.",
    ],
)
def test_ordinary_clinical_talk_is_not_mi_inconsistent(text: str) -> None:
    assert mi_behaviour(text).inconsistent == ()


# --- AnnoMI split and AUC ----------------------------------------------------------------------


def test_auc_on_a_tiny_known_case() -> None:
    annomi = _annomi()
    assert annomi.auc([0.9, 0.8, 0.3, 0.1], [True, False, True, False]) == pytest.approx(0.75)
    assert annomi.auc([1.0, 1.0], [True, False]) == pytest.approx(0.5)
    assert annomi.auc([2.0, 1.0], [True, False]) == pytest.approx(1.0)
    low, high = annomi.bootstrap_ci([0.9, 0.8, 0.7, 0.3, 0.1], [True, True, False, True, False])
    assert low <= annomi.auc([0.9, 0.8, 0.7, 0.3, 0.1], [True, True, False, True, False]) <= high
    with pytest.raises(ValueError, match="positive and one negative"):
        annomi.auc([1.0], [True])


def test_committed_split_is_by_transcript_and_stratified() -> None:
    document = json.loads((ROOT / "data" / "annomi_split.json").read_text(encoding="utf-8"))
    dev, held = set(document["development"]), set(document["held_out"])
    assert dev and held
    assert not dev & held
    assert len(dev) + len(held) == 83


def test_split_matches_the_data_and_is_reproducible(shared_data: Path) -> None:
    annomi = _annomi()
    transcripts = annomi.load_transcripts(shared_data / "annomi" / "train.csv")
    split = annomi.make_split(transcripts)
    committed = annomi.read_split()
    assert split["development"] == committed["development"]
    assert split["held_out"] == committed["held_out"]
    assert set(split["development"]) | set(split["held_out"]) == set(transcripts)
    for part in ("development", "held_out"):
        lows = [t for t in split[part] if transcripts[t].quality == "low"]
        assert 6 <= len(lows) <= 7
    conv = annomi.to_conversation(transcripts[committed["held_out"][0]])
    assert {t.role.value for t in conv.turns} == {"clinician", "patient"}
