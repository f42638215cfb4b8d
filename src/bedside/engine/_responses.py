"""How the clinician answered each cue: explored, acknowledged, or missed (VR-CoDES idea).

Following VR-CoDES, a response either *provides space* for the feeling (explores it, or names and
validates it) or *reduces space* (ignores it, changes the topic, reassures before knowing what
the worry is, or gives advice). bedside reads the next clinician turn(s) after a cue, until the
patient speaks again, and keeps the best response among them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bedside.engine._clinician import ClinicianFeatures
from bedside.engine._cues import Cue
from bedside.engine._rules import RuleSet
from bedside.engine._text import content_words, is_backchannel, match_form, shared_words
from bedside.model import EmpathyLabel, MICode, Role, Turn

__all__ = ["CueGroup", "Judgement", "group_cues", "judge_response", "response_window"]

Response = Literal["explored", "acknowledged", "missed"]
_LISTENERS = (Role.PATIENT, Role.FAMILY)
_RANK: Mapping[str, int] = {"missed": 0, "acknowledged": 1, "explored": 2}


@dataclass(frozen=True)
class CueGroup:
    """One empathic opportunity: a cue, or several cue turns before the clinician spoke."""

    turns: tuple[int, ...]
    cue: Cue
    words: frozenset[str]


@dataclass(frozen=True)
class Judgement:
    """The response to one opportunity, the turn that gave it, and why."""

    response: Response
    turn: int | None
    reason: str
    evidence: tuple[str, ...]
    flags: tuple[str, ...]


def _not_heard(text: str, rules: RuleSet) -> bool:
    form = match_form(text)
    return any(pattern.search(form) for pattern in rules.not_heard)


def response_window(
    turns: Sequence[Turn], cue_index: int, rules: RuleSet, max_turns: int
) -> list[int]:
    """Substantive clinician turns after a cue, until the patient speaks again (at most N).

    "Mm-hmm" and "okay" are skipped: they neither answer nor ignore the cue. So is "Sorry, could
    you repeat that?": the clinician did not hear it, and the patient's repeat is the new cue.
    """
    window: list[int] = []
    for index in range(cue_index + 1, len(turns)):
        turn = turns[index]
        if is_backchannel(turn.text, rules.backchannels):
            continue
        if turn.role is Role.CLINICIAN and _not_heard(turn.text, rules):
            continue
        if turn.role is Role.CLINICIAN:
            window.append(index)
            if len(window) >= max_turns:
                break
        elif turn.role in _LISTENERS and window:
            break
    return window


def group_cues(turns: Sequence[Turn], cues: Mapping[int, Cue], rules: RuleSet) -> list[CueGroup]:
    """Join cue turns the clinician did not answer in between into one opportunity.

    A patient's worry is often split over several transcript segments ("I'm scared." [pause]
    "My dad had this."): that is one moment for the clinician, not two; so is a cue repeated
    because the clinician asked "Sorry, could you say that again?". The concern (explicit) wins
    over a hint as the group's cue.
    """
    groups: list[CueGroup] = []
    current: list[int] = []

    def close() -> None:
        if not current:
            return
        members = [cues[i] for i in current]
        lead = next((c for c in members if c.kind == "concern"), members[0])
        with_topic = next((c for c in members if c.bare), None)
        if with_topic is not None and lead.bare is None and with_topic.emotion == lead.emotion:
            lead = with_topic
        words: set[str] = set()
        for index in current:
            cue = cues[index]
            text = turns[index].text
            spans = [text[s:e] for s, e in cue.evidence] or [text]
            for span in spans:
                words |= content_words(span)
            if cue.bare:
                words |= content_words(cue.bare)
        groups.append(CueGroup(turns=tuple(current), cue=lead, words=frozenset(words)))
        current.clear()

    for index, turn in enumerate(turns):
        if index in cues:
            current.append(index)
        elif (
            turn.role is Role.CLINICIAN
            and not is_backchannel(turn.text, rules.backchannels)
            and not _not_heard(turn.text, rules)
        ):
            close()
    close()
    return groups


def _grounded(
    text: str, spans: Sequence[tuple[int, int]], cue_words: frozenset[str], rules: RuleSet
) -> bool:
    """Whether the words a model label points to speak of feelings or of the cue itself."""
    pieces = [text[s:e] for s, e in spans] or [text]
    for piece in pieces:
        if not piece.strip():
            continue
        form = match_form(piece)
        if rules.empathy_grounding.search(form) or shared_words(cue_words, content_words(piece)):
            return True
    return False


def _statements(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences that are not questions: a reflection is said, not asked."""
    spans = []
    start = 0
    for index, char in enumerate(text):
        if char in ".?!" or index == len(text) - 1:
            if char != "?" and text[start : index + 1].strip():
                spans.append((start, index + 1))
            start = index + 1
    return spans or [(0, 0)]


def _questions_at(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The question sentences in which the model's exploration spans end.

    An exploration is a question; a span ending in "That must have been hard." is not one.
    """
    found = []
    for _, end in spans:
        start = max(text.rfind(mark, 0, max(end - 1, 0)) for mark in ".?!") + 1
        stops = [i for i in (text.find(mark, max(end - 1, 0)) for mark in ".?!") if i >= 0]
        stop = min(stops) if stops else len(text) - 1
        if 0 <= stop < len(text) and text[stop] == "?":
            found.append((start, stop + 1))
    return found


def _judge_turn(
    text: str,
    features: ClinicianFeatures,
    cue_words: frozenset[str],
    empathy: EmpathyLabel | None,
    mi: MICode | None,
    rules: RuleSet,
) -> tuple[Response, str, list[str]]:
    overlap_words = shared_words(cue_words, content_words(text))
    overlap = bool(overlap_words)
    evidence = features.evidence
    if features.explore or features.reflect:
        return (
            "explored",
            "explores_or_reflects",
            evidence.get("explore", []) + evidence.get("reflect", []),
        )
    if features.feeling_question:
        return "explored", "question_on_feeling", evidence.get("feeling", [])
    if features.question == "open" and overlap:
        return "explored", "open_question_on_cue", sorted(overlap_words)
    if features.acknowledge or any(n in features.nurse for n in ("respect", "support")):
        found = evidence.get("acknowledge", []) + [
            phrase
            for key, phrases in evidence.items()
            if key.startswith("nurse_")
            for phrase in phrases
        ]
        return "acknowledged", "names_or_validates", found
    reduces_space = features.reassurance or features.advice
    # The models only add what the rules did not see, and only when grounded in feeling words or
    # the cue's own words; rules that found reassurance or advice above are not overruled.
    if empathy is not None and not reduces_space:
        level = empathy.levels.get("explorations", 0)
        asked = _questions_at(text, empathy.rationales.get("explorations", ()))
        # a closed question on the cue's content ("How long have you had the lump?") is history
        # taking, as in the rules above: only feeling words ground a closed one
        about = cue_words if features.question == "open" else frozenset()
        if level >= 1 and asked and _grounded(text, asked, about, rules):
            return "explored", "model_exploration", [f"explorations={level}"]
    if (
        not reduces_space
        and mi is not None
        and mi.reflection is not None
        and _grounded(text, _statements(text), cue_words, rules)
    ):
        return "explored", "model_reflection", [f"reflection={mi.reflection}"]
    if features.reassurance:
        return "missed", "premature_reassurance", evidence.get("reassurance", [])
    if features.advice:
        return "missed", "advice", evidence.get("advice", [])
    if empathy is not None:
        for mechanism in ("emotional_reactions", "interpretations"):
            level = empathy.levels.get(mechanism, 0)
            spans = empathy.rationales.get(mechanism, ())
            if level >= 1 and _grounded(text, spans, frozenset(), rules):
                return "acknowledged", "model_empathy", [f"{mechanism}={level}"]
    return "missed", "topic_change", []


def judge_response(
    group: CueGroup,
    window: Sequence[int],
    turns: Sequence[Turn],
    features: Mapping[int, ClinicianFeatures],
    empathy: Mapping[int, EmpathyLabel],
    mi: Mapping[int, MICode],
    rules: RuleSet,
) -> Judgement:
    """The best response to a cue among the clinician turns of its window."""
    if not window:
        return Judgement("missed", None, "no_response", (), ())
    best: Judgement | None = None
    flags: set[str] = set()
    for index in window:
        found = features[index]
        if found.reassurance:
            flags.add("premature_reassurance")
        if found.advice:
            flags.add("advice")
        response, reason, evidence = _judge_turn(
            turns[index].text, found, group.words, empathy.get(index), mi.get(index), rules
        )
        candidate = Judgement(response, index, reason, tuple(evidence), ())
        if best is None or _RANK[response] > _RANK[best.response]:
            best = candidate
    assert best is not None
    return Judgement(best.response, best.turn, best.reason, best.evidence, tuple(sorted(flags)))
