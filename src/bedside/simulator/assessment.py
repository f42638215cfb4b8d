"""How a learner's reply was judged, and the yes/no signals that branches are written against.

The simulator never scores text itself: `bedside.services.training` runs the analysis engine (and
the language models when loaded) on the patient's line plus the learner's reply and hands the result
over as a `ReplyAssessment`. Tests build assessments by hand, which keeps the state machine and the
scenarios testable without any model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, get_args

from pydantic import BaseModel, Field

__all__ = [
    "LONG_REPLY_WORDS",
    "PLAIN_LANGUAGE_GRADE",
    "SIGNALS",
    "CueResponse",
    "JargonTerm",
    "ReplyAssessment",
    "Signal",
    "signals_of",
]

CueResponse = Literal["explored", "acknowledged", "missed"]

Signal = Literal[
    "explored",
    "acknowledged",
    "engaged",
    "missed",
    "emotional_reaction",
    "interpretation",
    "exploration",
    "strong_empathy",
    "no_empathy",
    "open_question",
    "closed_question",
    "no_question",
    "reflection",
    "complex_reflection",
    "jargon",
    "plain_language",
    "premature_reassurance",
    "teach_back",
    "long_reply",
]
"""Names a scenario may use in a branch's `when` / `unless` lists.

- `explored` / `acknowledged` / `missed`: how the reply answered the patient's cue (EPITOME-style
  opportunity response); `engaged` is explored or acknowledged.
- `emotional_reaction`, `interpretation`, `exploration`: that EPITOME mechanism at level 1 or 2;
  `strong_empathy` any mechanism at level 2; `no_empathy` all three at level 0.
- `open_question`, `closed_question`, `no_question`: MITI question type of the reply.
- `reflection` (simple or complex) and `complex_reflection`: MITI reflection type.
- `jargon`: at least one medical term with a plainer alternative; `plain_language`: reading grade
  at most `PLAIN_LANGUAGE_GRADE` and no jargon.
- `premature_reassurance`: "don't worry", "it'll be fine" before the worry is understood.
- `teach_back`: the reply asks the person to say back what they understood ("in your own words").
- `long_reply`: more than `LONG_REPLY_WORDS` words (an information dump at an emotional moment).
"""

SIGNALS: tuple[str, ...] = get_args(Signal)

LONG_REPLY_WORDS = 70
"""Above this many words a reply counts as long: in a hard moment, a few words then a pause."""

PLAIN_LANGUAGE_GRADE = 8.0
"""US school grade at or below which a reply counts as plain language (health-literacy guidance
commonly targets grade 6–8)."""


class JargonTerm(BaseModel, frozen=True, extra="forbid"):
    """A medical term found in the reply and a plainer way to say it."""

    term: str
    plain: str | None = None


class ReplyAssessment(BaseModel, frozen=True, extra="forbid"):
    """Everything the simulator needs to know about one learner reply.

    `cue_response` is `None` when the patient's line carried no cue. `empathy` maps the three EPITOME
    mechanisms to 0 (none), 1 (weak) or 2 (strong). `reassurance` quotes the phrase that gave
    premature reassurance, when one did.
    """

    text: str
    cue_response: CueResponse | None = None
    empathy: Mapping[str, int] = Field(
        default_factory=lambda: {"emotional_reactions": 0, "interpretations": 0, "explorations": 0}
    )
    question: Literal["open", "closed"] | None = None
    reflection: Literal["simple", "complex"] | None = None
    jargon: tuple[JargonTerm, ...] = ()
    premature_reassurance: bool = False
    reassurance: str | None = None
    teach_back: bool = False
    reading_grade: float | None = None
    suggestion: str | None = None

    @property
    def words(self) -> int:
        """Number of words in the reply."""
        return len(self.text.split())


def signals_of(assessment: ReplyAssessment) -> frozenset[str]:
    """The set of signals that hold for an assessment (see `Signal` for their meaning)."""
    found: set[str] = set()
    response = assessment.cue_response
    if response is not None:
        found.add(response)
        if response in ("explored", "acknowledged"):
            found.add("engaged")
    levels = assessment.empathy
    for signal, mechanism in (
        ("emotional_reaction", "emotional_reactions"),
        ("interpretation", "interpretations"),
        ("exploration", "explorations"),
    ):
        if levels.get(mechanism, 0) >= 1:
            found.add(signal)
    if any(level >= 2 for level in levels.values()):
        found.add("strong_empathy")
    if all(level == 0 for level in levels.values()):
        found.add("no_empathy")
    if assessment.question == "open":
        found.add("open_question")
    elif assessment.question == "closed":
        found.add("closed_question")
    else:
        found.add("no_question")
    if assessment.reflection is not None:
        found.add("reflection")
        if assessment.reflection == "complex":
            found.add("complex_reflection")
    if assessment.jargon:
        found.add("jargon")
    elif assessment.reading_grade is not None and assessment.reading_grade <= PLAIN_LANGUAGE_GRADE:
        found.add("plain_language")
    if assessment.premature_reassurance:
        found.add("premature_reassurance")
    if assessment.teach_back:
        found.add("teach_back")
    if assessment.words > LONG_REPLY_WORDS:
        found.add("long_reply")
    return frozenset(found)


_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces: what `says` phrases are matched against."""
    text = text.replace("’", "'").replace("‘", "'").lower()
    return _SPACE.sub(" ", text).strip()
