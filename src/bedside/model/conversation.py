"""The conversation every reader produces and every analysis consumes.

A consultation is one timeline of turns. Each turn has a speaker with a role; times are seconds
from the start of the recording and may be missing (a typed transcript has none).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, model_validator

__all__ = ["Conversation", "Role", "Speaker", "Turn", "infer_role"]


class Role(StrEnum):
    """Who a speaker is in the consultation."""

    CLINICIAN = "clinician"
    PATIENT = "patient"
    FAMILY = "family"
    OTHER = "other"


class Speaker(BaseModel, frozen=True, extra="forbid"):
    """A named participant and their role."""

    name: str
    role: Role = Role.OTHER


class Turn(BaseModel, frozen=True, extra="forbid"):
    """One stretch of speech by one speaker.

    `tags` records the transcription tags (for example `UNSURE`, `UNIN`) that were removed from
    `text`, so that a reader of the analysis knows the words were uncertain. `line` is the line of
    the source file the turn came from, for error messages and for finding it again.
    """

    speaker: Speaker
    text: str
    start: float | None = None
    end: float | None = None
    tags: tuple[str, ...] = ()
    line: int | None = None

    @model_validator(mode="after")
    def _times_are_ordered(self) -> Turn:
        if self.start is not None and self.start < 0:
            raise ValueError(f"start time {self.start} is negative")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"end time {self.end} is before start time {self.start}")
        return self

    @property
    def role(self) -> Role:
        """The speaker's role."""
        return self.speaker.role

    @property
    def duration(self) -> float | None:
        """Seconds spoken, or None when the turn has no times."""
        if self.start is None or self.end is None:
            return None
        return self.end - self.start

    @property
    def words(self) -> int:
        """Number of words, the fallback measure of talk time."""
        return len(self.text.split())


class Conversation(BaseModel, frozen=True, extra="forbid"):
    """A consultation: its id, where it came from, free metadata, and its turns in time order."""

    id: str
    source: str = "<string>"
    metadata: Mapping[str, Any] = Field(default_factory=dict)
    turns: tuple[Turn, ...] = ()

    @property
    def speakers(self) -> tuple[Speaker, ...]:
        """Each distinct speaker, in order of first appearance."""
        seen: dict[Speaker, None] = {}
        for turn in self.turns:
            seen.setdefault(turn.speaker, None)
        return tuple(seen)

    @property
    def has_times(self) -> bool:
        """True when every turn has a start and an end time."""
        return bool(self.turns) and all(t.start is not None and t.end is not None for t in self.turns)


_CLINICIAN = re.compile(
    r"^(doctor|dr\b|dr\.|gp\b|nurse|clinician|therapist|counsell?or|physician|provider|"
    r"consultant|registrar|midwife|np\b|pa\b|md\b|resident)",
    re.IGNORECASE,
)
_PATIENT = re.compile(r"^(patient|client|pt\b|pt\.)", re.IGNORECASE)
_FAMILY = re.compile(
    r"^(family|mother|father|mum|mom|dad|parent|wife|husband|partner|son|daughter|carer|caregiver|"
    r"relative|sister|brother|spouse)\b",
    re.IGNORECASE,
)


def infer_role(name: str, overrides: Mapping[str, Role] | None = None) -> Role:
    """Guess a speaker's role from their name, unless an override names it.

    Examples: "Dr Lee", "GP", "Nurse Ann" are clinicians; "Patient", "Pt" are patients;
    "Mother" or "Wife" are family; anything else is `other` until `--role NAME=ROLE` says.
    """
    if overrides and name in overrides:
        return overrides[name]
    stripped = name.strip()
    if _CLINICIAN.match(stripped):
        return Role.CLINICIAN
    if _PATIENT.match(stripped):
        return Role.PATIENT
    if _FAMILY.match(stripped):
        return Role.FAMILY
    return Role.OTHER
