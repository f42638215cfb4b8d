"""A checker for the `bedside.analysis/1` JSON document of docs/contracts.md, for any test to reuse.

    from engine.analysis_contract import check_analysis   # pytest puts tests/ on sys.path
    problems = check_analysis(report.to_json())           # [] when the document is valid
    assert not problems, problems

It checks what the contract promises: every key present (null where it does not apply), the
types and ranges of every value, and the cross-references (cue and response turns exist, cue
only on patient/family turns, EPITOME rationales are spans inside the turn's text). With
`models=True` it also demands that the model fields are filled where they apply.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

ROLES = {"clinician", "patient", "family", "other"}
EMOTIONS = {"anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"}
MECHANISMS = {"emotional_reactions", "interpretations", "explorations"}
TURN_KEYS = {
    "index", "speaker", "role", "text", "start", "end", "emotions", "emotion_scores", "cue",
    "empathy", "rationales", "question", "reflection",
}  # fmt: skip
METRIC_KEYS = {
    "talk_time_basis",
    "talk_time_share",
    "turns",
    "interruptions",
    "first_interruption_s",
}
OPPORTUNITY_KEYS = {"cue_turn", "response_turn", "response", "suggestion"}
TOP_KEYS = {"schema", "id", "turns", "metrics", "opportunities", "score"}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _missing(where: str, document: Mapping[str, Any], keys: set[str]) -> list[str]:
    return [f"{where}: key {key!r} is missing" for key in sorted(keys - set(document))]


def _check_turn(position: int, turn: Any, models: bool) -> list[str]:
    where = f"turns[{position}]"
    if not isinstance(turn, Mapping):
        return [f"{where}: expected an object"]
    problems = _missing(where, turn, TURN_KEYS)
    if problems:
        return problems
    if turn["index"] != position:
        problems.append(f"{where}.index is {turn['index']!r}, expected {position}")
    if not isinstance(turn["speaker"], str):
        problems.append(f"{where}.speaker must be a string")
    if turn["role"] not in ROLES:
        problems.append(f"{where}.role {turn['role']!r} is not one of {sorted(ROLES)}")
    text = turn["text"]
    if not isinstance(text, str):
        problems.append(f"{where}.text must be a string")
        text = ""
    for key in ("start", "end"):
        if turn[key] is not None and (not _number(turn[key]) or turn[key] < 0):
            problems.append(f"{where}.{key} must be null or a number >= 0")
    if _number(turn["start"]) and _number(turn["end"]) and turn["end"] < turn["start"]:
        problems.append(f"{where}: end is before start")
    listener = turn["role"] in {"patient", "family"}
    clinician = turn["role"] == "clinician"

    emotions, scores = turn["emotions"], turn["emotion_scores"]
    if emotions is not None and (not isinstance(emotions, list) or not set(emotions) <= EMOTIONS):
        problems.append(f"{where}.emotions must be a list drawn from {sorted(EMOTIONS)}")
    if scores is not None:
        if not isinstance(scores, Mapping) or set(scores) != EMOTIONS:
            problems.append(f"{where}.emotion_scores must map exactly {sorted(EMOTIONS)}")
        elif not all(_number(v) and 0.0 <= v <= 1.0 for v in scores.values()):
            problems.append(f"{where}.emotion_scores values must be probabilities in [0, 1]")
    if (emotions is None) != (scores is None):
        problems.append(f"{where}: emotions and emotion_scores must both be null or both be set")

    cue = turn["cue"]
    if listener and not isinstance(cue, bool):
        problems.append(f"{where}.cue must be true or false on a {turn['role']} turn")
    if not listener and cue is not None:
        problems.append(f"{where}.cue must be null on a {turn['role']} turn")

    empathy, rationales = turn["empathy"], turn["rationales"]
    if not clinician:
        for key in ("empathy", "rationales", "question", "reflection"):
            if turn[key] is not None:
                problems.append(f"{where}.{key} must be null on a {turn['role']} turn")
    if empathy is not None:
        if not isinstance(empathy, Mapping) or set(empathy) != MECHANISMS:
            problems.append(f"{where}.empathy must map exactly {sorted(MECHANISMS)}")
        elif not all(v in (0, 1, 2) and not isinstance(v, bool) for v in empathy.values()):
            problems.append(f"{where}.empathy levels must be 0, 1 or 2")
    if rationales is not None:
        if not isinstance(rationales, Mapping) or set(rationales) != MECHANISMS:
            problems.append(f"{where}.rationales must map exactly {sorted(MECHANISMS)}")
        else:
            for name, spans in rationales.items():
                for span in spans:
                    ok = (
                        isinstance(span, list)
                        and len(span) == 2
                        and all(isinstance(x, int) for x in span)
                        and 0 <= span[0] <= span[1] <= len(text)
                    )
                    if not ok:
                        problems.append(
                            f"{where}.rationales.{name}: {span!r} is not a span of text"
                        )
    if (empathy is None) != (rationales is None):
        problems.append(f"{where}: empathy and rationales must both be null or both be set")
    if turn["question"] not in (None, "open", "closed"):
        problems.append(f"{where}.question must be null, 'open' or 'closed'")
    if turn["reflection"] not in (None, "simple", "complex"):
        problems.append(f"{where}.reflection must be null, 'simple' or 'complex'")

    if models:
        if emotions is None and not clinician:
            problems.append(f"{where}: with models, emotions must be filled on patient turns")
        if clinician and (empathy is None or rationales is None):
            problems.append(f"{where}: with models, empathy and rationales must be filled")
    return problems


def _check_metrics(metrics: Any, roles: set[str]) -> list[str]:
    if not isinstance(metrics, Mapping):
        return ["metrics: expected an object"]
    problems = _missing("metrics", metrics, METRIC_KEYS)
    if problems:
        return problems
    if metrics["talk_time_basis"] not in ("seconds", "words"):
        problems.append("metrics.talk_time_basis must be 'seconds' or 'words'")
    share = metrics["talk_time_share"]
    if not isinstance(share, Mapping) or not set(share) <= ROLES:
        problems.append("metrics.talk_time_share must map roles to shares")
    else:
        if not all(_number(v) and 0.0 <= v <= 1.0 for v in share.values()):
            problems.append("metrics.talk_time_share values must be in [0, 1]")
        elif share and sum(share.values()) > 0 and abs(sum(share.values()) - 1.0) > 0.01:
            problems.append(f"metrics.talk_time_share sums to {sum(share.values()):.3f}, not 1")
    turns = metrics["turns"]
    if not isinstance(turns, Mapping) or set(turns) != roles:
        problems.append(f"metrics.turns must count the turns of each role present {sorted(roles)}")
    elif not all(isinstance(v, int) and v >= 0 for v in turns.values()):
        problems.append("metrics.turns values must be counts")
    interruptions = metrics["interruptions"]
    if interruptions is not None and (not isinstance(interruptions, int) or interruptions < 0):
        problems.append("metrics.interruptions must be null or a count")
    first = metrics["first_interruption_s"]
    if first is not None and (not _number(first) or first < 0):
        problems.append("metrics.first_interruption_s must be null or seconds >= 0")
    return problems


def _check_opportunities(opportunities: Any, turns: list[Any]) -> list[str]:
    if not isinstance(opportunities, list):
        return ["opportunities: expected a list"]
    problems: list[str] = []
    for position, item in enumerate(opportunities):
        where = f"opportunities[{position}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: expected an object")
            continue
        missing = _missing(where, item, OPPORTUNITY_KEYS)
        if missing:
            problems.extend(missing)
            continue
        cue_turn, response_turn = item["cue_turn"], item["response_turn"]
        if not isinstance(cue_turn, int) or not 0 <= cue_turn < len(turns):
            problems.append(f"{where}.cue_turn {cue_turn!r} is not a turn index")
        elif turns[cue_turn].get("cue") is not True:
            problems.append(f"{where}.cue_turn {cue_turn} is not marked as a cue")
        if response_turn is not None:
            if not isinstance(response_turn, int) or not 0 <= response_turn < len(turns):
                problems.append(f"{where}.response_turn {response_turn!r} is not a turn index")
            elif turns[response_turn].get("role") != "clinician":
                problems.append(f"{where}.response_turn {response_turn} is not a clinician turn")
            elif isinstance(cue_turn, int) and response_turn <= cue_turn:
                problems.append(f"{where}.response_turn comes before the cue")
        if item["response"] not in ("explored", "acknowledged", "missed"):
            problems.append(f"{where}.response {item['response']!r} is not a known response")
        suggestion = item["suggestion"]
        if suggestion is not None and (not isinstance(suggestion, str) or not suggestion.strip()):
            problems.append(f"{where}.suggestion must be null or text")
        if item["response"] == "missed" and not suggestion:
            problems.append(f"{where}: a missed opportunity needs a suggestion")
    return problems


def _check_score(score: Any) -> list[str]:
    if not isinstance(score, Mapping) or not {"compassion", "components"} <= set(score):
        return ["score: expected an object with 'compassion' and 'components'"]
    problems = []
    value = score["compassion"]
    if value is not None and (
        not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100
    ):
        problems.append("score.compassion must be null or an integer 0-100")
    if not isinstance(score["components"], Mapping):
        problems.append("score.components must be an object")
    return problems


def check_analysis(document: Any, *, models: bool = False) -> list[str]:
    """Every way `document` breaks the `bedside.analysis/1` contract ([] when it keeps it).

    Args:
        document: the parsed JSON (for example `report.to_json()` or `json.loads(line)`).
        models: also require the model fields (emotions; empathy and rationales on clinician
            turns) to be filled, as they must be when a labeller ran.
    """
    if not isinstance(document, Mapping):
        return ["document: expected a JSON object"]
    problems = _missing("document", document, TOP_KEYS)
    if problems:
        return problems
    if document["schema"] != "bedside.analysis/1":
        problems.append(f"schema is {document['schema']!r}, expected 'bedside.analysis/1'")
    if not isinstance(document["id"], str) or not document["id"]:
        problems.append("id must be a non-empty string")
    turns = document["turns"]
    if not isinstance(turns, list):
        return [*problems, "turns: expected a list"]
    for position, turn in enumerate(turns):
        problems.extend(_check_turn(position, turn, models))
    roles = {t["role"] for t in turns if isinstance(t, Mapping) and "role" in t}
    problems.extend(_check_metrics(document["metrics"], roles))
    problems.extend(_check_opportunities(document["opportunities"], turns))
    problems.extend(_check_score(document["score"]))
    return problems


__all__ = ["check_analysis"]
