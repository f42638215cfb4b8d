"""Timing and balance of a consultation, from the turns alone (no language model).

Who talked how much, whether the clinician talked over the patient, how long the patient could
speak at the start before being cut off (Singh Ospina et al., JGIM 2019: a median of 11 seconds),
and the silences. Thresholds come from `timing.v1.yaml`; which overlaps are interruptions and
where the opening statement ends is `bedside.engine._structure` (coding manual C and D).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bedside.engine._clinician import question_type
from bedside.engine._rules import RuleSet
from bedside.engine._structure import (
    classify_overlaps,
    invitation_turn,
    listener_turns,
    opening_statement,
)
from bedside.model import Conversation, EncounterMetrics, Role, Turn

__all__ = ["timing_metrics"]

_LISTENERS = (Role.PATIENT, Role.FAMILY)


@dataclass(frozen=True)
class _Timed:
    index: int
    turn: Turn
    start: float
    end: float


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _talk(
    conv: Conversation, seconds: bool
) -> tuple[dict[str, float], dict[str, int], dict[str, int]]:
    amount: dict[str, float] = {}
    turns: dict[str, int] = {}
    words: dict[str, int] = {}
    for turn in conv.turns:
        role = turn.role.value
        turns[role] = turns.get(role, 0) + 1
        words[role] = words.get(role, 0) + turn.words
        measure = (turn.duration or 0.0) if seconds else float(turn.words)
        amount[role] = amount.get(role, 0.0) + measure
    return amount, turns, words


def _longest_patient_stretch(
    conv: Conversation, listening: frozenset[int]
) -> dict[str, Any] | None:
    """The longest run of patient speech that no substantive clinician turn broke into."""
    best: dict[str, Any] | None = None
    current: dict[str, Any] | None = None

    def close(cut: float | None) -> None:
        nonlocal best, current
        if current is None:
            return
        if cut is not None and current["end"] is not None:
            current["end"] = max(current["start"], min(current["end"], cut))
        seconds = (
            current["end"] - current["start"]
            if current["start"] is not None and current["end"] is not None
            else None
        )
        candidate = {"turn": current["turn"], "seconds": _round(seconds), "words": current["words"]}
        key = (seconds if seconds is not None else -1.0, current["words"])
        if best is None or key > best["_key"]:
            best = {**candidate, "_key": key}
        current = None

    for index, turn in enumerate(conv.turns):
        if turn.role in _LISTENERS:
            if current is None:
                current = {"turn": index, "start": turn.start, "end": turn.end, "words": 0}
            elif turn.end is not None and current["end"] is not None:
                current["end"] = max(current["end"], turn.end)
            current["words"] += turn.words
        elif turn.role is Role.CLINICIAN and index not in listening:
            close(turn.start)
    close(None)
    if best is None:
        return None
    best.pop("_key")
    return best


def _pauses(timed: Sequence[_Timed], min_pause: float) -> dict[str, Any]:
    """Silences where nobody speaks, from the union of all turns on the timeline."""
    gaps: list[float] = []
    covered_until: float | None = None
    for turn in sorted(timed, key=lambda t: t.start):
        if covered_until is not None and turn.start - covered_until >= min_pause:
            gaps.append(turn.start - covered_until)
        covered_until = turn.end if covered_until is None else max(covered_until, turn.end)
    return {
        "count": len(gaps),
        "mean_s": _round(sum(gaps) / len(gaps)) if gaps else None,
        "longest_s": _round(max(gaps)) if gaps else None,
        "total_s": _round(sum(gaps)),
        "min_pause_s": min_pause,
    }


def timing_metrics(conv: Conversation, rules: RuleSet) -> EncounterMetrics:
    """Talk-time shares, turns and words per role, interruptions, the opening, stretches, pauses.

    Talk time is in seconds when every turn has times, else in words (a typed transcript), as
    the contract says; overlapping speech counts for each speaker. Interruptions, the opening
    statement and pauses need times and are null without them.
    """
    seconds = conv.has_times
    amount, turns, words = _talk(conv, seconds)
    total = sum(amount.values())
    share = {role: round(value / total, 4) if total else 0.0 for role, value in amount.items()}
    structure = rules.structure
    listening = listener_turns(conv.turns, structure, rules.backchannels)
    extra: dict[str, Any] = {
        "words": words,
        "talk_time": {role: round(value, 2) for role, value in amount.items()},
        "longest_patient_stretch": _longest_patient_stretch(conv, listening),
    }
    invitation = invitation_turn(
        conv.turns, structure, is_open=lambda text: question_type(text, rules) == "open"
    )
    overlaps = (
        classify_overlaps(
            conv.turns,
            structure,
            rules.backchannels,
            simultaneous_start_s=rules.timing.simultaneous_start_s,
            listening=listening,
        )
        if seconds
        else []
    )
    opening = opening_statement(
        conv.turns,
        invitation,
        overlaps,
        structure,
        rules.backchannels,
        min_words=rules.timing.opening_min_words,
        listening=listening,
    )
    if opening is not None and not seconds:
        opening["interrupted"] = None  # without times nobody can say who talked over whom
    extra["invitation_turn"] = invitation
    extra["opening_statement"] = opening
    interruptions: int | None = None
    first_interruption: float | None = None
    if seconds:
        timed = [
            _Timed(index=i, turn=t, start=float(t.start or 0.0), end=float(t.end or 0.0))
            for i, t in enumerate(conv.turns)
        ]
        found = [o.turn for o in overlaps if o.kind == "interruption"]
        interruptions = len(found)
        first_interruption = opening["first_interruption_s"] if opening else None
        start = min(t.start for t in timed)
        end = max(t.end for t in timed)
        extra.update(
            {
                "duration_s": _round(end - start),
                "interruption_turns": found,
                "overlaps": [o.to_json() for o in overlaps],
                "pauses": _pauses(timed, rules.timing.min_pause_s),
            }
        )
    else:
        extra.update(
            {
                "duration_s": None,
                "interruption_turns": None,
                "overlaps": None,
                "pauses": None,
            }
        )
    return EncounterMetrics(
        talk_time_basis="seconds" if seconds else "words",
        talk_time_share=share,
        turns=turns,
        interruptions=interruptions,
        first_interruption_s=first_interruption,
        extra=extra,
    )
