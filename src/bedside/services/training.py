"""Training use cases: judge a learner's reply with the analysis engine and drive the simulator.

The simulator is a pure state machine that needs a `ReplyAssessment`; this module makes one from
real text. It builds a two-turn `Conversation` (the simulated person's line, then the learner's
reply), runs `bedside.engine.analyse` on it (with the language models when a labeller is given,
rules only otherwise) and maps the report onto the assessment.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bedside.engine import analyse
from bedside.errors import ModelError
from bedside.model import AnalysisReport, Conversation, Role, Speaker, Turn, TurnLabeller
from bedside.simulator import (
    Attempt,
    Debrief,
    JargonTerm,
    ReplyAssessment,
    Scenario,
    Step,
    build_debrief,
    respond,
    shipped_scenario,
    start,
)

__all__ = [
    "PracticeSession",
    "ReplyAssessor",
    "assessment_from_report",
    "begin_practice",
    "load_assessor",
]

_MECHANISMS = ("emotional_reactions", "interpretations", "explorations")
_LEARNER = Speaker(name="Clinician", role=Role.CLINICIAN)


def _speaker_for(scenario: Scenario) -> Speaker:
    """The simulated person as a speaker the engine listens to for cues.

    A colleague is analysed as a patient: the engine looks for cues in patient and family turns,
    and a struggling colleague's cues deserve the same attention.
    """
    role = Role.FAMILY if scenario.persona.role == "family" else Role.PATIENT
    return Speaker(name=scenario.persona.name, role=role)


def _rules_empathy(extra: Mapping[str, Any], response: str | None) -> dict[str, int]:
    """EPITOME-like levels from the engine's rules when no model is loaded.

    NURSE statements map onto the mechanisms they express: Name, Respect and Support are emotional
    reactions, Understand is an interpretation, Explore an exploration. Rules give at most level 1
    (weak): only the empathy model distinguishes strong from weak.
    """
    nurse = set(extra.get("nurse") or ())
    return {
        "emotional_reactions": int(bool(nurse & {"name", "respect", "support"}) or response == "acknowledged"),
        "interpretations": int("understand" in nurse),
        "explorations": int("explore" in nurse or response == "explored"),
    }


def _derived_response(empathy: Mapping[str, int]) -> Literal["explored", "acknowledged", "missed"]:
    if empathy.get("explorations", 0) >= 1:
        return "explored"
    if empathy.get("emotional_reactions", 0) >= 1 or empathy.get("interpretations", 0) >= 1:
        return "acknowledged"
    return "missed"


def assessment_from_report(
    report: AnalysisReport, *, planted_cue: bool, reply_index: int = 1
) -> ReplyAssessment:
    """Turn the engine's report on (line, reply) into the simulator's `ReplyAssessment`.

    Args:
        report: the analysis of the two-turn conversation.
        planted_cue: the scenario planted an emotional cue in the line. When the engine's cue
            rules did not fire on it, the response is judged from the empathy levels instead, so
            that a scenario's cue is never silently ignored.
        reply_index: index of the learner's turn in the report.
    """
    turn = report.turns[reply_index]
    extra = turn.extra
    response = extra.get("response_to_cue")
    modelled = turn.empathy is not None
    empathy = (
        {m: int(turn.empathy.get(m, 0)) for m in _MECHANISMS}
        if turn.empathy is not None
        else _rules_empathy(extra, response)
    )
    if response is None and planted_cue:
        response = _derived_response(empathy)
    question = turn.question if modelled else extra.get("question_rule")
    reflection = turn.reflection
    if reflection is None and not modelled:
        mi = report.metrics.extra.get("mi") or {}
        reflection = "simple" if mi.get("reflections") else None
    jargon = tuple(
        JargonTerm(term=str(j.get("text") or j.get("term")), plain=j.get("plain"))
        for j in (extra.get("jargon") or ())
        if not j.get("explained")
    )
    reassurance: str | None = None
    suggestion: str | None = None
    for opportunity in report.opportunities:
        if opportunity.response_turn == reply_index:
            suggestion = suggestion or opportunity.suggestion
            if opportunity.extra.get("reason") == "premature_reassurance":
                evidence = opportunity.extra.get("evidence") or ()
                reassurance = str(evidence[0]) if evidence else None
    return ReplyAssessment(
        text=turn.text,
        cue_response=response,
        empathy=empathy,
        question=question if question in ("open", "closed") else None,
        reflection=reflection if reflection in ("simple", "complex") else None,
        jargon=jargon,
        premature_reassurance=bool(extra.get("premature_reassurance")),
        reassurance=reassurance,
        teach_back=bool(extra.get("teach_back")),
        reading_grade=extra.get("readability_grade"),
        suggestion=suggestion,
    )


@dataclass
class ReplyAssessor:
    """Judges learner replies; holds the (optional) language models.

    Attributes:
        labeller: the ONNX models from `bedside.nlp.load_labeller()`, or None for rules only.
    """

    labeller: TurnLabeller | None = None

    @property
    def basis(self) -> str:
        """'models' when the language models are used, 'rules' otherwise."""
        return "rules" if self.labeller is None else "models"

    def assess(self, scenario: Scenario, node_id: str, reply: str) -> ReplyAssessment:
        """Assess a reply to the line at `node_id` of the scenario."""
        node = scenario.node(node_id)
        conversation = Conversation(
            id=f"{scenario.id}:{node_id}",
            turns=(
                Turn(speaker=_speaker_for(scenario), text=node.patient),
                Turn(speaker=_LEARNER, text=reply),
            ),
        )
        report = analyse(conversation, labeller=self.labeller)
        planted = any(c.kind in ("emotion", "concern") for c in node.cues)
        return assessment_from_report(report, planted_cue=planted)


def load_assessor(*, models: bool = True) -> ReplyAssessor:
    """An assessor with the shipped language models, or rules only.

    Raises:
        ModelError: `models` is True and the shipped weights are missing or corrupt
            (callers may catch it and fall back to `load_assessor(models=False)`).
    """
    if not models:
        return ReplyAssessor()
    try:
        from bedside.nlp import load_labeller
    except ImportError as error:  # pragma: no cover - the nlp package is part of bedside
        raise ModelError(f"the language models are not available ({error})") from None
    return ReplyAssessor(labeller=load_labeller())


@dataclass
class PracticeSession:
    """One learner playing one scenario: assess, step the simulator, time each answer.

    `timings` holds the seconds from submitting each reply to having the person's answer and
    feedback, the latency a learner feels.
    """

    scenario: Scenario
    assessor: ReplyAssessor
    attempt: Attempt
    timings: list[float] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        """True once the attempt has reached an ending."""
        return self.scenario.node(self.attempt.node).is_end

    @property
    def line(self) -> str:
        """What the simulated person is saying now."""
        return self.scenario.node(self.attempt.node).patient

    def reply(self, text: str) -> Step:
        """Submit the learner's reply; returns the person's answer and the feedback."""
        began = time.perf_counter()
        assessment = self.assessor.assess(self.scenario, self.attempt.node, text)
        step = respond(self.scenario, self.attempt, assessment)
        self.attempt = step.attempt
        self.timings.append(time.perf_counter() - began)
        return step

    def debrief(self) -> Debrief:
        """The debrief once finished (raises ScenarioError before that)."""
        return build_debrief(self.scenario, self.attempt)


def begin_practice(scenario_id: str, assessor: ReplyAssessor) -> PracticeSession:
    """Start practising a shipped scenario.

    Raises:
        NotFound: there is no shipped scenario with that id.
    """
    scenario = shipped_scenario(scenario_id)
    return PracticeSession(scenario=scenario, assessor=assessor, attempt=start(scenario))
