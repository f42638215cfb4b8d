"""Full play-throughs of every shipped scenario with hand-built assessments."""

from __future__ import annotations

import pytest
from simulator_helpers import assessment, witness

from bedside.simulator import (
    build_debrief,
    choose_branch,
    longest_path,
    respond,
    shipped_scenarios,
    start,
)

SCENARIOS = shipped_scenarios()


def play(scenario, pick):
    """Play until an ending, choosing each reply with `pick(node_id, node)`."""
    attempt = start(scenario)
    for _ in range(longest_path(scenario) + 1):
        node = scenario.node(attempt.node)
        if node.is_end:
            return attempt
        step = respond(scenario, attempt, pick(attempt.node, node))
        assert step.patient == scenario.node(step.attempt.node).patient
        assert step.feedback.note and step.feedback.example_reply == node.example_reply
        attempt = step.attempt
    raise AssertionError("the scenario did not end within its longest path")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_a_skilled_learner_reaches_a_good_ending(scenario):
    """Take, at each node, the branch leading closest to a good ending (by search)."""
    good = {n for n, node in scenario.nodes.items() if node.end and node.end.outcome == "good"}

    def reaches_good(node_id, seen=()):
        node = scenario.node(node_id)
        if node.is_end:
            return node_id in good
        return any(reaches_good(b.goto) for b in node.branches)

    def pick(node_id, node):
        for branch in node.branches:
            if reaches_good(branch.goto):
                reply = witness(branch)
                _, taken = choose_branch(node, reply, scenario.initial_state)
                if taken.goto == branch.goto:
                    return reply
        raise AssertionError(f"no reply from {node_id} leads to a good ending")

    attempt = play(scenario, pick)
    debrief = build_debrief(scenario, attempt)
    assert debrief.ending.outcome == "good"
    assert debrief.skills.replies == attempt.turns >= 3


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_a_learner_who_ignores_every_cue_still_reaches_an_ending(scenario):
    attempt = play(scenario, lambda node_id, node: assessment("Right. Next question.", "missed"))
    debrief = build_debrief(scenario, attempt)
    assert debrief.ending.outcome in ("mixed", "poor")
    assert debrief.skills.counts["missed_cues"] >= 1


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_every_branch_can_be_taken_by_its_witness(scenario):
    """Each branch's own conditions lead to it, or to an earlier branch that also matches."""
    for node_id, node in scenario.nodes.items():
        for index, branch in enumerate(node.branches):
            if branch.trust_below is not None or branch.distress_above is not None:
                continue
            taken, _ = choose_branch(node, witness(branch), scenario.initial_state)
            assert taken <= index, (node_id, index)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_every_ending_is_reachable_in_play(scenario):
    """Exhaustive play over witnesses: every end node is reached by some sequence of replies."""
    reached = set()
    frontier = [start(scenario)]
    while frontier:
        attempt = frontier.pop()
        node = scenario.node(attempt.node)
        if node.is_end:
            reached.add(attempt.node)
            continue
        for branch in node.branches:
            frontier.append(respond(scenario, attempt, witness(branch)).attempt)
    ends = {n for n, node in scenario.nodes.items() if node.is_end}
    assert reached == ends
