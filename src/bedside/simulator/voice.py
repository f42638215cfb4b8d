"""An optional, freer voice for the simulated person: the prompt and the check of its answer.

A language model may re-say the scripted line in its own words. The branching rules stay in
charge: the model only rephrases the line the branch already chose, must keep every planted cue
word for word (so the learner can still pick it up and the feedback still quotes it), and anything
that fails the check is replaced by the scripted line. This module is pure; the HTTP call lives
in `bedside.services.training`.
"""

from __future__ import annotations

from bedside.simulator.assessment import normalise
from bedside.simulator.schema import Scenario

__all__ = ["MAX_VOICED_CHARS", "accept_voiced", "voice_messages"]

MAX_VOICED_CHARS = 600
"""A voiced line longer than this is rejected (the scripted lines are one to three sentences)."""


def voice_messages(scenario: Scenario, node_id: str, reply: str) -> list[dict[str, str]]:
    """Chat messages asking a model to re-say the line at `node_id` in character.

    Args:
        scenario: the scenario being played.
        node_id: the node the branch led to (its line is what the person says next).
        reply: the learner's last reply, for the model to sound responsive to.
    """
    node = scenario.node(node_id)
    persona = scenario.persona
    cues = "; ".join(f'"{cue.text}"' for cue in node.cues) or "none"
    system = (
        f"You are role-playing {persona.name}"
        + (f", aged {persona.age}" if persona.age is not None else "")
        + f", in a communication-skills training exercise. Background: {persona.background} "
        f"Setting: {scenario.context} "
        "Re-say the scripted line below in your own natural, spoken words, in the first person. "
        f"Keep its meaning and its emotion ({node.emotion}); add no new facts or questions. "
        f"Include these phrases word for word: {cues}. "
        "Use at most 60 words. Answer with the line only, without quotation marks."
    )
    user = f"The clinician said: {reply}\nScripted line: {node.patient}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def accept_voiced(scenario: Scenario, node_id: str, voiced: str | None) -> str:
    """The voiced line if it passes the checks, else the scripted line.

    Checks: not empty, not too long, and every planted cue present word for word.
    """
    node = scenario.node(node_id)
    if not voiced:
        return node.patient
    line = voiced.strip().strip('"“”').strip()
    if not line or len(line) > MAX_VOICED_CHARS:
        return node.patient
    said = normalise(line)
    if any(normalise(cue.text) not in said for cue in node.cues):
        return node.patient
    return line
