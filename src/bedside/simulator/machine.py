"""The simulator's state machine: pure functions from (scenario, attempt, assessment) to the next step.

An `Attempt` is immutable: `respond` returns a new one, so a web request, a terminal loop or a test
can hold it, store it or replay it without surprises. Nothing here reads a clock or a file.
"""

from __future__ import annotations

from pydantic import BaseModel

from bedside.errors import ScenarioError
from bedside.simulator.assessment import ReplyAssessment, normalise, signals_of
from bedside.simulator.feedback import Feedback, build_feedback
from bedside.simulator.schema import STATE_MAX, Branch, EmotionalState, Node, Scenario

__all__ = ["Attempt", "Exchange", "Step", "choose_branch", "respond", "start"]


class Exchange(BaseModel, frozen=True, extra="forbid"):
    """One round: what the person said, the learner's reply, how it was judged, where it led."""

    node: str
    patient: str
    assessment: ReplyAssessment
    signals: tuple[str, ...]
    branch: int
    goto: str
    state: EmotionalState
    feedback: Feedback


class Attempt(BaseModel, frozen=True, extra="forbid"):
    """A learner's run through one scenario so far."""

    scenario_id: str
    scenario_version: int
    node: str
    state: EmotionalState
    exchanges: tuple[Exchange, ...] = ()

    @property
    def turns(self) -> int:
        """Replies given so far."""
        return len(self.exchanges)


class Step(BaseModel, frozen=True, extra="forbid"):
    """The result of one reply: the new attempt, the person's answer and the feedback."""

    attempt: Attempt
    patient: str
    feedback: Feedback
    finished: bool


def start(scenario: Scenario) -> Attempt:
    """A fresh attempt at the scenario's start node."""
    return Attempt(
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        node=scenario.start,
        state=scenario.initial_state,
    )


def _matches(branch: Branch, signals: frozenset[str], reply: str, state: EmotionalState) -> bool:
    if branch.default:
        return True
    if any(signal not in signals for signal in branch.when):
        return False
    if any(signal in signals for signal in branch.unless):
        return False
    if branch.says and not any(normalise(phrase) in reply for phrase in branch.says):
        return False
    if branch.trust_below is not None and not state.trust < branch.trust_below:
        return False
    return branch.distress_above is None or state.distress > branch.distress_above


def choose_branch(
    node: Node, assessment: ReplyAssessment, state: EmotionalState
) -> tuple[int, Branch]:
    """The first branch (index, branch) whose conditions hold; the default catches the rest.

    Raises:
        ScenarioError: if the node has no branch that matches (an unchecked scenario).
    """
    signals = signals_of(assessment)
    reply = normalise(assessment.text)
    for index, branch in enumerate(node.branches):
        if _matches(branch, signals, reply, state):
            return index, branch
    raise ScenarioError(
        "no branch matched and the node has no default; run `bedside scenarios check`"
    )


_RANK = {None: 0, "missed": 0, "acknowledged": 1, "explored": 2}


def _credited(assessment: ReplyAssessment, branch: Branch) -> ReplyAssessment:
    """The assessment with the branch's `counts_as` credit applied (never lowering it)."""
    if branch.counts_as is None or _RANK[branch.counts_as] <= _RANK[assessment.cue_response]:
        return assessment
    return assessment.model_copy(update={"cue_response": branch.counts_as})


def _clamp(value: int) -> int:
    return max(0, min(STATE_MAX, value))


def respond(scenario: Scenario, attempt: Attempt, assessment: ReplyAssessment) -> Step:
    """Take the learner's assessed reply, follow the branch, and say what the person answers.

    Raises:
        ScenarioError: if the attempt is finished or belongs to another scenario.
    """
    if attempt.scenario_id != scenario.id:
        raise ScenarioError(f"attempt is for scenario {attempt.scenario_id!r}, not {scenario.id!r}")
    node = scenario.node(attempt.node)
    if node.is_end:
        raise ScenarioError("the scenario has ended; start a new attempt to play again")
    index, branch = choose_branch(node, assessment, attempt.state)
    assessment = _credited(assessment, branch)
    state = EmotionalState(
        trust=_clamp(attempt.state.trust + branch.change.trust),
        distress=_clamp(attempt.state.distress + branch.change.distress),
    )
    feedback = build_feedback(node, branch, assessment)
    exchange = Exchange(
        node=attempt.node,
        patient=node.patient,
        assessment=assessment,
        signals=tuple(sorted(signals_of(assessment))),
        branch=index,
        goto=branch.goto,
        state=state,
        feedback=feedback,
    )
    following = scenario.node(branch.goto)
    new_attempt = attempt.model_copy(
        update={"node": branch.goto, "state": state, "exchanges": (*attempt.exchanges, exchange)}
    )
    return Step(
        attempt=new_attempt,
        patient=following.patient,
        feedback=feedback,
        finished=following.is_end,
    )
