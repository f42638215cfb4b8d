"""The compassion score: six components, each 0 to 1, weighted from `score.v1.yaml`, shown openly.

The score is a summary for feedback, not a validated measure: the breakdown always says which
turns drove each component, so a clinician can check the number against the conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bedside.engine._rules import ScoreRules
from bedside.model import CompassionScore, Opportunity

__all__ = ["ScoreInputs", "compassion_score"]


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


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def _cue_responses(inputs: ScoreInputs, rules: ScoreRules) -> dict[str, Any] | None:
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


def _empathic_language(inputs: ScoreInputs, rules: ScoreRules) -> dict[str, Any] | None:
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


def _patient_voice(inputs: ScoreInputs, rules: ScoreRules) -> dict[str, Any] | None:
    if inputs.patient_share is None:
        return None
    return {
        "value": _clamp(inputs.patient_share / rules.patient_share_target),
        "turns": [],
        "why": f"patient and family had {inputs.patient_share:.0%} of the talk; "
        f"{rules.patient_share_target:.0%} or more scores full marks",
    }


def _no_interruptions(inputs: ScoreInputs, rules: ScoreRules) -> dict[str, Any] | None:
    if inputs.interruption_turns is None or not inputs.duration_s:
        return None
    per_10 = len(inputs.interruption_turns) / (inputs.duration_s / 600.0)
    return {
        "value": _clamp(1.0 - per_10 / rules.interruptions_per_10min_zero),
        "turns": list(inputs.interruption_turns),
        "why": f"{len(inputs.interruption_turns)} interruption(s), {per_10:.1f} per ten minutes; "
        f"{rules.interruptions_per_10min_zero:g} per ten minutes scores zero",
    }


def _structure(inputs: ScoreInputs, rules: ScoreRules) -> dict[str, Any] | None:
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


def _clarity(inputs: ScoreInputs, rules: ScoreRules) -> dict[str, Any] | None:
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


_COMPONENTS = {
    "cue_responses": _cue_responses,
    "empathic_language": _empathic_language,
    "patient_voice": _patient_voice,
    "no_interruptions": _no_interruptions,
    "structure": _structure,
    "clarity": _clarity,
}


def compassion_score(inputs: ScoreInputs, rules: ScoreRules) -> CompassionScore:
    """Weighted mean of the components that apply, as points out of 100, with the breakdown.

    `components` maps each component to its points (null when it does not apply); `breakdown`
    adds its 0-1 value, configured and applied weight, the turns behind it and a sentence why.
    """
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
