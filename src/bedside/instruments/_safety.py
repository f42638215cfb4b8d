"""Safety-phrase detection for patients' free-text messages, and the crisis resources to show.

The phrases are data (`data/safety_phrases.v1.yaml`) so clinicians can review them. Matching is
deliberately sensitive: "I would never kill myself" still matches, because a missed message costs
far more than an extra look by a clinician. The service layer combines this screen with the
emotion model; either one marking risk is enough to escalate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel

__all__ = [
    "CrisisResource",
    "CrisisResources",
    "SafetyMatch",
    "SafetyScreen",
    "crisis_resources",
    "screen_message",
]

_DATA = "bedside.instruments.data"
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


class _Phrase(BaseModel, frozen=True, extra="forbid"):
    id: str
    category: str
    pattern: str


class _PhraseFile(BaseModel, frozen=True, extra="forbid"):
    id: str
    version: int
    categories: dict[str, str]
    phrases: tuple[_Phrase, ...]


class CrisisResource(BaseModel, frozen=True, extra="forbid"):
    """One crisis line or service."""

    name: str
    contact: str
    region: str


class CrisisResources(BaseModel, frozen=True, extra="forbid"):
    """What a patient sees at once when a safety flag is raised."""

    id: str
    version: int
    message: str
    resources: tuple[CrisisResource, ...]


@dataclass(frozen=True, slots=True)
class SafetyMatch:
    """One phrase found: its id, category and character offsets in the message."""

    phrase: str
    category: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SafetyScreen:
    """The result of screening one message."""

    matches: tuple[SafetyMatch, ...]
    ruleset: str

    @property
    def risk(self) -> bool:
        """Whether any phrase matched."""
        return bool(self.matches)

    @property
    def categories(self) -> tuple[str, ...]:
        """Matched categories, each once, in order of first appearance."""
        return tuple(dict.fromkeys(match.category for match in self.matches))


@cache
def _compiled() -> tuple[str, tuple[tuple[str, str, re.Pattern[str]], ...]]:
    text = (resources.files(_DATA) / "safety_phrases.v1.yaml").read_text(encoding="utf-8")
    phrases = _PhraseFile.model_validate(yaml.safe_load(text))
    for phrase in phrases.phrases:
        if phrase.category not in phrases.categories:
            raise ValueError(
                f"safety phrase {phrase.id!r} has unknown category {phrase.category!r}"
            )
    compiled = tuple(
        (p.id, p.category, re.compile(rf"\b(?:{p.pattern})\b", re.IGNORECASE))
        for p in phrases.phrases
    )
    return f"bedside.{phrases.id}.v{phrases.version}", compiled


def screen_message(text: str) -> SafetyScreen:
    """Find safety phrases in a patient's message.

    Example:
        >>> screen_message("Some days I just want to die.").categories
        ('self_harm',)
    """
    ruleset, phrases = _compiled()
    normalised = text.translate(_QUOTES)
    matches = [
        SafetyMatch(phrase_id, category, found.start(), found.end())
        for phrase_id, category, pattern in phrases
        for found in pattern.finditer(normalised)
    ]
    matches.sort(key=lambda match: (match.start, match.end))
    return SafetyScreen(matches=tuple(matches), ruleset=ruleset)


@cache
def crisis_resources() -> CrisisResources:
    """The crisis message and lines shown to a patient (`data/crisis_resources.v1.yaml`)."""
    text = (resources.files(_DATA) / "crisis_resources.v1.yaml").read_text(encoding="utf-8")
    return CrisisResources.model_validate(yaml.safe_load(text))
