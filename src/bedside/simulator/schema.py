"""The scenario format `bedside.scenario/1`: frozen pydantic models that reject unknown keys.

A scenario is a small directed graph. Each node is something the simulated person says (with the
cues planted in it and how they feel), and its branches say where the conversation goes depending
on how the learner's reply was assessed. The first branch whose conditions hold is taken; the
branch marked `default: true` (last on the node) catches everything else. End nodes carry an
outcome and the debrief notes. See docs/simulator.md for an annotated example.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from bedside.simulator.assessment import Signal

__all__ = [
    "SCHEMA",
    "STATE_MAX",
    "Branch",
    "Cue",
    "EmotionalState",
    "Ending",
    "Node",
    "Persona",
    "Scenario",
    "Source",
    "StateChange",
]

SCHEMA = "bedside.scenario/1"
STATE_MAX = 10
"""Trust and distress run from 0 to 10."""

_ID = r"^[a-z0-9][a-z0-9_-]*$"

Emotion = Literal["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]


class _Strict(BaseModel, frozen=True, extra="forbid"):
    """Frozen, and unknown keys are an error (a typo in a scenario must not pass silently)."""


class Source(_Strict, frozen=True, extra="forbid"):
    """Where the scenario's approach comes from (a protocol, guideline or paper)."""

    citation: str = Field(min_length=10)
    url: str | None = None


class Persona(_Strict, frozen=True, extra="forbid"):
    """The simulated person the learner talks to."""

    name: str = Field(min_length=1)
    role: Literal["patient", "family", "colleague"] = "patient"
    age: int | None = Field(default=None, ge=0, le=120)
    background: str = Field(min_length=1)


class EmotionalState(_Strict, frozen=True, extra="forbid"):
    """How much the person trusts the learner and how distressed they are (0–10 each)."""

    trust: int = Field(default=5, ge=0, le=STATE_MAX)
    distress: int = Field(default=5, ge=0, le=STATE_MAX)


class Cue(_Strict, frozen=True, extra="forbid"):
    """A cue planted in a line: the words that carry it and what lies behind them.

    `kind` follows the Verona coding definitions: an emotional cue hints at an unpleasant feeling
    ("I haven't been sleeping"), a concern states it ("I'm frightened it's cancer").
    """

    text: str = Field(min_length=1)
    kind: Literal["emotion", "concern", "information"] = "emotion"
    meaning: str = Field(min_length=1)


class StateChange(_Strict, frozen=True, extra="forbid"):
    """How a branch moves the person's trust and distress (clamped to 0–10)."""

    trust: int = Field(default=0, ge=-STATE_MAX, le=STATE_MAX)
    distress: int = Field(default=0, ge=-STATE_MAX, le=STATE_MAX)


class Branch(_Strict, frozen=True, extra="forbid"):
    """One way out of a node.

    A branch is taken when every signal in `when` holds, no signal in `unless` holds, the reply
    contains at least one of the `says` phrases (when given; case-insensitive), and the state guards
    hold. The `default` branch has no conditions and is taken when nothing before it matched.

    `counts_as` lets the author credit a reply that took this branch as having explored or
    acknowledged the cue, for replies a general model may not recognise (a `says` phrase that
    echoes the patient's own words, for example "two cups"). It only ever raises the judgement.
    """

    when: tuple[Signal, ...] = ()
    unless: tuple[Signal, ...] = ()
    says: tuple[str, ...] = ()
    trust_below: int | None = Field(default=None, ge=1, le=STATE_MAX)
    distress_above: int | None = Field(default=None, ge=0, le=STATE_MAX - 1)
    default: bool = False
    counts_as: Literal["explored", "acknowledged"] | None = None
    goto: str = Field(pattern=_ID)
    change: StateChange = StateChange()
    note: str = Field(min_length=1)

    @field_validator("says")
    @classmethod
    def _phrases_not_blank(cls, says: tuple[str, ...]) -> tuple[str, ...]:
        if any(not phrase.strip() for phrase in says):
            raise ValueError("a `says` phrase must not be blank")
        return says

    @property
    def conditional(self) -> bool:
        """True when the branch has any condition (a default branch must have none)."""
        return bool(
            self.when
            or self.unless
            or self.says
            or self.trust_below is not None
            or self.distress_above is not None
        )


class Ending(_Strict, frozen=True, extra="forbid"):
    """How the conversation ended, and what the learner should take away."""

    outcome: Literal["good", "mixed", "poor"]
    summary: str = Field(min_length=1)
    debrief: tuple[str, ...] = Field(min_length=1)


class Node(_Strict, frozen=True, extra="forbid"):
    """Something the person says, the cues in it, and where the conversation can go next.

    `look_for` names the signals a strong reply shows here (used for feedback), and
    `example_reply` is a stronger reply shown to the learner after they answer.
    """

    patient: str = Field(min_length=1)
    emotion: Emotion = "neutral"
    cues: tuple[Cue, ...] = ()
    look_for: tuple[Signal, ...] = ()
    example_reply: str | None = None
    branches: tuple[Branch, ...] = ()
    end: Ending | None = None

    @property
    def is_end(self) -> bool:
        """True for an end node (it carries an `end` block)."""
        return self.end is not None


class Scenario(_Strict, frozen=True, extra="forbid", populate_by_name=True):
    """A whole training scenario as written in one YAML file."""

    schema_: Literal["bedside.scenario/1"] = Field(alias="schema")
    id: str = Field(pattern=_ID)
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    topic: str = Field(min_length=1)
    persona: Persona
    learner_role: str = Field(min_length=1)
    context: str = Field(min_length=1)
    objectives: tuple[str, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = Field(min_length=1)
    initial_state: EmotionalState = EmotionalState()
    start: str = Field(pattern=_ID)
    nodes: dict[str, Node] = Field(min_length=1)

    @field_validator("nodes")
    @classmethod
    def _node_ids(cls, nodes: dict[str, Node]) -> dict[str, Node]:
        import re

        for name in nodes:
            if not re.match(_ID, name):
                raise ValueError(f"node id {name!r} must be lower case letters, digits, '-' or '_'")
        return nodes

    def node(self, node_id: str) -> Node:
        """The node with this id (the checker guarantees every `goto` names one)."""
        return self.nodes[node_id]
