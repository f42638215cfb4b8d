"""The engine's rules: versioned YAML files, checked strictly and compiled once.

Rules are data (medspaCy style) so that a clinician can read and amend them without touching
code, and so that every report can name the exact ruleset that produced it. Each file is checked
against a pydantic schema that rejects unknown keys: a misspelt key ("pattens:") is an error, not
a silently ignored rule. Regular expressions are compiled here, once, when the ruleset is loaded.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, Field, ValidationError

from bedside.errors import FormatError

__all__ = [
    "CueCategory",
    "JargonTerm",
    "RiskCategory",
    "RiskRules",
    "RuleSet",
    "ScoreRules",
    "StructureRules",
    "TimingRules",
    "load_ruleset",
]

_FLAGS = re.IGNORECASE
_M = TypeVar("_M", bound=BaseModel)


class _Strict(BaseModel, frozen=True, extra="forbid"):
    """Base of every rule-file schema: frozen, and unknown keys are errors."""


class _Negation(_Strict, frozen=True):
    words: tuple[str, ...]
    window_words: int = Field(ge=1, le=10)


class _CueCategoryFile(_Strict, frozen=True):
    id: str
    kind: Literal["concern", "cue"]
    vrcodes: str
    emotion: str
    negatable: bool
    patterns: tuple[str, ...]


class _CuesFile(_Strict, frozen=True):
    schema_: str = Field(alias="schema")
    negation: _Negation
    categories: tuple[_CueCategoryFile, ...]


class _Nurse(_Strict, frozen=True):
    name: tuple[str, ...]
    understand: tuple[str, ...]
    respect: tuple[str, ...]
    support: tuple[str, ...]
    explore: tuple[str, ...]


class _Questions(_Strict, frozen=True):
    open_starts: tuple[str, ...]
    closed_overrides: tuple[str, ...]


class _ResponsesFile(_Strict, frozen=True):
    schema_: str = Field(alias="schema")
    backchannels: tuple[str, ...]
    explore: tuple[str, ...]
    reflect: tuple[str, ...]
    acknowledge: tuple[str, ...]
    reassurance: tuple[str, ...]
    advice: tuple[str, ...]
    feeling_words: tuple[str, ...]
    empathy_words: tuple[str, ...]
    not_heard: tuple[str, ...]
    nurse: _Nurse
    teach_back: tuple[str, ...]
    summary: tuple[str, ...]
    questions: _Questions


class _JargonTermFile(_Strict, frozen=True):
    term: str
    plain: str
    pattern: str | None = None


class _JargonFile(_Strict, frozen=True):
    schema_: str = Field(alias="schema")
    source: str
    licence: str
    terms: tuple[_JargonTermFile, ...]


class _TemplateSet(_Strict, frozen=True):
    with_topic: tuple[str, ...] = Field(min_length=1)
    without_topic: tuple[str, ...] = Field(min_length=1)


class _SuggestionsFile(_Strict, frozen=True):
    schema_: str = Field(alias="schema")
    by_category: dict[str, _TemplateSet]
    by_emotion: dict[str, _TemplateSet]


class ScoreRules(_Strict, frozen=True):
    """Weights and scales of the compassion score (see `score.v1.yaml`)."""

    schema_: str = Field(alias="schema")
    weights: dict[str, float]
    response_values: dict[Literal["explored", "acknowledged", "missed"], float]
    empathic_turn_target: float = Field(gt=0)
    patient_share_target: float = Field(gt=0)
    interruptions_per_10min_zero: float = Field(gt=0)
    structure_points: dict[Literal["agenda_setting", "summary", "teach_back"], float]
    readability_full_marks_grade: float
    readability_zero_grade: float
    jargon_per_100_words_zero: float = Field(gt=0)


class TimingRules(_Strict, frozen=True):
    """Thresholds of the timing metrics (see `timing.v1.yaml`)."""

    schema_: str = Field(alias="schema")
    simultaneous_start_s: float = Field(ge=0)
    min_pause_s: float = Field(gt=0)
    opening_min_words: int = Field(ge=1)


class _RiskCategoryFile(_Strict, frozen=True):
    id: str
    label: str
    other_label: str
    patterns: tuple[str, ...] = Field(min_length=1)


class _RiskFile(_Strict, frozen=True):
    schema_: str = Field(alias="schema")
    negation: _Negation
    others: str
    first_person: str
    exclusions: tuple[str, ...]
    categories: tuple[_RiskCategoryFile, ...] = Field(min_length=1)


class _TurnCompletionFile(_Strict, frozen=True):
    unfinished_last_words: tuple[str, ...]
    unfinished_last_pairs: tuple[str, ...]
    fillers: tuple[str, ...]
    min_overlap_s: float = Field(ge=0)
    keeps_floor_s: float = Field(ge=0)


class _IceFile(_Strict, frozen=True):
    ideas: tuple[str, ...] = Field(min_length=1)
    concerns: tuple[str, ...] = Field(min_length=1)
    expectations: tuple[str, ...] = Field(min_length=1)


class _StructureFile(_Strict, frozen=True):
    schema_: str = Field(alias="schema")
    invitation: tuple[str, ...] = Field(min_length=1)
    identity_checks: tuple[str, ...]
    identity_answers: tuple[str, ...]
    greetings: tuple[str, ...]
    agenda_setting: tuple[str, ...] = Field(min_length=1)
    agenda_bare: tuple[str, ...]
    agenda_visit: tuple[str, ...]
    agenda_first_look: tuple[str, ...] = Field(min_length=1)
    safety_first_look: tuple[str, ...] = Field(min_length=1)
    history_topics: tuple[str, ...]
    ice: _IceFile
    safety_netting: tuple[str, ...]
    listener_phrases: tuple[str, ...]
    turn_completion: _TurnCompletionFile


class _RulesetFile(_Strict, frozen=True):
    schema_: str = Field(alias="schema")
    name: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class CueCategory:
    """One family of cue phrases, compiled."""

    id: str
    kind: Literal["concern", "cue"]
    vrcodes: str
    emotion: str
    negatable: bool
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class RiskCategory:
    """One kind of risk mention (suicide, self-harm ...), compiled; see `risk.v1.yaml`."""

    id: str
    label: str
    other_label: str
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class RiskRules:
    """The risk lexicon: categories in order of precedence, the idioms blanked out first."""

    categories: tuple[RiskCategory, ...]
    exclusions: tuple[re.Pattern[str], ...]
    negation_words: frozenset[str]
    negation_window: int
    others: re.Pattern[str]
    first_person: re.Pattern[str]


@dataclass(frozen=True)
class StructureRules:
    """Consultation structure, compiled; see `structure.v1.yaml` and `bedside.engine._structure`.

    `listener` matches one whole clause that never takes the floor ("go ahead", "thank you",
    "that must be hard"); `ice` maps each ICE kind to its question patterns.
    """

    invitation: tuple[re.Pattern[str], ...]
    identity_checks: tuple[re.Pattern[str], ...]
    identity_answers: tuple[re.Pattern[str], ...]
    greetings: tuple[re.Pattern[str], ...]
    agenda_setting: tuple[re.Pattern[str], ...]
    agenda_bare: tuple[re.Pattern[str], ...]
    agenda_visit: tuple[re.Pattern[str], ...]
    agenda_first_look: re.Pattern[str]
    safety_first_look: re.Pattern[str]
    history_topics: tuple[re.Pattern[str], ...]
    ice: Mapping[Literal["ideas", "concerns", "expectations"], tuple[re.Pattern[str], ...]]
    safety_netting: tuple[re.Pattern[str], ...]
    listener: re.Pattern[str]
    unfinished_last_words: frozenset[str]
    unfinished_last_pairs: frozenset[tuple[str, str]]
    fillers: frozenset[str]
    min_overlap_s: float
    keeps_floor_s: float


@dataclass(frozen=True)
class JargonTerm:
    """A medical word with its plain alternative, compiled."""

    term: str
    plain: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class RuleSet:
    """Every rule the engine uses, compiled; immutable and picklable (Dask ships it to workers)."""

    name: str
    cue_categories: tuple[CueCategory, ...]
    negation_words: frozenset[str]
    negation_window: int
    backchannels: frozenset[str]
    explore: tuple[re.Pattern[str], ...]
    reflect: tuple[re.Pattern[str], ...]
    acknowledge: tuple[re.Pattern[str], ...]
    reassurance: tuple[re.Pattern[str], ...]
    advice: tuple[re.Pattern[str], ...]
    feeling: re.Pattern[str]
    empathy_grounding: re.Pattern[str]
    not_heard: tuple[re.Pattern[str], ...]
    nurse: Mapping[str, tuple[re.Pattern[str], ...]]
    teach_back: tuple[re.Pattern[str], ...]
    summary: tuple[re.Pattern[str], ...]
    open_starts: tuple[str, ...]
    closed_overrides: tuple[str, ...]
    jargon: tuple[JargonTerm, ...]
    jargon_source: str
    jargon_licence: str
    suggestions_by_emotion: Mapping[str, Mapping[str, tuple[str, ...]]]
    suggestions_by_category: Mapping[str, Mapping[str, tuple[str, ...]]]
    score: ScoreRules
    timing: TimingRules
    risk: RiskRules
    structure: StructureRules


def _read(package: str, name: str) -> tuple[str, Any]:
    source = f"{package.replace('.', '/')}/{name}"
    try:
        text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise FormatError(f"rule file {name} is missing from {package}", source=source) from error
    try:
        return source, yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise FormatError(
            f"not valid YAML: {getattr(error, 'problem', error)}",
            source=source,
            line=(mark.line + 1) if mark is not None else None,
        ) from error


def _check(model: type[_M], source: str, document: Any) -> _M:
    try:
        return model.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "top level"
        raise FormatError(f"{where}: {first['msg']}", source=source) from error


def _compile(patterns: tuple[str, ...], source: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, _FLAGS))
        except re.error as error:
            raise FormatError(
                f"bad regular expression {pattern!r}: {error}", source=source
            ) from error
    return tuple(compiled)


def _expect_schema(found: str, expected: str, source: str) -> None:
    if found != expected:
        raise FormatError(f"schema is {found!r}, expected {expected!r}", source=source)


def _word_alternation(words: tuple[str, ...]) -> str:
    """One pattern: stems of four letters or more match word beginnings, shorter words whole."""
    stems = [re.escape(w.lower()) for w in words if len(w) >= 4]
    whole = [re.escape(w.lower()) for w in words if len(w) < 4]
    parts = []
    if stems:
        parts.append(r"\b(?:" + "|".join(stems) + r")\w*")
    if whole:
        parts.append(r"\b(?:" + "|".join(whole) + r")\b")
    return "|".join(parts) or r"(?!)"


_SLOTS = frozenset({"bare", "topic", "phrase"})


def _check_slots(source: str, *groups: Mapping[str, Mapping[str, tuple[str, ...]]]) -> None:
    """Every template must format with the known slots only; `without_topic` may not use topic."""
    for group in groups:
        for name, sets in group.items():
            for key, templates in sets.items():
                allowed = _SLOTS if key == "with_topic" else frozenset({"phrase"})
                for template in templates:
                    used = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
                    if used - allowed:
                        raise FormatError(
                            f"{name}.{key}: template uses unknown slot(s) {sorted(used - allowed)}; "
                            f"allowed: {sorted(allowed)}",
                            source=source,
                        )


def load_ruleset(
    language: str = "en", version: str = "v1", *, package: str | None = None
) -> RuleSet:
    """Load, check and compile the ruleset shipped for a language.

    Args:
        language: the language folder under `bedside/engine/rules/`.
        version: the version suffix of every file (`cues.v1.yaml` ...).
        package: an importable package holding your own rule files instead of the shipped ones
            (same file names and schemas), for a service that adapts the rules to its setting.

    Raises:
        FormatError: a rule file is missing, not YAML, has an unknown or missing key, or holds a
            bad regular expression; the message names the file and the key.
    """
    package = package or f"bedside.engine.rules.{language}"
    source, document = _read(package, f"ruleset.{version}.yaml")
    manifest = _check(_RulesetFile, source, document)
    _expect_schema(manifest.schema_, "bedside.ruleset.v1", source)

    source, document = _read(package, f"cues.{version}.yaml")
    cues = _check(_CuesFile, source, document)
    _expect_schema(cues.schema_, f"bedside.cues.{version}", source)
    categories = tuple(
        CueCategory(
            id=c.id,
            kind=c.kind,
            vrcodes=c.vrcodes,
            emotion=c.emotion,
            negatable=c.negatable,
            patterns=_compile(c.patterns, source),
        )
        for c in cues.categories
    )

    source, document = _read(package, f"responses.{version}.yaml")
    responses = _check(_ResponsesFile, source, document)
    _expect_schema(responses.schema_, f"bedside.responses.{version}", source)

    jargon_source, document = _read(package, f"jargon.{version}.yaml")
    jargon = _check(_JargonFile, jargon_source, document)
    _expect_schema(jargon.schema_, f"bedside.jargon.{version}", jargon_source)
    terms = tuple(
        JargonTerm(
            term=t.term,
            plain=t.plain,
            pattern=_compile((t.pattern or rf"\b{re.escape(t.term)}\b",), jargon_source)[0],
        )
        for t in jargon.terms
    )

    suggestion_source, document = _read(package, f"suggestions.{version}.yaml")
    suggestions = _check(_SuggestionsFile, suggestion_source, document)
    _expect_schema(suggestions.schema_, f"bedside.suggestions.{version}", suggestion_source)
    by_emotion = {
        emotion: {"with_topic": t.with_topic, "without_topic": t.without_topic}
        for emotion, t in suggestions.by_emotion.items()
    }
    by_category = {
        category: {"with_topic": t.with_topic, "without_topic": t.without_topic}
        for category, t in suggestions.by_category.items()
    }
    missing = {c.emotion for c in categories} - set(by_emotion)
    unknown_categories = set(by_category) - {c.id for c in categories}
    if missing or unknown_categories:
        raise FormatError(
            f"no suggestion templates for cue emotion(s) {sorted(missing)}, or templates for "
            f"unknown cue categories {sorted(unknown_categories)}",
            source=suggestion_source,
        )
    _check_slots(suggestion_source, by_emotion, by_category)

    source, document = _read(package, f"score.{version}.yaml")
    score = _check(ScoreRules, source, document)
    _expect_schema(score.schema_, f"bedside.score.{version}", source)
    unknown = set(score.weights) - _SCORE_COMPONENTS
    if unknown or not score.weights:
        raise FormatError(
            f"weights name unknown components {sorted(unknown)}; known: {sorted(_SCORE_COMPONENTS)}",
            source=source,
        )

    source, document = _read(package, f"timing.{version}.yaml")
    timing = _check(TimingRules, source, document)
    _expect_schema(timing.schema_, f"bedside.timing.{version}", source)

    source, document = _read(package, f"risk.{version}.yaml")
    risk_file = _check(_RiskFile, source, document)
    _expect_schema(risk_file.schema_, f"bedside.risk.{version}", source)
    risk = RiskRules(
        categories=tuple(
            RiskCategory(
                id=c.id,
                label=c.label,
                other_label=c.other_label,
                patterns=_compile(c.patterns, source),
            )
            for c in risk_file.categories
        ),
        exclusions=_compile(risk_file.exclusions, source),
        negation_words=frozenset(w.lower() for w in risk_file.negation.words),
        negation_window=risk_file.negation.window_words,
        others=_compile((risk_file.others,), source)[0],
        first_person=_compile((risk_file.first_person,), source)[0],
    )

    structure = _load_structure(package, version)

    responses_source = f"{package}/responses.{version}.yaml"
    nurse = responses.nurse
    return RuleSet(
        name=manifest.name,
        cue_categories=categories,
        negation_words=frozenset(w.lower() for w in cues.negation.words),
        negation_window=cues.negation.window_words,
        backchannels=frozenset(b.lower() for b in responses.backchannels),
        explore=_compile(responses.explore, responses_source),
        reflect=_compile(responses.reflect, responses_source),
        acknowledge=_compile(responses.acknowledge, responses_source),
        reassurance=_compile(responses.reassurance, responses_source),
        advice=_compile(responses.advice, responses_source),
        feeling=_compile((_word_alternation(responses.feeling_words),), responses_source)[0],
        empathy_grounding=_compile(
            (
                _word_alternation(responses.feeling_words)
                + "|"
                + r"\b(?:"
                + "|".join(re.escape(w.lower()) for w in responses.empathy_words)
                + r")\b",
            ),
            responses_source,
        )[0],
        not_heard=_compile(responses.not_heard, responses_source),
        nurse={
            "name": _compile(nurse.name, responses_source),
            "understand": _compile(nurse.understand, responses_source),
            "respect": _compile(nurse.respect, responses_source),
            "support": _compile(nurse.support, responses_source),
            "explore": _compile(nurse.explore, responses_source),
        },
        teach_back=_compile(responses.teach_back, responses_source),
        summary=_compile(responses.summary, responses_source),
        open_starts=tuple(s.lower() for s in responses.questions.open_starts),
        closed_overrides=tuple(s.lower() for s in responses.questions.closed_overrides),
        jargon=terms,
        jargon_source=jargon.source,
        jargon_licence=jargon.licence,
        suggestions_by_emotion=by_emotion,
        suggestions_by_category=by_category,
        score=score,
        timing=timing,
        risk=risk,
        structure=structure,
    )


def _words(words: tuple[str, ...]) -> str:
    """Whole words or phrases, any of them: `\b(?:red flag|if)\b`."""
    return r"\b(?:" + "|".join(re.escape(w.lower()) for w in words) + r")\b"


def _load_structure(package: str, version: str) -> StructureRules:
    source, document = _read(package, f"structure.{version}.yaml")
    found = _check(_StructureFile, source, document)
    _expect_schema(found.schema_, f"bedside.structure.{version}", source)
    completion = found.turn_completion
    pairs = []
    for pair in completion.unfinished_last_pairs:
        words = pair.lower().split()
        if len(words) != 2:
            raise FormatError(
                f"turn_completion.unfinished_last_pairs: {pair!r} must be two words", source=source
            )
        pairs.append((words[0], words[1]))
    listener = "|".join(f"(?:{p})" for p in found.listener_phrases) or r"(?!)"
    return StructureRules(
        invitation=_compile(found.invitation, source),
        identity_checks=_compile(found.identity_checks, source),
        identity_answers=_compile(found.identity_answers, source),
        greetings=_compile(found.greetings, source),
        agenda_setting=_compile(found.agenda_setting, source),
        agenda_bare=_compile(found.agenda_bare, source),
        agenda_visit=_compile(found.agenda_visit, source),
        agenda_first_look=_compile((_words(found.agenda_first_look),), source)[0],
        safety_first_look=_compile((_words(found.safety_first_look),), source)[0],
        history_topics=_compile(found.history_topics, source),
        ice={
            "ideas": _compile(found.ice.ideas, source),
            "concerns": _compile(found.ice.concerns, source),
            "expectations": _compile(found.ice.expectations, source),
        },
        safety_netting=_compile(found.safety_netting, source),
        listener=_compile((rf"^(?:{listener})$",), source)[0],
        unfinished_last_words=frozenset(w.lower() for w in completion.unfinished_last_words),
        unfinished_last_pairs=frozenset(pairs),
        fillers=frozenset(w.lower() for w in completion.fillers),
        min_overlap_s=completion.min_overlap_s,
        keeps_floor_s=completion.keeps_floor_s,
    )


_SCORE_COMPONENTS = frozenset(
    {
        "cue_responses",
        "empathic_language",
        "patient_voice",
        "no_interruptions",
        "structure",
        "clarity",
    }
)
