"""MI-consistent and MI-inconsistent clinician behaviour (MITI 4.2), found by phrase rules.

Confronting, warning, persuading without permission and lecturing (the "righting reflex") are
what motivational interviewing counts against a clinician; affirming, seeking collaboration and
emphasising autonomy are what it counts for. They matter for compassion because they decide
whether the patient is argued with or listened to: "I think you're wrong, and it really worries
me" is concern *at* the patient. The phrases are data, in `rules/en/mi_behaviour.v1.yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from bedside.engine._rules import _check, _compile, _expect_schema, _read, _Strict
from bedside.engine._text import match_form

__all__ = [
    "CONSISTENT",
    "DEFAULT_MI_RULES",
    "INCONSISTENT",
    "MIBehaviourRules",
    "TurnBehaviour",
    "load_mi_rules",
    "mi_behaviour",
    "summarise",
]

INCONSISTENT = ("confront", "warn", "persuade", "lecture")
"""MITI's MI non-adherent behaviours (confront, persuade), with warn and lecture shown apart."""
CONSISTENT = ("affirm", "seek_collaboration", "emphasise_autonomy")
"""MITI's MI-adherent behaviours."""


class _Lecture(_Strict, frozen=True):
    min_words: int = Field(ge=10)
    markers: tuple[str, ...] = Field(min_length=1)


class _Inconsistent(_Strict, frozen=True):
    confront: tuple[str, ...] = Field(min_length=1)
    warn: tuple[str, ...] = Field(min_length=1)
    persuade: tuple[str, ...] = Field(min_length=1)
    lecture: _Lecture


class _Consistent(_Strict, frozen=True):
    affirm: tuple[str, ...] = Field(min_length=1)
    seek_collaboration: tuple[str, ...] = Field(min_length=1)
    emphasise_autonomy: tuple[str, ...] = Field(min_length=1)


class _MIFile(_Strict, frozen=True):
    schema_: str = Field(alias="schema")
    inconsistent: _Inconsistent
    permission: tuple[str, ...] = Field(min_length=1)
    consistent: _Consistent


@dataclass(frozen=True)
class MIBehaviourRules:
    """The compiled phrases of `mi_behaviour.v1.yaml`."""

    name: str
    patterns: Mapping[str, tuple[re.Pattern[str], ...]]
    permission: tuple[re.Pattern[str], ...]
    lecture_min_words: int
    lecture_markers: tuple[re.Pattern[str], ...]


def load_mi_rules(
    language: str = "en", version: str = "v1", *, package: str | None = None
) -> MIBehaviourRules:
    """Load and compile `mi_behaviour.<version>.yaml` (unknown keys are errors).

    Raises:
        FormatError: the file is missing, not YAML, has a wrong key or a bad expression.
    """
    package = package or f"bedside.engine.rules.{language}"
    source, document = _read(package, f"mi_behaviour.{version}.yaml")
    found = _check(_MIFile, source, document)
    _expect_schema(found.schema_, f"bedside.mi_behaviour.{version}", source)
    bad, good = found.inconsistent, found.consistent
    return MIBehaviourRules(
        name=f"bedside.mi_behaviour.{version}",
        patterns={
            "confront": _compile(bad.confront, source),
            "warn": _compile(bad.warn, source),
            "persuade": _compile(bad.persuade, source),
            "affirm": _compile(good.affirm, source),
            "seek_collaboration": _compile(good.seek_collaboration, source),
            "emphasise_autonomy": _compile(good.emphasise_autonomy, source),
        },
        permission=_compile(found.permission, source),
        lecture_min_words=bad.lecture.min_words,
        lecture_markers=_compile(bad.lecture.markers, source),
    )


DEFAULT_MI_RULES = load_mi_rules()
"""The shipped English MI behaviour phrases, compiled once."""


@dataclass(frozen=True)
class TurnBehaviour:
    """The MI behaviours of one clinician turn, with the words that showed each."""

    behaviours: tuple[str, ...]
    evidence: Mapping[str, tuple[str, ...]]
    permission: bool

    @property
    def inconsistent(self) -> tuple[str, ...]:
        """The MI-inconsistent behaviours found."""
        return tuple(b for b in self.behaviours if b in INCONSISTENT)

    @property
    def consistent(self) -> tuple[str, ...]:
        """The MI-consistent behaviours found."""
        return tuple(b for b in self.behaviours if b in CONSISTENT)

    @property
    def confronting(self) -> bool:
        """Confronting or warning: such a turn is never empathic language."""
        return "confront" in self.behaviours or "warn" in self.behaviours

    def to_json(self) -> dict[str, Any]:
        """The turn's `mi_behaviours` entry of the report."""
        return {
            "inconsistent": list(self.inconsistent),
            "consistent": list(self.consistent),
            "permission": self.permission,
            "evidence": {k: list(v) for k, v in self.evidence.items()},
        }


def _first(patterns: Sequence[re.Pattern[str]], form: str) -> str | None:
    for pattern in patterns:
        match = pattern.search(form)
        if match:
            return match.group(0)
    return None


def mi_behaviour(
    text: str,
    rules: MIBehaviourRules = DEFAULT_MI_RULES,
    *,
    asked_permission_before: bool = False,
    question: bool = False,
    reflection: bool = False,
) -> TurnBehaviour:
    """The MI behaviours in one clinician turn.

    Args:
        text: the clinician's words.
        rules: the compiled phrases.
        asked_permission_before: the clinician's previous turn asked permission ("Can I share
            some information?"), so advice here is persuasion *with* permission.
        question: the turn asks a question (a lecture asks none).
        reflection: the turn reflects what the patient said (a lecture does not).
    """
    form = match_form(text)
    evidence: dict[str, tuple[str, ...]] = {}
    permission_words = _first(rules.permission, form)
    permitted = asked_permission_before or permission_words is not None
    if permission_words is not None:
        evidence["permission"] = (permission_words,)
    for name, patterns in rules.patterns.items():
        if name == "persuade" and permitted:
            continue
        found = _first(patterns, form)
        if found is not None:
            evidence[name] = (found,)
    if (
        not permitted
        and not question
        and not reflection
        and "?" not in form
        and len(form.split()) >= rules.lecture_min_words
    ):
        marker = _first(rules.lecture_markers, form)
        if marker is not None:
            evidence["lecture"] = (marker,)
    behaviours = tuple(b for b in (*INCONSISTENT, *CONSISTENT) if b in evidence)
    return TurnBehaviour(
        behaviours=behaviours, evidence=evidence, permission=permission_words is not None
    )


def summarise(found: Mapping[int, TurnBehaviour]) -> dict[str, Any]:
    """`metrics.mi_behaviour`: turns per behaviour, and the totals MITI 4.2 reports."""
    turns = {
        name: sorted(i for i, b in found.items() if name in b.behaviours)
        for name in (*INCONSISTENT, *CONSISTENT)
    }
    inconsistent = sorted(i for i, b in found.items() if b.inconsistent)
    consistent = sorted(i for i, b in found.items() if b.consistent)
    return {
        "basis": "rules (MITI 4.2 behaviour codes; bedside.mi_behaviour.v1)",
        "turns": turns,
        "inconsistent_turns": inconsistent,
        "consistent_turns": consistent,
        "inconsistent": len(inconsistent),
        "consistent": len(consistent),
    }
