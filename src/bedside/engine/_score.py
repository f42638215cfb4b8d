"""The compassion score: components, each 0 to 1, weighted from `score.v2.yaml`, shown openly.

A component that cannot be judged in a consultation is *not assessable* (no cues: nothing shows
how cues are answered) and gets no points and no maximum; the score is the weighted mean of the
assessable components, and null when none is. Finding nothing earns nothing. The v2 weights were
chosen on the development half of AnnoMI (see `score.v2.yaml` and `bench/score_validity.py`);
`score.v1.yaml`, the judgement the project shipped before, is kept as the baseline and still
works when passed in (`AnalysisConfig(score_rules=DEFAULT_RULES.score)`).

The score is a summary for feedback, not a judgement of competence: the breakdown always says
which turns drove each component, so a clinician can check the number against the conversation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from bedside.engine._rules import ScoreRules, _check, _expect_schema, _read, _Strict
from bedside.errors import FormatError
from bedside.model import CompassionScore, Opportunity

__all__ = [
    "DEFAULT_SCORE_RULES",
    "SCORE_COMPONENTS",
    "ScoreInputs",
    "ScoreRulesV2",
    "compassion_score",
    "load_score_rules",
]

SCORE_COMPONENTS = (
    "cue_responses",
    "empathic_language",
    "reflective_listening",
    "mi_adherence",
    "patient_voice",
    "no_interruptions",
    "structure",
    "clarity",
)
"""Every component the v2 score knows, in report order."""


class ScoreRulesV2(_Strict, frozen=True):
    """Weights and scales of the v2 compassion score (see `score.v2.yaml`)."""

    schema_: str = Field(alias="schema")
    weights: dict[str, float]
    weights_chosen: str
    response_values: dict[Literal["explored", "acknowledged", "missed"], float]
    empathic_turn_target: float = Field(gt=0)
    reflection_to_question_full: float = Field(gt=0)
    patient_share_target: float = Field(gt=0)
    interruptions_per_10min_zero: float = Field(gt=0)
    structure_points: dict[Literal["agenda_setting", "summary", "teach_back"], float]
    readability_full_marks_grade: float
    readability_zero_grade: float
    jargon_per_100_words_zero: float = Field(gt=0)


def load_score_rules(
    language: str = "en", version: str = "v2", *, package: str | None = None
) -> ScoreRulesV2:
    """Load and check `score.<version>.yaml` (v2 schema; unknown keys are errors).

    Raises:
        FormatError: the file is missing, not YAML, or names an unknown component.
    """
    package = package or f"bedside.engine.rules.{language}"
    source, document = _read(package, f"score.{version}.yaml")
    rules = _check(ScoreRulesV2, source, document)
    _expect_schema(rules.schema_, f"bedside.score.{version}", source)
    unknown = set(rules.weights) - set(SCORE_COMPONENTS)
    if unknown or not rules.weights or any(w < 0 for w in rules.weights.values()):
        raise FormatError(
            f"weights must be non-negative and name known components; unknown {sorted(unknown)}, "
            f"known: {list(SCORE_COMPONENTS)}",
            source=source,
        )
    return rules


DEFAULT_SCORE_RULES = load_score_rules()
"""The shipped v2 score weights, loaded once."""


@dataclass(frozen=True)
class ScoreInputs:
    """What the score is computed from (all already found by the other parts of the engine)."""

    opportunities: Sequence[Opportunity]
    clinician_turns: Sequence[int]
    empathic_turns: Sequence[int]
    empathy_basis: str
    patient_share: float | None
    interruption_turns: Sequence[int] | None
    duration_s: float | None
    agenda_turns: Sequence[int]
    summary_turns: Sequence[int]
    teach_back_turns: Sequence[int]
    clinician_grade: float | None
    clinician_words: int
    unexplained_jargon_turns: Sequence[int]
    unexplained_jargon: int
    reflection_turns: Sequence[int] = ()
    question_turns: Sequence[int] = ()
    mi_basis: str = "rules"
    mi_consistent: Mapping[int, Sequence[str]] = field(default_factory=dict)
    mi_inconsistent: Mapping[int, Sequence[str]] = field(default_factory=dict)


_AnyRules = ScoreRules | ScoreRulesV2


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def _cue_responses(inputs: ScoreInputs, rules: _AnyRules) -> dict[str, Any] | None:
    if not inputs.opportunities:
        return None
    values = [rules.response_values[o.response] for o in inputs.opportunities]
    counts = {
        k: sum(1 for o in inputs.opportunities if o.response == k) for k in rules.response_values
    }
    missed = [o.cue_turn for o in inputs.opportunities if o.response == "missed"]
    return {
        "value": sum(values) / len(values),
        "turns": sorted(
            {o.cue_turn for o in inputs.opportunities if o.response == "missed"}
            | {
                o.response_turn
                for o in inputs.opportunities
                if o.response != "missed" and o.response_turn is not None
            }
        ),
        "why": f"{len(values)} cue(s): {counts['explored']} explored, "
        f"{counts['acknowledged']} acknowledged, {counts['missed']} missed"
        + (f" (cue turns {missed})" if missed else ""),
    }


def _empathic_language(inputs: ScoreInputs, rules: _AnyRules) -> dict[str, Any] | None:
    if not inputs.clinician_turns:
        return None
    rate = len(inputs.empathic_turns) / len(inputs.clinician_turns)
    return {
        "value": _clamp(rate / rules.empathic_turn_target),
        "turns": list(inputs.empathic_turns),
        "why": f"{len(inputs.empathic_turns)} of {len(inputs.clinician_turns)} clinician turns "
        f"show empathy ({inputs.empathy_basis}); {rules.empathic_turn_target:.0%} or more "
        "scores full marks",
    }


def _patient_voice(inputs: ScoreInputs, rules: _AnyRules) -> dict[str, Any] | None:
    if inputs.patient_share is None:
        return None
    return {
        "value": _clamp(inputs.patient_share / rules.patient_share_target),
        "turns": [],
        "why": f"patient and family had {inputs.patient_share:.0%} of the talk; "
        f"{rules.patient_share_target:.0%} or more scores full marks",
    }


def _no_interruptions(inputs: ScoreInputs, rules: _AnyRules) -> dict[str, Any] | None:
    if inputs.interruption_turns is None or not inputs.duration_s:
        return None
    per_10 = len(inputs.interruption_turns) / (inputs.duration_s / 600.0)
    return {
        "value": _clamp(1.0 - per_10 / rules.interruptions_per_10min_zero),
        "turns": list(inputs.interruption_turns),
        "why": f"{len(inputs.interruption_turns)} interruption(s), {per_10:.1f} per ten minutes; "
        f"{rules.interruptions_per_10min_zero:g} per ten minutes scores zero",
    }


def _structure(inputs: ScoreInputs, rules: _AnyRules) -> dict[str, Any] | None:
    if not inputs.clinician_turns:
        return None
    points = rules.structure_points
    present: dict[Literal["agenda_setting", "summary", "teach_back"], Sequence[int]] = {
        "agenda_setting": inputs.agenda_turns,
        "summary": inputs.summary_turns,
        "teach_back": inputs.teach_back_turns,
    }
    value = sum(points[name] for name, turns in present.items() if turns)
    total = sum(points.values()) or 1.0
    found = [name.replace("_", " ") for name, turns in present.items() if turns]
    absent = [name.replace("_", " ") for name, turns in present.items() if not turns]
    return {
        "value": _clamp(value / total),
        "turns": sorted({t for turns in present.values() for t in turns}),
        "why": (
            "found: " + ", ".join(found) if found else "no agenda setting, summary or teach-back"
        )
        + ("; not found: " + ", ".join(absent) if found and absent else ""),
    }


def _clarity(inputs: ScoreInputs, rules: _AnyRules) -> dict[str, Any] | None:
    if inputs.clinician_grade is None or inputs.clinician_words < 20:
        return None
    span = rules.readability_zero_grade - rules.readability_full_marks_grade
    grade_value = _clamp((rules.readability_zero_grade - inputs.clinician_grade) / span)
    per_100 = 100.0 * inputs.unexplained_jargon / inputs.clinician_words
    jargon_value = _clamp(1.0 - per_100 / rules.jargon_per_100_words_zero)
    return {
        "value": (grade_value + jargon_value) / 2,
        "turns": list(inputs.unexplained_jargon_turns),
        "why": f"clinician speech reads at grade {inputs.clinician_grade:.1f}; "
        f"{inputs.unexplained_jargon} unexplained medical term(s), {per_100:.1f} per 100 words",
    }


def _reflective_listening(inputs: ScoreInputs, rules: _AnyRules) -> dict[str, Any] | None:
    """Reflections per question (MITI's R:Q ratio), the human coders' best separator of MI."""
    if not isinstance(rules, ScoreRulesV2):
        return None
    reflections, questions = len(inputs.reflection_turns), len(inputs.question_turns)
    if not reflections and not questions:
        return None
    ratio = reflections / questions if questions else float(reflections)
    return {
        "value": _clamp(ratio / rules.reflection_to_question_full),
        "turns": sorted(inputs.reflection_turns),
        "why": f"{reflections} reflection(s) to {questions} question(s) ({inputs.mi_basis}); "
        f"{rules.reflection_to_question_full:g} reflection per question or more scores full marks",
    }


def _mi_adherence(inputs: ScoreInputs, rules: _AnyRules) -> dict[str, Any] | None:
    """MITI 4.2's MI-adherent share: affirming, collaborating, autonomy vs confronting, persuading."""
    if not isinstance(rules, ScoreRulesV2):
        return None
    good, bad = inputs.mi_consistent, inputs.mi_inconsistent
    if not good and not bad:
        return None

    def listed(found: Mapping[int, Sequence[str]]) -> str:
        return ", ".join(
            f"turn {turn} {'/'.join(b.replace('_', ' ') for b in names)}"
            for turn, names in sorted(found.items())
        )

    return {
        "value": len(good) / (len(good) + len(bad)),
        "turns": sorted(set(good) | set(bad)),
        "why": f"{len(good)} MI-consistent turn(s)"
        + (f" ({listed(good)})" if good else "")
        + f", {len(bad)} MI-inconsistent turn(s)"
        + (f" ({listed(bad)})" if bad else "")
        + "; MITI 4.2 behaviour codes by phrase rule",
    }


_COMPONENTS: dict[str, Callable[[ScoreInputs, _AnyRules], dict[str, Any] | None]] = {
    "cue_responses": _cue_responses,
    "empathic_language": _empathic_language,
    "reflective_listening": _reflective_listening,
    "mi_adherence": _mi_adherence,
    "patient_voice": _patient_voice,
    "no_interruptions": _no_interruptions,
    "structure": _structure,
    "clarity": _clarity,
}

_NOT_ASSESSABLE = {
    "cue_responses": "not assessable: no cue or concern was found, so there is no response to "
    "judge (no credit for finding none; the other components carry the score)",
    "empathic_language": "not assessable: no clinician turns",
    "reflective_listening": "not assessable: the clinician asked no questions and made no "
    "reflections",
    "mi_adherence": "not assessable: no MI-consistent or MI-inconsistent behaviour was found",
    "patient_voice": "not assessable: no patient or family speech",
    "no_interruptions": "not assessable: the transcript has no times",
    "structure": "not assessable: no clinician turns",
    "clarity": "not assessable: fewer than 20 clinician words",
}


def compassion_score(inputs: ScoreInputs, rules: _AnyRules) -> CompassionScore:
    """Weighted mean of the assessable components, as points out of 100, with the breakdown.

    `components` maps each component to its points (null when it is not assessable);
    `breakdown` adds its 0-1 value, configured weight, the weight applied once components that
    are not assessable are left out, its maximum points, the turns behind it and a sentence why.
    The total is null when no component is assessable. Given the v1 rules, computes the score
    as shipped before (the baseline).
    """
    if isinstance(rules, ScoreRulesV2):
        return _score_v2(inputs, rules)
    return _score_v1(inputs, rules)


def _score_v2(inputs: ScoreInputs, rules: ScoreRulesV2) -> CompassionScore:
    found = {
        name: _COMPONENTS[name](inputs, rules) for name in SCORE_COMPONENTS if name in rules.weights
    }
    applied_total = sum(rules.weights[n] for n, part in found.items() if part is not None)
    components: dict[str, float | None] = {}
    breakdown: dict[str, Any] = {}
    for name, part in found.items():
        weight = rules.weights[name]
        if part is None or applied_total <= 0 or weight <= 0:
            components[name] = None
            breakdown[name] = {
                "applies": False,
                "status": "not assessable" if part is None else "not weighted",
                "weight": weight,
                "applied_weight": 0.0,
                "max_points": None,
                "value": None if part is None else round(part["value"], 3),
                "points": None,
                "turns": [] if part is None else part["turns"],
                "why": _NOT_ASSESSABLE[name]
                if part is None
                else f"{part['why']} (weight 0: shown, not counted)",
            }
            continue
        applied = weight / applied_total
        points = round(100.0 * applied * part["value"], 1)
        components[name] = points
        breakdown[name] = {
            "applies": True,
            "status": "assessed",
            "weight": weight,
            "applied_weight": round(applied, 4),
            "max_points": round(100.0 * applied, 1),
            "value": round(part["value"], 3),
            "points": points,
            "turns": part["turns"],
            "why": part["why"],
        }
    total = (
        round(sum(p for p in components.values() if p is not None)) if applied_total > 0 else None
    )
    return CompassionScore(
        compassion=total,
        components=components,
        weights=dict(rules.weights),
        breakdown=breakdown,
    )


def _score_v1(inputs: ScoreInputs, rules: ScoreRules) -> CompassionScore:
    """The score as shipped before v2 (weights of `score.v1.yaml`), kept as the baseline."""
    found: dict[str, dict[str, Any] | None] = {
        name: _COMPONENTS[name](inputs, rules) for name in rules.weights
    }
    applied_total = sum(rules.weights[n] for n, part in found.items() if part is not None)
    components: dict[str, float | None] = {}
    breakdown: dict[str, Any] = {}
    for name, part in found.items():
        weight = rules.weights[name]
        if part is None or applied_total <= 0:
            components[name] = None
            breakdown[name] = {
                "applies": False,
                "weight": weight,
                "applied_weight": 0.0,
                "value": None,
                "points": None,
                "turns": [],
                "why": "does not apply to this consultation",
            }
            continue
        applied = weight / applied_total
        points = round(100.0 * applied * part["value"], 1)
        components[name] = points
        breakdown[name] = {
            "applies": True,
            "weight": weight,
            "applied_weight": round(applied, 4),
            "value": round(part["value"], 3),
            "points": points,
            "turns": part["turns"],
            "why": part["why"],
        }
    total = (
        round(sum(p for p in components.values() if p is not None)) if applied_total > 0 else None
    )
    return CompassionScore(
        compassion=total,
        components=components,
        weights=dict(rules.weights),
        breakdown=breakdown,
    )
