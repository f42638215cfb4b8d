"""Training service: real replies judged by the real engine take the right branches."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bedside.errors import ModelError, NotFound
from bedside.model import EmotionLabel, EmpathyLabel, MICode
from bedside.services.training import ReplyAssessor, begin_practice, load_assessor
from bedside.simulator import choose_branch, shipped_scenario, shipped_scenarios, signals_of

RULES = ReplyAssessor()


def branch_for(scenario_id: str, node: str, reply: str, assessor: ReplyAssessor = RULES) -> str:
    scenario = shipped_scenario(scenario_id)
    assessment = assessor.assess(scenario, node, reply)
    return choose_branch(scenario.node(node), assessment, scenario.initial_state)[1].goto


# Real text, scored by the engine's rules, and where each reply must lead.
REPLIES = [
    ("anxious-before-surgery", "opening", "Don't worry, it's a routine operation.", "dismissed"),
    ("anxious-before-surgery", "opening", "You haven't slept? What's been keeping you awake?", "fear_named"),
    ("anxious-before-surgery", "information", "You'll have a GA and we'll do a laparoscopic cholecystectomy.", "ending_partial"),
    ("breaking-bad-news", "opening", "The biopsy shows you have cancer.", "shock"),
    ("breaking-bad-news", "opening", "Don't worry, I'm sure it's fine.", "false_hope"),
    ("breaking-bad-news", "perception", "The histology confirms a malignant adenocarcinoma with possible metastasis.", "confusion"),
    ("grief", "loss", "At least she didn't suffer at the end.", "platitude"),
    ("grief", "point", "Have you had any thoughts of ending your life?", "safety"),
    ("grief", "point", "Let's check your blood pressure.", "ending_missed"),
    ("teach-back", "explain", "Take one with your tea. Can you tell me how you're going to take it, in your own words?", "teach_back"),
    ("teach-back", "explain", "Take one with your tea. Do you understand?", "ending_unsure"),
    ("teach-back", "opening", "Take it home and read it later.", "embarrassed"),
    ("worried-parent", "opening", "It's just a virus, kids get fevers all the time.", "dismissed"),
    ("worried-parent", "opening", "You did the right thing. What worries you most?", "concerns"),
    ("colleague-burnout", "dark", "Are you having thoughts of suicide?", "safety"),
    ("stopped-medicine", "opening", "You need to take them or you'll have a stroke.", "defensive"),
    ("cultural-humility", "opening", "You can't fast with diabetes, you're exempt.", "dismissed"),
    ("angry-patient", "opening", "Calm down, there's nothing I can do, it's policy.", "escalation"),
    ("interpreter", "intro", "Ask him how long he has had the pain.", "third_person"),
    ("chronic-pain", "opening", "I can't prescribe anything stronger.", "disbelieved"),
]


@pytest.mark.parametrize(("scenario_id", "node", "reply", "goto"), REPLIES)
def test_real_replies_take_their_branch(scenario_id, node, reply, goto):
    assert branch_for(scenario_id, node, reply) == goto


def test_assessment_carries_the_engine_findings():
    scenario = shipped_scenario("breaking-bad-news")
    a = RULES.assess(scenario, "opening", "Don't worry, the metastatic lesion is small. What do you understand so far?")
    assert a.premature_reassurance and a.reassurance
    assert [j.term for j in a.jargon] == ["metastatic"] and a.jargon[0].plain
    assert a.question == "open"
    assert a.cue_response == "missed"
    assert a.reading_grade is not None
    assert {"premature_reassurance", "jargon", "open_question", "missed"} <= signals_of(a)


def test_planted_cue_is_judged_even_when_the_rules_see_no_cue():
    scenario = shipped_scenario("teach-back")  # "I always get muddled with tablets" is a planted concern
    a = RULES.assess(scenario, "explain", "One with your tea.")
    assert a.cue_response in ("missed", "acknowledged", "explored")


@pytest.mark.parametrize("scenario", shipped_scenarios(), ids=lambda s: s.id)
def test_example_replies_play_every_scenario_to_a_good_ending(scenario):
    session = begin_practice(scenario.id, RULES)
    while not session.finished:
        example = scenario.node(session.attempt.node).example_reply
        assert example
        step = session.reply(example)
        assert step.feedback.note
    debrief = session.debrief()
    assert debrief.ending.outcome == "good"
    assert len(session.timings) == debrief.skills.replies


def test_unknown_scenario():
    with pytest.raises(NotFound):
        begin_practice("nope", RULES)


class FixedLabeller:
    """A stand-in labeller with fixed outputs: checks that model labels reach the assessment."""

    def emotions(self, texts: Sequence[str]) -> list[EmotionLabel]:
        return [EmotionLabel(emotions=("fear",), scores={"fear": 0.9}) for _ in texts]

    def empathy(self, contexts: Sequence[str], responses: Sequence[str]) -> list[EmpathyLabel]:
        levels = {"emotional_reactions": 2, "interpretations": 1, "explorations": 0}
        return [EmpathyLabel(levels=levels, rationales=dict.fromkeys(levels, ())) for _ in responses]

    def mi_codes(self, contexts: Sequence[str], responses: Sequence[str]) -> list[MICode]:
        return [MICode(question=None, reflection="complex") for _ in responses]


def test_model_labels_are_used_when_a_labeller_is_given():
    assessor = ReplyAssessor(labeller=FixedLabeller())
    assert assessor.basis == "models"
    a = assessor.assess(shipped_scenario("grief"), "loss", "Two cups.")
    assert dict(a.empathy) == {"emotional_reactions": 2, "interpretations": 1, "explorations": 0}
    assert a.reflection == "complex" and a.question is None
    assert {"strong_empathy", "complex_reflection", "emotional_reaction"} <= signals_of(a)


def test_shipped_models_when_present():
    try:
        assessor = load_assessor(models=True)
    except ModelError as error:
        pytest.skip(f"shipped models not available: {error}")
    assert branch_for("grief", "point", "Have you had any thoughts of ending your life?", assessor) == "safety"
    assert branch_for("worried-parent", "opening", "It's just a virus, kids get fevers all the time.", assessor) == "dismissed"
