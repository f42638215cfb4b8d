"""MI rules on hand-made cases, and the shape of the hand-labelled gold set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bedside.nlp._mi import MIRules

GOLD = Path(__file__).resolve().parents[2] / "data" / "gold" / "mi" / "gold.jsonl"


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("How have things been since we last met?", "open"),
        ("Can you tell me a bit more about the pain?", "open"),
        ("Tell me about your sleep.", "open"),
        ("Why do you think that is?", "open"),
        ("How long has it been going on?", "closed"),
        ("Do you have any allergies?", "closed"),
        ("What can I do for you? Is it the same pain as before?", "closed"),
        ("Hello?", None),
        ("I'll prescribe some antibiotics.", None),
    ],
)
def test_question_type(text: str, question: str | None) -> None:
    assert MIRules().code("", text).question == question


@pytest.mark.parametrize(
    ("context", "text", "reflection"),
    [
        ("I work in the fashion industry.", "You mentioned you work in the fashion industry.", "simple"),
        ("My friend's mum died of a brain tumour.", "It sounds like that has left you really worried.", "complex"),
        ("I'm really worried about it.", "So you're worried about it.", "simple"),
        ("It hurts when I pee.", "I'm going to send you some antibiotics.", None),
    ],
)
def test_reflection_type(context: str, text: str, reflection: str | None) -> None:
    assert MIRules().code(context, text).reflection == reflection


def test_gold_set_is_complete_and_well_formed() -> None:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 300
    keys = {"consultation", "turn", "split", "context", "text", "question", "reflection"}
    for row in rows:
        assert set(row) == keys
        assert row["split"] in {"dev", "test"}
        assert row["question"] in {"open", "closed", None}
        assert row["reflection"] in {"simple", "complex", None}
        assert row["text"].strip()
    assert len({(r["consultation"], r["turn"]) for r in rows}) == len(rows)
    dev = {r["consultation"] for r in rows if r["split"] == "dev"}
    test = {r["consultation"] for r in rows if r["split"] == "test"}
    assert dev and test and not dev & test


def test_rules_keep_their_reported_gold_figures() -> None:
    """The held-out figures in the model card must stay true (a regression guard for rule edits)."""
    from bedside.nlp.training.pipeline import evaluate_mi

    figures = evaluate_mi(GOLD)
    assert figures["gold_test_n"] == 217
    assert figures["question_macro_f1"] >= 0.85
    assert figures["reflection_macro_f1"] >= 0.60
