"""Honest labels: which emotion and empathy chips a report may show, with what confidence.

The models label every turn, but not every label is worth a reader's trust. This module decides,
from data files (`label_thresholds.v1.yaml`, `validity.v1.yaml`), what the three reports show:

- a chip carries the model's probability, and is hidden below its label's threshold (chosen on
  development data, see the YAML for how);
- greetings, admin ("can you hear me?", identity checks, repair talk) and history-taking
  questions are *not assessable* for empathy or emotion: they get no chip at all;
- a patient's plain symptom report gets an emotion chip only when an emotion is named, and a
  named emotion overrides a model label that contradicts it ("it's been really stressful" is
  fear, never joy);
- one line states what the compassion score is and is not (`validity_line`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel

__all__ = [
    "Chip",
    "Honesty",
    "emotion_chips",
    "empathy_chips",
    "load_honesty",
    "mechanism_word",
    "named_emotions",
    "not_assessable",
    "validity_line",
]

_FLAGS = re.IGNORECASE
_SHORT = {"emotional_reactions": "ER", "interpretations": "IN", "explorations": "EX"}
_WORD = {"emotional_reactions": "emotional reaction", "interpretations": "interpretation",
         "explorations": "exploration"}  # fmt: skip


class _Strict(BaseModel, frozen=True, extra="forbid"):
    pass


class _Thresholds(_Strict):
    schema_: str = ""
    target_precision: float
    min_recall: float
    emotions: dict[str, float | None]
    empathy: dict[str, float | None]
    chosen_on: dict[str, str]
    greeting: str
    salutation: str
    admin: list[str]
    question: str
    history: str
    feeling: str
    symptom: str
    named: dict[str, str]
    negation: str


class _Figure(_Strict):
    name: str
    value: float | None
    target: float | None = None
    human: float | None = None
    human_label: str = "second coder"


class _Validity(_Strict):
    schema_: str = ""
    source: str
    validated_against: str
    figures: list[_Figure]
    score: str
    not_a_judgement: str


@dataclass(frozen=True)
class Chip:
    """One label to show: `text` ("fear 0.82", "EX 2 0.91"), the key and its probability."""

    key: str
    text: str
    probability: float | None
    named: bool = False
    level: int | None = None


@dataclass(frozen=True)
class Honesty:
    """The compiled thresholds and rules."""

    emotion_thresholds: Mapping[str, float | None]
    empathy_thresholds: Mapping[str, float | None]
    chosen_on: Mapping[str, str]
    target_precision: float
    greeting: re.Pattern[str]
    salutation: re.Pattern[str]
    admin: tuple[re.Pattern[str], ...]
    question: re.Pattern[str]
    history: re.Pattern[str]
    feeling: re.Pattern[str]
    symptom: re.Pattern[str]
    named: Mapping[str, re.Pattern[str]]
    negation: re.Pattern[str]
    validity: _Validity

    @property
    def hidden_emotions(self) -> tuple[str, ...]:
        """Emotions never shown as a model chip (no threshold reached the precision target)."""
        return tuple(e for e, t in self.emotion_thresholds.items() if t is None)

    @property
    def hidden_mechanisms(self) -> tuple[str, ...]:
        """EPITOME mechanisms never shown as a chip."""
        return tuple(m for m, t in self.empathy_thresholds.items() if t is None)


def _yaml(name: str) -> Any:
    text = resources.files("bedside.report").joinpath(name).read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    if isinstance(document, dict) and "schema" in document:
        document["schema_"] = document.pop("schema")
    return document


@cache
def load_honesty() -> Honesty:
    """Load and compile `label_thresholds.v1.yaml` and `validity.v1.yaml` (unknown keys are errors)."""
    rules = _Thresholds.model_validate(_yaml("label_thresholds.v1.yaml"))
    validity = _Validity.model_validate(_yaml("validity.v1.yaml"))

    def compile_(pattern: str) -> re.Pattern[str]:
        return re.compile(re.sub(r"\s*\n\s*", "", pattern), _FLAGS)

    return Honesty(
        emotion_thresholds=dict(rules.emotions),
        empathy_thresholds=dict(rules.empathy),
        chosen_on=dict(rules.chosen_on),
        target_precision=rules.target_precision,
        greeting=compile_(rules.greeting),
        salutation=compile_(rules.salutation),
        admin=tuple(compile_(p) for p in rules.admin),
        question=compile_(rules.question),
        history=compile_(rules.history),
        feeling=compile_(rules.feeling),
        symptom=compile_(rules.symptom),
        named={e: compile_(p) for e, p in rules.named.items()},
        negation=compile_(rules.negation),
        validity=validity,
    )


def _admin(text: str, rules: Honesty) -> bool:
    return any(p.search(text) for p in rules.admin)


def not_assessable(
    text: str,
    role: str,
    rules: Honesty | None = None,
    *,
    previous: str = "",
    previous_role: str = "clinician",
) -> str | None:
    """Why a turn carries no empathy or emotion chip, or None.

    The reasons: "greeting" (hello, thanks, goodbye), "backchannel" ("Yeah.", "Okay."),
    "admin" (identity checks, "can you hear me", repair talk), "history-taking" (a clinician's
    question about symptoms or facts that names no feeling) and "history answer" (the patient's
    reply to one, unless it names an emotion: "No, I don't smoke" is not anger). `previous` is the
    turn before and `previous_role` its speaker's role.
    """
    rules = rules or load_honesty()
    stripped = text.strip()
    if not stripped or rules.greeting.fullmatch(stripped):
        return "greeting" if rules.salutation.search(stripped) else "backchannel"
    if _admin(stripped, rules):
        return "admin"
    words = len(stripped.split())
    if role != "clinician":
        if previous_role != "clinician" or not previous:
            return None
        if _admin(previous, rules) and words <= 15:
            return "admin"
        if _history_question(previous, rules) and not named_emotions(stripped, rules):
            return "history answer"
        return None
    if _history_question(stripped, rules):
        return "history-taking"
    return None


def _history_question(text: str, rules: Honesty) -> bool:
    return bool(
        rules.question.search(text) and rules.history.search(text) and not rules.feeling.search(text)
    )


def named_emotions(text: str, rules: Honesty | None = None) -> tuple[str, ...]:
    """Emotions the words themselves name, not negated ("I'm not worried" names nothing)."""
    rules = rules or load_honesty()
    found = []
    for emotion, pattern in rules.named.items():
        for match in pattern.finditer(text):
            if not rules.negation.search(text[: match.start()]):
                found.append(emotion)
                break
    return tuple(found)


def _p(value: float) -> str:
    return f"{value:.2f}".lstrip("0") if value < 1 else "1.0"


def emotion_chips(
    text: str,
    role: str,
    scores: Mapping[str, float] | None,
    emotions: Sequence[str] | None = None,
    *,
    previous: str = "",
    previous_role: str = "clinician",
    rules: Honesty | None = None,
) -> tuple[Chip, ...]:
    """The emotion chips of a patient (or family) turn.

    Named emotions come first, marked "said"; a model emotion is shown with its probability when
    it reaches its threshold, the turn is assessable, it is not a plain symptom report, and the
    words do not name a different emotion. Without scores (a labeller without probabilities) the
    model's set is shown only where it agrees with a named emotion.
    """
    rules = rules or load_honesty()
    if role not in {"patient", "family", "other"} or not_assessable(
        text, role, rules, previous=previous, previous_role=previous_role
    ):
        return ()
    named = named_emotions(text, rules)
    chips = [
        Chip(e, f"{e} (said)", (scores or {}).get(e), named=True) for e in named
    ]
    if named or rules.symptom.search(text):
        return tuple(chips)  # a named emotion wins; a plain symptom report gets none
    for emotion, threshold in rules.emotion_thresholds.items():
        if threshold is None or scores is None:
            continue
        p = scores.get(emotion)
        if p is not None and p >= threshold and (emotions is None or emotion in emotions):
            chips.append(Chip(emotion, f"{emotion} {_p(p)}", p))
    return tuple(chips)


def empathy_chips(
    text: str,
    levels: Mapping[str, int] | None,
    scores: Mapping[str, float] | None,
    *,
    rules: Honesty | None = None,
) -> tuple[Chip, ...]:
    """The EPITOME chips of a clinician turn: level and probability, over the threshold only.

    A level without a probability (a labeller that gives none) is not shown: its confidence is
    unknown. Not-assessable turns (greetings, admin, history-taking) get no chip.
    """
    rules = rules or load_honesty()
    if not levels or scores is None or not_assessable(text, "clinician", rules):
        return ()
    chips = []
    for mechanism, level in levels.items():
        threshold = rules.empathy_thresholds.get(mechanism)
        p = scores.get(mechanism)
        if level >= 1 and threshold is not None and p is not None and p >= threshold:
            chips.append(
                Chip(mechanism, f"{_SHORT.get(mechanism, mechanism)} {level} · {_p(p)}", p,
                     level=int(level))
            )
    return tuple(chips)


def mechanism_word(mechanism: str, level: int) -> str:
    """`explorations`, 2 -> `strong exploration`."""
    return f"{'strong' if level >= 2 else 'weak'} {_WORD.get(mechanism, mechanism)}"


def validity_line(rules: Honesty | None = None, *, short: bool = False) -> str:
    """The one line every report shows: what the score is, what it was checked against, how well.

    `short` is the terminal's form: the figures against their targets, without the human ones.
    """
    validity = (rules or load_honesty()).validity
    if short:
        shown = [
            f"{f.name} {f.value:.2f}" + (f" (target {f.target:.2f})" if f.target is not None else "")
            for f in validity.figures
            if f.value is not None
        ]
        unmet = any(
            f.value is not None and f.target is not None and f.value < f.target
            for f in validity.figures
        )
        return (
            "an estimate, not a measure of compassion; on unseen data: " + ", ".join(shown)
            + ("; targets not met" if unmet else "")
        )
    parts = []
    missed = False
    for figure in validity.figures:
        if figure.value is None:
            parts.append(f"{figure.name} not measured yet")
            continue
        entry = f"{figure.name} {figure.value:.2f}"
        notes = []
        if figure.human is not None:
            notes.append(f"{figure.human_label} {figure.human:.2f}")
        if figure.target is not None:
            met = figure.value >= figure.target
            missed = missed or not met
            notes.append(f"target {figure.target:.2f}{'' if met else ': not met'}")
        if notes:
            entry += f" ({', '.join(notes)})"
        parts.append(entry)
    verdict = " Read every label with the transcript." if missed else ""
    return (
        f"{validity.score} Checked on {validity.validated_against}: "
        + "; ".join(parts)
        + f".{verdict} {validity.not_a_judgement}"
    )
