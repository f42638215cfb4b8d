"""The analysis of one conversation, shaped as the `bedside.analysis/1` JSON of the contracts.

Every key of the contract is always present (`None` where it does not apply); keys may be added,
never renamed or removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from bedside.model.conversation import Role

__all__ = [
    "SCHEMA",
    "AnalysisReport",
    "CompassionScore",
    "EncounterMetrics",
    "Opportunity",
    "TurnAnalysis",
]

SCHEMA = "bedside.analysis/1"

Response = Literal["explored", "acknowledged", "missed"]


class TurnAnalysis(BaseModel, frozen=True, extra="forbid"):
    """One turn with everything bedside found in it."""

    index: int
    speaker: str
    role: Role
    text: str
    start: float | None = None
    end: float | None = None
    emotions: tuple[str, ...] | None = None
    emotion_scores: Mapping[str, float] | None = None
    cue: bool | None = None
    empathy: Mapping[str, int] | None = None
    rationales: Mapping[str, tuple[tuple[int, int], ...]] | None = None
    empathy_scores: Mapping[str, float] | None = None
    """Per EPITOME mechanism, the model's probability that it is there at all (level 1 or 2);
    None without the models or from a labeller that gives no probabilities."""
    question: Literal["open", "closed"] | None = None
    reflection: Literal["simple", "complex"] | None = None
    mi_behaviour: Literal["reflection", "question", "therapist_input", "other"] | None = None
    """Clinician turns: AnnoMI's main therapist behaviour, from the MI model (None without it)."""
    talk_type: Literal["change", "neutral", "sustain"] | None = None
    """Patient and family turns: MI client talk type, from the MI model (None without it)."""
    tags: tuple[str, ...] = ()
    extra: Mapping[str, Any] = Field(default_factory=dict)


class EncounterMetrics(BaseModel, frozen=True, extra="forbid"):
    """Timing and balance of the conversation; needs no model."""

    talk_time_basis: Literal["seconds", "words"]
    talk_time_share: Mapping[str, float]
    turns: Mapping[str, int]
    interruptions: int | None = None
    first_interruption_s: float | None = None
    extra: Mapping[str, Any] = Field(default_factory=dict)


class Opportunity(BaseModel, frozen=True, extra="forbid"):
    """A patient cue and how the clinician answered it."""

    cue_turn: int
    response_turn: int | None
    response: Response
    suggestion: str | None = None
    extra: Mapping[str, Any] = Field(default_factory=dict)


class CompassionScore(BaseModel, frozen=True, extra="forbid"):
    """A 0–100 score with the components (and their weights) that make it.

    `components` maps each component to the points it adds (None when it does not apply);
    `weights` are the configured weights; `breakdown` explains each component: its 0–1 value,
    the weight applied once components that do not apply are left out, the turns that drove
    it, and a sentence saying why.
    """

    compassion: int | None
    components: Mapping[str, Any] = Field(default_factory=dict)
    weights: Mapping[str, float] = Field(default_factory=dict)
    breakdown: Mapping[str, Any] = Field(default_factory=dict)


class AnalysisReport(BaseModel, frozen=True, extra="forbid"):
    """Everything bedside says about one conversation."""

    id: str
    turns: tuple[TurnAnalysis, ...]
    metrics: EncounterMetrics
    opportunities: tuple[Opportunity, ...] = ()
    score: CompassionScore = CompassionScore(compassion=None)
    source: str = "<string>"
    ruleset: str | None = None
    bedside_version: str | None = None
    extra: Mapping[str, Any] = Field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON document: `extra` mappings are flattened into their parent."""

        def flat(model: BaseModel) -> dict[str, Any]:
            data = model.model_dump(mode="json", exclude={"extra"})
            data.update(getattr(model, "extra", {}) or {})
            return data

        document: dict[str, Any] = {"schema": SCHEMA, "id": self.id}
        document["turns"] = [flat(t) for t in self.turns]
        document["metrics"] = flat(self.metrics)
        document["opportunities"] = [flat(o) for o in self.opportunities]
        document["score"] = self.score.model_dump(mode="json")
        document["source"] = self.source
        document["ruleset"] = self.ruleset
        document["bedside_version"] = self.bedside_version
        document.update(self.extra)
        return document
