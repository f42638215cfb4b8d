"""Suggestions for missed cues, and the compassion score's components and re-weighting."""

from __future__ import annotations

import pytest
from engine_helpers import timed

from bedside.engine import DEFAULT_RULES, analyse
from bedside.engine._cues import detect_cue
from bedside.engine._suggestions import suggest
from bedside.model import Conversation, Speaker, Turn


def _suggestion(text: str, turn_index: int = 0) -> str:
    cue = detect_cue(text, DEFAULT_RULES)
    assert cue is not None
    found = suggest(cue, DEFAULT_RULES, turn_index=turn_index, texts=[text])
    assert found is not None
    return found


def test_fear_with_a_named_worry_echoes_it() -> None:
    text = _suggestion("I'm really worried about my heart.")
    assert "worried about your heart" in text
    assert text.endswith("?")


def test_a_death_gets_condolence_in_the_patients_words() -> None:
    text = _suggestion("My wife passed away in March.")
    assert "your wife passed away in March" in text
    assert "sorry" in text.lower()


def test_worry_question_asks_before_answering() -> None:
    text = _suggestion("Could it be cancer?")
    assert "cancer" in text
    assert "?" in text


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("I've been so down lately.", "feeling down"),
        ("I'm fed up.", "fed up"),
        ("It's so embarrassing.", "embarrass"),
    ],
)
def test_templates_fit_the_emotion(text: str, word: str) -> None:
    assert word in _suggestion(text)


def test_suggestions_are_deterministic_and_vary_with_the_patients_words() -> None:
    """The phrasing follows the cue's words (suggestions.v2), not the turn number."""
    assert _suggestion("I'm scared.", 0) == _suggestion("I'm scared.", 1)
    assert _suggestion("I'm scared of needles.") != _suggestion("I'm scared it's cancer.")


def test_no_cues_leaves_the_cue_component_out_and_reweights() -> None:
    conv = timed(
        ("Doctor", "What brings you in today?", 0.0, 2.0),
        ("Patient", "I need a repeat prescription for my inhaler please.", 2.5, 6.0),
        ("Doctor", "Of course. Is there anything else you wanted to talk about today?", 6.5, 9.0),
        ("Patient", "No, that's all, thank you.", 9.5, 11.0),
    )
    score = analyse(conv).to_json()["score"]
    assert score["components"]["cue_responses"] is None
    assert score["breakdown"]["cue_responses"]["applies"] is False
    applied = [p["applied_weight"] for p in score["breakdown"].values() if p["applies"]]
    assert sum(applied) == pytest.approx(1.0, abs=1e-3)
    assert score["breakdown"]["structure"]["turns"] == [2]  # "anything else"; the invitation
    # ("What brings you in?") is not agenda setting (coding manual C)


def test_typed_transcript_has_no_interruption_component() -> None:
    turns = (
        Turn(speaker=Speaker(name="Dr", role="clinician"), text="How are you?"),
        Turn(speaker=Speaker(name="Pt", role="patient"), text="I'm scared it's serious."),
        Turn(speaker=Speaker(name="Dr", role="clinician"), text="What worries you most?"),
    )
    score = analyse(Conversation(id="typed", turns=turns)).to_json()["score"]
    assert score["components"]["no_interruptions"] is None
    assert score["breakdown"]["cue_responses"]["value"] == 1.0


def test_exploring_cues_scores_higher_than_missing_them() -> None:
    def consultation(reply: str) -> int:
        conv = timed(
            ("Doctor", "What brings you in today?", 0.0, 2.0),
            ("Patient", "I've found a lump and I'm scared it's cancer.", 2.5, 6.0),
            ("Doctor", reply, 6.5, 10.0),
            ("Patient", "It's been there a month.", 10.5, 12.0),
        )
        return analyse(conv).to_json()["score"]["compassion"]

    explored = consultation("That sounds frightening. What makes you think it might be cancer?")
    missed = consultation("Don't worry, it's probably nothing. Do you smoke?")
    assert explored > missed
