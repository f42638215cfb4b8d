"""The state machine: branch choice from hand-built assessments, state, feedback and debrief."""

from __future__ import annotations

import pytest
from simulator_helpers import assessment, mini_scenario

from bedside.errors import ScenarioError
from bedside.simulator import (
    JargonTerm,
    ReplyAssessment,
    build_debrief,
    choose_branch,
    respond,
    shipped_scenario,
    signals_of,
    start,
)


def test_signals_of_an_assessment():
    a = ReplyAssessment(
        text="It sounds frightening. What worries you most?",
        cue_response="explored",
        empathy={"emotional_reactions": 2, "interpretations": 0, "explorations": 1},
        question="open",
        reflection="complex",
        reading_grade=4.0,
    )
    assert signals_of(a) == {
        "explored",
        "engaged",
        "emotional_reaction",
        "exploration",
        "strong_empathy",
        "open_question",
        "reflection",
        "complex_reflection",
        "plain_language",
    }
    assert signals_of(ReplyAssessment(text="ok")) == {"no_empathy", "no_question"}
    jargon = ReplyAssessment(text="x", jargon=(JargonTerm(term="MDT"),), reading_grade=3.0)
    assert "jargon" in signals_of(jargon) and "plain_language" not in signals_of(jargon)
    assert "long_reply" in signals_of(ReplyAssessment(text="word " * 71))
    assert "long_reply" not in signals_of(ReplyAssessment(text="word " * 70))


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            assessment("Don't worry.", "premature_reassurance", "explored"),
            0,
        ),  # order: first match wins
        (assessment("Tell me more.", "explored", "open_question"), 1),
        (assessment("Is it about tomorrow?", "closed_question"), 2),  # `says` phrase
        (assessment("TOMORROW’s a big day", "missed"), 2),  # case and apostrophes normalised
        (assessment("OK.", "acknowledged"), 3),  # default
    ],
)
def test_branch_choice(reply, expected):
    scenario = mini_scenario()
    index, branch = choose_branch(scenario.node("first"), reply, scenario.initial_state)
    assert index == expected
    assert branch is scenario.node("first").branches[expected]


def test_state_moves_and_guards_use_it():
    scenario = mini_scenario()
    attempt = start(scenario)
    step = respond(scenario, attempt, assessment("Don't worry!", "premature_reassurance"))
    assert step.attempt.node == "bad" and step.finished
    assert (step.attempt.state.trust, step.attempt.state.distress) == (2, 7)
    assert step.patient == "Bye."

    # explored: trust 7, then the trust guard (below 5) does not fire and the default leads to good
    step = respond(scenario, attempt, assessment("What scares you?", "explored"))
    assert step.attempt.state.trust == 7 and not step.finished
    final = respond(scenario, step.attempt, assessment("You'll be asleep."))
    assert final.attempt.node == "good"

    # ignoring the cue keeps trust at 5: still not below 5, so default again
    low = attempt.model_copy(update={"state": attempt.state.model_copy(update={"trust": 4})})
    step = respond(scenario, low, assessment("Right.", "missed"))
    assert step.attempt.node == "second" and step.attempt.state.distress == 6
    assert respond(scenario, step.attempt, assessment("You'll be asleep.")).attempt.node == "bad"


def test_state_is_clamped_to_its_range():
    scenario = mini_scenario()
    attempt = start(scenario)
    extreme = attempt.model_copy(
        update={"state": attempt.state.model_copy(update={"trust": 1, "distress": 9})}
    )
    step = respond(scenario, extreme, assessment("Don't worry!", "premature_reassurance"))
    assert (step.attempt.state.trust, step.attempt.state.distress) == (0, 10)


def test_attempt_is_immutable_and_records_exchanges():
    scenario = mini_scenario()
    attempt = start(scenario)
    step = respond(scenario, attempt, assessment("What scares you?", "explored", "open_question"))
    assert attempt.exchanges == () and attempt.node == "first"
    exchange = step.attempt.exchanges[0]
    assert exchange.node == "first" and exchange.goto == "second" and exchange.branch == 1
    assert exchange.patient == "I am really scared about tomorrow."
    assert "explored" in exchange.signals
    assert step.attempt.turns == 1


def test_feedback_is_specific():
    scenario = mini_scenario()
    attempt = start(scenario)
    missed = respond(
        scenario, attempt, assessment("When is it?", "missed", "closed_question")
    ).feedback
    assert missed.note == "The cue went unanswered."
    assert missed.example_reply == "That sounds frightening. What scares you most?"
    texts = [p.text for p in missed.improvements]
    assert any(
        "“I am really scared” went unanswered" in t and "the fear of tomorrow" in t for t in texts
    )
    assert any("yes or no" in t for t in texts)

    good = respond(
        scenario,
        attempt,
        assessment("What scares you?", "explored", "exploration", "open_question"),
    ).feedback
    assert {p.skill for p in good.strengths} >= {"cue", "explorations", "open_question"}
    assert good.improvements == ()

    slip = respond(
        scenario, attempt, assessment("Don't worry", "premature_reassurance", "jargon")
    ).feedback
    skills = {p.skill for p in slip.improvements}
    assert {"premature_reassurance", "jargon"} <= skills
    assert any("“metastatic” is medical jargon; try “spread”" in p.text for p in slip.improvements)
    assert any("“don't worry” came before" in p.text for p in slip.improvements)


def test_finished_attempt_and_wrong_scenario_are_refused():
    scenario = mini_scenario()
    step = respond(scenario, start(scenario), assessment("Don't worry", "premature_reassurance"))
    with pytest.raises(ScenarioError, match="has ended"):
        respond(scenario, step.attempt, assessment("Hello"))
    with pytest.raises(ScenarioError, match="attempt is for scenario 'mini'"):
        respond(shipped_scenario("grief"), step.attempt, assessment("Hello"))


def test_debrief_counts_skills_and_needs_an_ending():
    scenario = mini_scenario()
    attempt = start(scenario)
    with pytest.raises(ScenarioError, match="not ended"):
        build_debrief(scenario, attempt)
    step = respond(
        scenario,
        attempt,
        assessment("What scares you?", "explored", "exploration", "open_question"),
    )
    step = respond(
        scenario, step.attempt, assessment("The MDT will decide.", "jargon", "closed_question")
    )
    debrief = build_debrief(scenario, step.attempt)
    assert debrief.ending.outcome == "mixed"
    assert debrief.final_line == "OK."
    assert debrief.skills.replies == 2
    assert debrief.skills.counts["explorations"] == 1
    assert debrief.skills.counts["cues_explored"] == 1
    assert debrief.skills.counts["open_questions"] == 1
    assert debrief.skills.counts["jargon"] == 1
    assert debrief.skills.rate("open_questions") == 0.5
    assert debrief.sources == scenario.sources


# Hand-written replies on shipped scenarios and the branch each must take.
CASES = [
    (
        "angry-patient",
        "opening",
        assessment("Please calm down, it's hospital policy."),
        "escalation",
    ),
    (
        "angry-patient",
        "opening",
        assessment("You've every right to be angry.", "acknowledged", "emotional_reaction"),
        "underneath",
    ),
    ("angry-patient", "plan", assessment("I'll ring you myself by Friday."), "ending_good"),
    (
        "anxious-before-surgery",
        "opening",
        assessment("It's routine, nothing to worry about.", "premature_reassurance"),
        "dismissed",
    ),
    (
        "anxious-before-surgery",
        "information",
        assessment("A GA with intubation.", "jargon"),
        "ending_partial",
    ),
    ("breaking-bad-news", "opening", assessment("The biopsy shows cancer.", "missed"), "shock"),
    (
        "breaking-bad-news",
        "perception",
        assessment("I'm afraid it's not good news. It is a cancer.", "acknowledged"),
        "emotions",
    ),
    ("grief", "loss", assessment("At least she didn't suffer.", "missed"), "platitude"),
    (
        "grief",
        "point",
        assessment("Have you had thoughts of ending your life?", "closed_question"),
        "safety",
    ),
    (
        "grief",
        "point",
        assessment("Right, shall we do your blood pressure?", "missed"),
        "ending_missed",
    ),
    (
        "goals-of-care",
        "values",
        assessment("I'd recommend we focus on keeping you comfortable at home."),
        "ending_good",
    ),
    (
        "stopped-medicine",
        "opening",
        assessment("You must take them or you'll have a stroke."),
        "defensive",
    ),
    ("stopped-medicine", "defensive", assessment("You're right, it's your decision."), "reasons"),
    (
        "teach-back",
        "explain",
        assessment("Can you tell me how you'll take it?", "teach_back"),
        "teach_back",
    ),
    (
        "teach-back",
        "explain",
        assessment("One with tea. Do you understand?", "closed_question"),
        "ending_unsure",
    ),
    (
        "interpreter",
        "briefing",
        assessment("His son can translate, we don't need you."),
        "family_interprets",
    ),
    ("interpreter", "intro", assessment("Ask him how long he's had it."), "third_person"),
    ("cultural-humility", "opening", assessment("You shouldn't fast with diabetes."), "dismissed"),
    (
        "cultural-humility",
        "opening",
        assessment("In your culture, fasting is expected?"),
        "dismissed",
    ),
    (
        "chronic-pain",
        "opening",
        assessment("I can't prescribe more, that's drug-seeking."),
        "disbelieved",
    ),
    (
        "chronic-pain",
        "goals",
        assessment("Let's try morphine, stronger will help."),
        "ending_mixed",
    ),
    ("worried-parent", "opening", assessment("It's just a virus, kids get fevers."), "dismissed"),
    (
        "worried-parent",
        "examination",
        assessment("If he gets a rash that doesn't fade under a glass, come straight back."),
        "ending_good",
    ),
    (
        "colleague-burnout",
        "opening",
        assessment("We need to fill in a Datix; it can't happen again."),
        "guarded",
    ),
    (
        "colleague-burnout",
        "dark",
        assessment("Are you having thoughts of suicide?", "closed_question"),
        "safety",
    ),
    (
        "colleague-burnout",
        "dark",
        assessment("You'll be fine after a holiday.", "premature_reassurance"),
        "ending_missed",
    ),
]


@pytest.mark.parametrize(
    ("scenario_id", "node", "reply", "goto"), CASES, ids=lambda v: v if isinstance(v, str) else ""
)
def test_hand_written_replies_take_their_branch(scenario_id, node, reply, goto):
    scenario = shipped_scenario(scenario_id)
    _, branch = choose_branch(scenario.node(node), reply, scenario.initial_state)
    assert branch.goto == goto


def test_counts_as_credits_a_recognised_phrase_but_never_lowers_the_judgement():
    scenario = shipped_scenario("grief")
    attempt = start(scenario).model_copy(update={"node": "loss"})
    step = respond(scenario, attempt, assessment("Two cups. The quiet must be so hard.", "missed"))
    exchange = step.attempt.exchanges[-1]
    assert exchange.goto == "point"
    assert exchange.assessment.cue_response == "acknowledged" and "engaged" in exchange.signals
    assert not any("went unanswered" in p.text for p in step.feedback.points)

    explored = respond(
        scenario, attempt, assessment("Two cups. Tell me about the mornings?", "explored")
    )
    assert explored.attempt.exchanges[-1].assessment.cue_response == "explored"
