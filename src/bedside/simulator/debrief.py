"""The debrief at the end of an attempt: how it ended, the skills shown, and what to take away."""

from __future__ import annotations

from pydantic import BaseModel

from bedside.errors import ScenarioError
from bedside.simulator.machine import Attempt
from bedside.simulator.schema import EmotionalState, Ending, Scenario, Source

__all__ = ["SKILLS", "Debrief", "SkillTally", "build_debrief", "tally"]

SKILLS: tuple[str, ...] = (
    "emotional_reactions",
    "interpretations",
    "explorations",
    "open_questions",
    "reflections",
    "cues_explored",
    "cues_acknowledged",
    "missed_cues",
    "teach_back",
    "jargon",
    "premature_reassurance",
)
"""The skills counted per attempt, in the order a skills chart shows them."""


class SkillTally(BaseModel, frozen=True, extra="forbid"):
    """How many replies showed each skill (or slip), out of `replies`."""

    replies: int
    counts: dict[str, int]

    def rate(self, skill: str) -> float:
        """Share of replies that showed the skill (0 when there were no replies)."""
        return self.counts.get(skill, 0) / self.replies if self.replies else 0.0


class Debrief(BaseModel, frozen=True, extra="forbid"):
    """Everything shown when a scenario ends."""

    scenario_id: str
    title: str
    ending: Ending
    final_line: str
    state: EmotionalState
    objectives: tuple[str, ...]
    skills: SkillTally
    sources: tuple[Source, ...]


def tally(attempt: Attempt) -> SkillTally:
    """Count the skills shown in an attempt's replies."""
    counts = dict.fromkeys(SKILLS, 0)
    for exchange in attempt.exchanges:
        a = exchange.assessment
        for mechanism in ("emotional_reactions", "interpretations", "explorations"):
            if a.empathy.get(mechanism, 0) >= 1:
                counts[mechanism] += 1
        counts["open_questions"] += a.question == "open"
        counts["reflections"] += a.reflection is not None
        counts["cues_explored"] += a.cue_response == "explored"
        counts["cues_acknowledged"] += a.cue_response == "acknowledged"
        counts["missed_cues"] += a.cue_response == "missed"
        counts["teach_back"] += a.teach_back
        counts["jargon"] += bool(a.jargon)
        counts["premature_reassurance"] += a.premature_reassurance
    return SkillTally(replies=len(attempt.exchanges), counts=counts)


def build_debrief(scenario: Scenario, attempt: Attempt) -> Debrief:
    """The debrief of a finished attempt.

    Raises:
        ScenarioError: if the attempt has not reached an end node.
    """
    node = scenario.node(attempt.node)
    if node.end is None:
        raise ScenarioError("the attempt has not ended yet; keep replying until an ending")
    return Debrief(
        scenario_id=scenario.id,
        title=scenario.title,
        ending=node.end,
        final_line=node.patient,
        state=attempt.state,
        objectives=scenario.objectives,
        skills=tally(attempt),
        sources=scenario.sources,
    )
