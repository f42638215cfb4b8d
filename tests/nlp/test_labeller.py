"""Behaviour of the shipped labeller: ranges, offsets, determinism, threads, plain sense."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bedside.model.labels import EMOTIONS, MECHANISMS, TurnLabeller
from bedside.nlp import Labeller

CONTEXT = [
    "I lost my job last week and I can't stop crying. I feel like a failure.",
    "My chest has been hurting since this morning and I'm really scared.",
    "",
]
RESPONSES = [
    "I'm so sorry, that sounds incredibly painful. It makes sense you feel this way after "
    "such a loss. What has been the hardest part for you?",
    "OK. Next question. Do you smoke?",
    "Good morning, how can I help you today?",
]


def test_implements_the_turn_labeller_protocol(labeller: Labeller) -> None:
    protocol: TurnLabeller = labeller
    assert protocol is labeller


def test_empathy_levels_and_rationale_offsets_are_in_range(labeller: Labeller) -> None:
    labels = labeller.empathy(CONTEXT, RESPONSES)
    assert len(labels) == len(RESPONSES)
    for label, text in zip(labels, RESPONSES, strict=True):
        assert set(label.levels) == set(MECHANISMS) == set(label.rationales)
        assert all(level in (0, 1, 2) for level in label.levels.values())
        for mechanism, spans in label.rationales.items():
            if label.levels[mechanism] == 0:
                assert spans == ()
            for start, end in spans:
                assert 0 <= start < end <= len(text)


def test_plainly_empathic_reply_scores_above_dismissive_one(labeller: Labeller) -> None:
    context = ["My mum died last month and I just feel empty all the time."] * 2
    replies = [
        "I'm so sorry for your loss. That must be incredibly hard, and feeling empty is so "
        "understandable. How have you been coping since she passed?",
        "Ok. Anyway, we need to talk about your blood pressure tablets.",
    ]
    empathic, dismissive = labeller.empathy(context, replies)
    assert sum(empathic.levels.values()) > sum(dismissive.levels.values())


def test_emotions_are_calibrated_probabilities_with_a_predicted_set(labeller: Labeller) -> None:
    texts = ["I'm terrified something is badly wrong with me.", "Thanks, that's wonderful news!", ""]
    labels = labeller.emotions(texts)
    assert len(labels) == 3
    for label in labels:
        assert set(label.scores) == set(EMOTIONS)
        assert all(0.0 <= p <= 1.0 for p in label.scores.values())
        assert label.emotions and set(label.emotions) <= set(EMOTIONS)
    assert labels[0].scores["fear"] > labels[1].scores["fear"]
    assert labels[1].scores["joy"] > labels[0].scores["joy"]


def test_outputs_are_deterministic_and_independent_of_batch_mates(labeller: Labeller) -> None:
    once = labeller.empathy(CONTEXT, RESPONSES)
    again = labeller.empathy(CONTEXT, RESPONSES)
    alone = [labeller.empathy([c], [r])[0] for c, r in zip(CONTEXT, RESPONSES, strict=True)]
    assert once == again
    assert once == alone
    batch_scores = [label.scores for label in labeller.emotions(RESPONSES)]
    single_scores = [labeller.emotions([text])[0].scores for text in RESPONSES]
    assert batch_scores == single_scores
    assert labeller.emotions(RESPONSES) == labeller.emotions(RESPONSES)
    assert labeller.mi_codes(CONTEXT, RESPONSES) == labeller.mi_codes(CONTEXT, RESPONSES)


def test_is_safe_to_share_between_threads(labeller: Labeller) -> None:
    expected = labeller.empathy(CONTEXT, RESPONSES)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: labeller.empathy(CONTEXT, RESPONSES), range(8)))
    assert all(result == expected for result in results)


def test_empty_batches_and_mismatched_lengths(labeller: Labeller) -> None:
    assert labeller.empathy([], []) == []
    assert labeller.emotions([]) == []
    assert labeller.mi_codes([], []) == []
    with pytest.raises(ValueError, match="same length"):
        labeller.empathy(["a"], [])


def test_mi_codes_of_clear_cases(labeller: Labeller) -> None:
    codes = labeller.mi_codes(
        ["", "", "I've been feeling really low since the divorce."],
        [
            "What brings you in today?",
            "Do you smoke?",
            "So you've been feeling low since the divorce.",
        ],
    )
    assert [c.question for c in codes] == ["open", "closed", None]
    assert codes[2].reflection == "simple"
