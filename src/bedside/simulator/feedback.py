"""Immediate, specific feedback on one reply: what worked, what to try, and a stronger example.

Feedback quotes the learner's own situation (the cue the person planted, the jargon word used,
the reassuring phrase) rather than giving generic advice, because specific feedback is what changes
behaviour in communication-skills teaching (Silverman, Kurtz & Draper, *Skills for Communicating
with Patients*, 3rd ed., ch. 1).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from bedside.simulator.assessment import LONG_REPLY_WORDS, ReplyAssessment
from bedside.simulator.schema import Branch, Node

__all__ = ["Feedback", "FeedbackPoint", "build_feedback"]


class FeedbackPoint(BaseModel, frozen=True, extra="forbid"):
    """One remark: a strength to keep or something to do differently."""

    kind: Literal["strength", "improve"]
    skill: str
    text: str


class Feedback(BaseModel, frozen=True, extra="forbid"):
    """Everything shown to the learner after a reply."""

    note: str
    points: tuple[FeedbackPoint, ...]
    example_reply: str | None

    @property
    def strengths(self) -> tuple[FeedbackPoint, ...]:
        """The points to keep doing."""
        return tuple(p for p in self.points if p.kind == "strength")

    @property
    def improvements(self) -> tuple[FeedbackPoint, ...]:
        """The points to do differently."""
        return tuple(p for p in self.points if p.kind == "improve")


def _cue_points(node: Node, assessment: ReplyAssessment) -> list[FeedbackPoint]:
    emotional = [c for c in node.cues if c.kind in ("emotion", "concern")]
    if not emotional:
        return []
    cue = emotional[0]
    quoted = f"“{cue.text}”"
    if assessment.cue_response == "explored":
        return [
            FeedbackPoint(
                kind="strength",
                skill="cue",
                text=f"You picked up {quoted} and invited more: that is where {cue.meaning}.",
            )
        ]
    if assessment.cue_response == "acknowledged":
        return [
            FeedbackPoint(
                kind="improve",
                skill="cue",
                text=f"You acknowledged {quoted}. Go one step further and explore it "
                "(“Tell me more about that…”): behind it, " + cue.meaning + ".",
            )
        ]
    return [
        FeedbackPoint(
            kind="improve",
            skill="cue",
            text=f"The cue {quoted} went unanswered. Behind it, {cue.meaning}. "
            "Name what you heard or ask about it before moving on.",
        )
    ]


_EMPATHY_STRENGTHS: tuple[tuple[str, str], ...] = (
    ("emotional_reactions", "You expressed warmth or concern for what they are going through."),
    ("interpretations", "You showed you understood how they feel, in your own words."),
    ("explorations", "You explored their experience instead of assuming it."),
)


def _empathy_points(assessment: ReplyAssessment) -> list[FeedbackPoint]:
    return [
        FeedbackPoint(kind="strength", skill=skill, text=text)
        for skill, text in _EMPATHY_STRENGTHS
        if assessment.empathy.get(skill, 0) >= 1
    ]


def _look_for_points(node: Node, assessment: ReplyAssessment) -> list[FeedbackPoint]:
    wanted = set(node.look_for)
    points = []
    if assessment.question == "open":
        points.append(
            FeedbackPoint(
                kind="strength",
                skill="open_question",
                text="An open question lets them tell it their way.",
            )
        )
    elif "open_question" in wanted and assessment.question == "closed":
        points.append(
            FeedbackPoint(
                kind="improve",
                skill="open_question",
                text="Your question can be answered with a yes or no; an open one "
                "(“What…”, “How…”, “Tell me about…”) would let them say what matters.",
            )
        )
    elif "open_question" in wanted:
        points.append(
            FeedbackPoint(
                kind="improve",
                skill="open_question",
                text="Here an open question would invite them in (“What worries you most?”).",
            )
        )
    if assessment.reflection is not None:
        kind = "a complex reflection" if assessment.reflection == "complex" else "a reflection"
        points.append(
            FeedbackPoint(
                kind="strength",
                skill="reflection",
                text=f"You used {kind}: they hear that you listened.",
            )
        )
    elif "reflection" in wanted or "complex_reflection" in wanted:
        points.append(
            FeedbackPoint(
                kind="improve",
                skill="reflection",
                text="Reflect back what you heard (“It sounds like…”) before adding anything.",
            )
        )
    return points


def _language_points(assessment: ReplyAssessment) -> list[FeedbackPoint]:
    points = []
    if assessment.teach_back:
        points.append(
            FeedbackPoint(
                kind="strength",
                skill="teach_back",
                text="You checked understanding by asking them to say it back (teach-back).",
            )
        )
    for term in assessment.jargon[:3]:
        plain = f"; try “{term.plain}”" if term.plain else "; say it in everyday words"
        points.append(
            FeedbackPoint(
                kind="improve",
                skill="jargon",
                text=f"“{term.term}” is medical jargon{plain}.",
            )
        )
    if assessment.premature_reassurance:
        phrase = f"“{assessment.reassurance}”" if assessment.reassurance else "Your reassurance"
        points.append(
            FeedbackPoint(
                kind="improve",
                skill="premature_reassurance",
                text=f"{phrase} came before you understood the worry; early reassurance tends "
                "to close the conversation down. Ask first, reassure later and honestly.",
            )
        )
    if assessment.words > LONG_REPLY_WORDS:
        points.append(
            FeedbackPoint(
                kind="improve",
                skill="length",
                text=f"Your reply was {assessment.words} words. At an emotional moment say less, "
                "then pause and let them respond.",
            )
        )
    return points


def build_feedback(node: Node, branch: Branch, assessment: ReplyAssessment) -> Feedback:
    """Feedback for a reply at a node, given the branch it took.

    The branch's `note` (written by the scenario author for exactly this situation) comes first;
    then what the assessment shows about cues, empathy, questions, reflections and language; then
    the node's stronger example reply.
    """
    points = [
        *_cue_points(node, assessment),
        *_empathy_points(assessment),
        *_look_for_points(node, assessment),
        *_language_points(assessment),
    ]
    return Feedback(note=branch.note, points=tuple(points), example_reply=node.example_reply)
