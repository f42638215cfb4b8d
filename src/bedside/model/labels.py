"""What the language models say about a turn, and the protocol a labeller follows.

The engine never loads a model: it is handed a `TurnLabeller` (the ONNX models of `bedside.nlp`,
or a rule-based one in tests) and stays a pure function of the conversation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

from pydantic import BaseModel

__all__ = [
    "EMOTIONS",
    "MECHANISMS",
    "EmotionLabel",
    "EmpathyLabel",
    "MICode",
    "Span",
    "TurnLabeller",
]

EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
"""Ekman's six plus neutral, in the order of the GoEmotions-Ekman `labels.txt`."""

MECHANISMS: tuple[str, ...] = ("emotional_reactions", "interpretations", "explorations")
"""The three EPITOME empathy communication mechanisms."""

Span = tuple[int, int]
"""Character offsets `[start, end)` into a turn's text."""


class EmotionLabel(BaseModel, frozen=True, extra="forbid"):
    """Emotions in a (patient) turn: the predicted set and a calibrated probability per emotion."""

    emotions: tuple[str, ...]
    scores: Mapping[str, float]


class EmpathyLabel(BaseModel, frozen=True, extra="forbid"):
    """EPITOME levels (0 none, 1 weak, 2 strong) per mechanism, with the spans that carry them."""

    levels: Mapping[str, int]
    rationales: Mapping[str, tuple[Span, ...]]
    presence: Mapping[str, float] | None = None
    """Probability that each mechanism is there at all (level 1 or 2), from the same averaged
    model that chose `levels`; None from labellers without probabilities (rules, tests). The
    reports show it beside each empathy chip and hide chips below a dev-chosen threshold."""


class MICode(BaseModel, frozen=True, extra="forbid"):
    """MITI 4.2 behaviour codes of a clinician turn."""

    question: Literal["open", "closed"] | None = None
    reflection: Literal["simple", "complex"] | None = None
    behaviour: Literal["reflection", "question", "therapist_input", "other"] | None = None
    """AnnoMI's main therapist behaviour of the turn (`turns[].mi_behaviour`); None from the rules."""


class TurnLabeller(Protocol):
    """Labels turns in batches. Implementations must be deterministic and do no I/O per call.

    `context` is the preceding patient/family speech a clinician turn responds to ("" if none).
    """

    def emotions(self, texts: Sequence[str]) -> list[EmotionLabel]:
        """Emotion set and scores for each text."""
        ...

    def empathy(self, contexts: Sequence[str], responses: Sequence[str]) -> list[EmpathyLabel]:
        """EPITOME levels and rationales for each response to its context."""
        ...

    def mi_codes(self, contexts: Sequence[str], responses: Sequence[str]) -> list[MICode]:
        """Question type and reflection type for each clinician response."""
        ...
