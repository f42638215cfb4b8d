"""Builders for simulator tests: hand-made assessments and small scenarios."""

from __future__ import annotations

import textwrap
from typing import Any

from bedside.simulator import Branch, JargonTerm, ReplyAssessment, parse_scenario

_LEVELS = {"emotional_reactions": 0, "interpretations": 0, "explorations": 0}


def assessment(text: str = "OK.", *signals: str, **fields: Any) -> ReplyAssessment:
    """A reply assessment showing exactly the named signals (as far as they can be combined)."""
    levels = dict(_LEVELS)
    values: dict[str, Any] = {"text": text}
    for signal in signals:
        if signal in ("explored", "acknowledged", "missed"):
            values["cue_response"] = signal
        elif signal == "engaged":
            values.setdefault("cue_response", "acknowledged")
        elif signal == "emotional_reaction":
            levels["emotional_reactions"] = max(levels["emotional_reactions"], 1)
        elif signal == "interpretation":
            levels["interpretations"] = max(levels["interpretations"], 1)
        elif signal == "exploration":
            levels["explorations"] = max(levels["explorations"], 1)
        elif signal == "strong_empathy":
            levels["emotional_reactions"] = 2
        elif signal == "open_question":
            values["question"] = "open"
        elif signal == "closed_question":
            values["question"] = "closed"
        elif signal == "reflection":
            values.setdefault("reflection", "simple")
        elif signal == "complex_reflection":
            values["reflection"] = "complex"
        elif signal == "jargon":
            values["jargon"] = (JargonTerm(term="metastatic", plain="spread"),)
        elif signal == "plain_language":
            values["reading_grade"] = 5.0
        elif signal == "premature_reassurance":
            values["premature_reassurance"] = True
            values["reassurance"] = "don't worry"
        elif signal == "teach_back":
            values["teach_back"] = True
        elif signal == "long_reply":
            values["text"] = text + " and" * 80
        elif signal in ("no_empathy", "no_question"):
            pass
        else:  # pragma: no cover - a typo in a test
            raise AssertionError(f"unknown signal {signal}")
    values["empathy"] = levels
    values.update(fields)
    return ReplyAssessment(**values)


def witness(branch: Branch) -> ReplyAssessment:
    """An assessment meant to take this branch: its signals, and its first `says` phrase."""
    text = branch.says[0] if branch.says else "OK."
    return assessment(text, *branch.when)


MINI = textwrap.dedent(
    """\
    schema: bedside.scenario/1
    id: mini
    version: 1
    title: A tiny scenario
    summary: Two lines and three endings, for tests.
    topic: testing
    persona:
      name: Pat Test
      background: A made-up patient.
    learner_role: You are the doctor.
    context: A test room.
    objectives: [Respond to the cue.]
    sources:
      - citation: A made-up source for a test scenario, 2026.
    initial_state: {trust: 5, distress: 5}
    start: first
    nodes:
      first:
        patient: I am really scared about tomorrow.
        emotion: fear
        cues:
          - text: I am really scared
            kind: emotion
            meaning: the fear of tomorrow
        look_for: [explored, open_question]
        example_reply: That sounds frightening. What scares you most?
        branches:
          - when: [premature_reassurance]
            goto: bad
            change: {trust: -3, distress: 2}
            note: Too early to reassure.
          - when: [explored]
            goto: second
            change: {trust: 2, distress: -1}
            note: You explored the fear.
          - says: [tomorrow]
            goto: second
            note: You named tomorrow.
          - default: true
            goto: second
            change: {distress: 1}
            note: The cue went unanswered.
      second:
        patient: It's the operation. What happens?
        example_reply: You'll be asleep the whole time.
        branches:
          - when: [jargon]
            goto: mixed
            note: Jargon.
          - trust_below: 5
            goto: bad
            note: Trust too low.
          - default: true
            goto: good
            note: Plain and clear.
      good:
        patient: Thank you.
        end: {outcome: good, summary: Went well., debrief: [Keep exploring cues.]}
      mixed:
        patient: OK.
        end: {outcome: mixed, summary: So so., debrief: [Use plain words.]}
      bad:
        patient: Bye.
        end: {outcome: poor, summary: Went badly., debrief: [Ask before reassuring.]}
    """
)


def mini_scenario(text: str = MINI):
    """Parse the tiny scenario (or a variant of its YAML)."""
    return parse_scenario(text, source="mini.yaml")
