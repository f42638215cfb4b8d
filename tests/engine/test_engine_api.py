"""The engine's public API: purity, batching, determinism, speed, and model-field behaviour."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest
from analysis_contract import check_analysis
from engine_helpers import timed
from keyword_labeller import KeywordLabeller

import bedside.engine
from bedside.engine import AnalysisConfig, analyse
from bedside.errors import ConfigError, ModelError
from bedside.model import Conversation, EmotionLabel, Speaker, Turn

MODEL_FIELDS = ("emotions", "emotion_scores", "empathy", "rationales", "question", "reflection")


def long_consultation(turns: int = 150) -> Conversation:
    lines = [
        ("Doctor", "Okay. And how long has the pain been there, and does anything make it worse?"),
        (
            "Patient",
            "About two weeks. I'm worried it might be something serious, my dad had cancer.",
        ),
        ("Doctor", "That sounds frightening. What makes you think it could be serious?"),
        ("Patient", "It wakes me up at night and I can't sleep, so I'm exhausted at work."),
        ("Doctor", "Don't worry, it's probably nothing. Do you take any medication?"),
        ("Patient", "Just paracetamol sometimes. Mm-hmm."),
    ]
    rows = []
    clock = 0.0
    for index in range(turns):
        name, text = lines[index % len(lines)]
        rows.append((name, text, clock, clock + 4.0))
        clock += 4.5
    return timed(*rows)


def test_public_api_is_exported() -> None:
    assert set(bedside.engine.__all__) >= {"analyse", "AnalysisConfig", "readability_grade"}


def test_without_labeller_model_fields_are_null_and_rules_still_work() -> None:
    document = analyse(long_consultation(12)).to_json()
    assert check_analysis(document) == []
    for turn in document["turns"]:
        for field in MODEL_FIELDS:
            assert turn[field] is None
    assert any(t["cue"] for t in document["turns"])
    assert document["opportunities"]
    assert document["metrics"]["mi"]["basis"] == "rules"
    assert document["labeller"] is None


def test_with_labeller_every_contract_field_is_filled() -> None:
    document = analyse(long_consultation(12), labeller=KeywordLabeller()).to_json()
    assert check_analysis(document, models=True) == []
    clinician = [t for t in document["turns"] if t["role"] == "clinician"]
    assert all(t["empathy"] is not None and t["rationales"] is not None for t in clinician)
    assert any(t["question"] for t in clinician)
    assert document["metrics"]["mi"]["basis"] == "model"
    assert document["labeller"] == "model"


def test_emotion_roles_can_be_restricted_for_speed() -> None:
    config = AnalysisConfig(emotion_roles=("patient", "family"))
    document = analyse(long_consultation(12), labeller=KeywordLabeller(), config=config).to_json()
    for turn in document["turns"]:
        assert (turn["emotions"] is None) == (turn["role"] == "clinician")


def test_model_emotion_alone_never_makes_a_cue_but_supports_one() -> None:
    """Issue 12: cues from the emotion model alone were nearly all wrong (repair talk,
    apologies, plain symptoms); the model may support a phrase, never make a cue."""

    class Sad(KeywordLabeller):
        def emotions(self, texts: Sequence[str]) -> list[EmotionLabel]:
            labels = super().emotions(texts)
            return [
                EmotionLabel(emotions=("sadness",), scores={**label.scores, "sadness": 0.8})
                for label in labels
            ]

    conv = timed(
        ("Patient", "Everything feels grey since the summer.", 0.0, 3.0),
        ("Doctor", "Do you have any allergies?", 3.5, 5.0),
        ("Patient", "Sorry, I didn't catch that.", 5.5, 7.0),
        ("Doctor", "Any allergies?", 7.5, 8.0),
        ("Patient", "No. But I've been feeling really low.", 8.5, 10.0),
        ("Doctor", "Do you smoke?", 10.5, 11.0),
    )
    document = analyse(conv, labeller=Sad()).to_json()
    assert [t["cue"] for t in document["turns"] if t["role"] == "patient"] == [False, False, True]
    assert document["turns"][4]["cue_detail"]["source"] == "rules+model"
    assert document["opportunities"][0]["response"] == "missed"


def test_wrong_number_of_labels_is_a_model_error() -> None:
    class Broken(KeywordLabeller):
        def emotions(self, texts: Sequence[str]) -> list[EmotionLabel]:
            return super().emotions(texts)[:-1]

    with pytest.raises(ModelError, match="one label per text"):
        analyse(long_consultation(6), labeller=Broken())


def test_analysis_is_deterministic() -> None:
    conv = long_consultation(30)
    first = analyse(conv, labeller=KeywordLabeller()).to_json()
    second = analyse(conv, labeller=KeywordLabeller()).to_json()
    assert first == second


def test_analysis_does_not_change_the_conversation() -> None:
    conv = long_consultation(12)
    before = conv.model_dump()
    analyse(conv, labeller=KeywordLabeller())
    assert conv.model_dump() == before


def test_a_150_turn_consultation_takes_well_under_a_second() -> None:
    conv = long_consultation(150)
    labeller = KeywordLabeller()
    analyse(conv, labeller=labeller)  # warm caches of the regex engine
    best = min(_timed_run(conv, labeller) for _ in range(3))
    assert best < 0.5, f"{best:.3f} s"


def _timed_run(conv: Conversation, labeller: KeywordLabeller) -> float:
    start = time.perf_counter()
    analyse(conv, labeller=labeller)
    return time.perf_counter() - start


def test_turn_without_times_among_timed_ones_switches_to_words() -> None:
    turns = (
        Turn(
            speaker=Speaker(name="Doctor", role="clinician"),
            text="Hello there.",
            start=0.0,
            end=1.0,
        ),
        Turn(speaker=Speaker(name="Patient", role="patient"), text="Hi, I'm scared it's cancer."),
    )
    document = analyse(Conversation(id="mixed", turns=turns)).to_json()
    assert check_analysis(document) == []
    assert document["metrics"]["talk_time_basis"] == "words"


def test_other_role_turns_have_null_cue() -> None:
    turns = (
        Turn(speaker=Speaker(name="Interpreter", role="other"), text="She says she is scared."),
        Turn(speaker=Speaker(name="Patient", role="patient"), text="I am scared."),
    )
    document = analyse(Conversation(id="other", turns=turns)).to_json()
    assert [t["cue"] for t in document["turns"]] == [None, True]


def test_score_breakdown_is_transparent() -> None:
    score = analyse(long_consultation(30)).to_json()["score"]
    assert 0 <= score["compassion"] <= 100
    breakdown = score["breakdown"]
    assert set(breakdown) == set(score["weights"]) == set(score["components"])
    applied = [part for part in breakdown.values() if part["applies"]]
    assert sum(part["applied_weight"] for part in applied) == pytest.approx(1.0, abs=1e-3)
    assert sum(part["points"] for part in applied) == pytest.approx(score["compassion"], abs=1)
    for name, part in breakdown.items():
        assert part["why"]
        assert score["components"][name] == part["points"]
    assert breakdown["cue_responses"]["turns"]


def test_mi_ratios_from_model_codes() -> None:
    conv = timed(
        ("Doctor", "What brings you in?", 0.0, 1.0),
        ("Patient", "My knee hurts.", 1.0, 2.0),
        ("Doctor", "Sounds like you have had a rough time. How did it start?", 2.0, 4.0),
        ("Patient", "Playing football.", 4.0, 5.0),
        ("Doctor", "Did you hear a pop?", 5.0, 6.0),
    )
    mi = analyse(conv, labeller=KeywordLabeller()).to_json()["metrics"]["mi"]
    assert mi["questions"] == 3
    assert mi["open_questions"] == 2
    assert mi["percent_open_questions"] == pytest.approx(66.7)
    assert mi["reflections"] == 1
    assert mi["reflection_to_question"] == pytest.approx(0.333)
    assert mi["percent_complex_reflections"] == 100.0


def test_time_grows_linearly_with_turn_length() -> None:
    """A transcript with one enormous unpunctuated turn must not make the engine crawl."""

    def seconds(words: int) -> float:
        text = " ".join(["and the pain is worse when i walk up the hill"] * (words // 10))
        conv = timed(("Doctor", text, 0.0, 1.0), ("Patient", text + "?", 1.0, 2.0))
        return min(_timed_run(conv, KeywordLabeller()) for _ in range(2))

    small, large = seconds(1000), seconds(8000)
    assert large / small < 20  # linear is about 8; the old quadratic question finder gave ~60


@pytest.mark.parametrize(
    "settings",
    [{"cue_emotion_threshold": 1.5}, {"response_window": 0}, {"emotion_roles": ("doctor",)}],
)
def test_bad_settings_are_refused(settings: dict) -> None:
    with pytest.raises(ConfigError):
        AnalysisConfig(**settings)


class _AngryAtEverything(KeywordLabeller):
    """Like the GoEmotions Ekman model, which files disapproval ("No, I don't") under anger."""

    def emotions(self, texts: Sequence[str]) -> list[EmotionLabel]:
        labels = super().emotions(texts)
        return [
            EmotionLabel(emotions=("anger",), scores={**label.scores, "anger": 0.8})
            for label in labels
        ]


def test_model_anger_alone_is_not_a_cue_even_when_configured() -> None:
    """Issue 12: the model may support a phrase (here with anger configured), never make a cue."""
    conv = timed(
        ("Doctor", "Do you smoke?", 0.0, 1.0),
        ("Patient", "Uh, no, I don't smoke.", 1.0, 2.0),
        ("Doctor", "And your work?", 2.0, 3.0),
        ("Patient", "I'm so fed up with my boss.", 3.0, 5.0),
    )
    assert analyse(conv, labeller=_AngryAtEverything()).to_json()["turns"][1]["cue"] is False
    config = AnalysisConfig(model_cue_emotions=("anger",))
    document = analyse(conv, labeller=_AngryAtEverything(), config=config).to_json()
    assert document["turns"][1]["cue"] is False
    assert document["turns"][3]["cue_detail"]["source"] == "rules+model"


def test_a_patient_question_is_not_a_cue_from_the_model_alone() -> None:
    class Sorry(KeywordLabeller):
        def emotions(self, texts: Sequence[str]) -> list[EmotionLabel]:
            return [
                EmotionLabel(emotions=("sadness",), scores={**label.scores, "sadness": 0.9})
                for label in super().emotions(texts)
            ]

    conv = timed(
        ("Patient", "Sorry, what was that?", 0.0, 1.0), ("Doctor", "Do you smoke?", 1.0, 2.0)
    )
    assert analyse(conv, labeller=Sorry()).to_json()["turns"][0]["cue"] is False
