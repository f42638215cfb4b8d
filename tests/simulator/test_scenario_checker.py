"""The checker proves shipped scenarios sound and finds every kind of unsound one."""

from __future__ import annotations

from pathlib import Path

import pytest
from simulator_helpers import MINI, mini_scenario

from bedside.simulator import check_file, check_scenario, longest_path, shipped_scenarios
from bedside.simulator.loader import shipped_paths

REQUIRED_TOPICS = {
    "breaking bad news",
    "the angry patient",
    "the anxious patient before surgery",
    "grief",
    "goals of care and end of life",
    "a patient who stopped their medicine",
    "low health literacy with teach-back",
    "working through an interpreter",
    "cultural humility",
    "chronic pain",
    "a worried parent",
    "a colleague with burnout",
}


def problems_of(text: str) -> list[str]:
    return [str(p) for p in check_scenario(mini_scenario(text))]


@pytest.mark.parametrize("scenario", shipped_scenarios(), ids=lambda s: s.id)
def test_every_shipped_scenario_is_sound(scenario):
    assert check_scenario(scenario) == ()
    assert longest_path(scenario) >= 3
    assert scenario.sources, "each scenario states its sources"
    assert all(len(s.citation) > 30 for s in scenario.sources)
    assert len(scenario.objectives) >= 3


def test_twelve_scenarios_cover_the_required_topics():
    scenarios = shipped_scenarios()
    assert len(scenarios) >= 12
    assert {s.topic for s in scenarios} >= REQUIRED_TOPICS
    assert len(shipped_paths()) == len(scenarios)


def test_every_shipped_file_checks_from_disk():
    folder = Path(__file__).resolve().parents[2] / "src" / "bedside" / "simulator" / "scenarios"
    results = [check_file(path) for path in sorted(folder.glob("*.yaml"))]
    assert len(results) >= 12
    assert all(r.ok for r in results), [str(p) for r in results for p in r.problems]


def test_the_tiny_scenario_is_sound():
    assert problems_of(MINI) == []
    assert longest_path(mini_scenario()) == 2


def test_missing_default_branch():
    text = MINI.replace(
        "      - default: true\n        goto: good\n        note: Plain and clear.\n", ""
    )
    assert (
        "node 'second': has no default branch; add one with `default: true` as the last"
        in problems_of(text)
    )


def test_default_branch_not_last():
    text = MINI.replace(
        "      - when: [jargon]\n        goto: mixed\n        note: Jargon.\n", ""
    ).replace(
        "        note: Plain and clear.\n",
        "        note: Plain and clear.\n      - when: [jargon]\n        goto: mixed\n        note: Jargon.\n",
    )
    assert (
        "node 'second': the default branch must be the last (branches are tried in order)"
        in problems_of(text)
    )


def test_two_defaults_and_a_conditional_default():
    text = MINI.replace(
        "      - trust_below: 5\n", "      - default: true\n        trust_below: 5\n"
    )
    found = problems_of(text)
    assert "node 'second': has 2 default branches; keep one" in found
    assert "node 'second' branch 2: a default branch must have no conditions" in found


def test_branch_without_condition_must_be_default():
    text = MINI.replace("      - says: [tomorrow]\n", "      - note: x\n").replace(
        "        goto: second\n        note: You named tomorrow.\n", "        goto: second\n"
    )
    assert (
        "node 'first' branch 3: has no condition; mark it `default: true` or add `when`/`says`"
        in problems_of(text)
    )


def test_goto_to_a_missing_node():
    text = MINI.replace("        goto: mixed\n", "        goto: nowhere\n")
    found = problems_of(text)
    assert "node 'second' branch 1: goto 'nowhere': no such node" in found
    assert "node 'mixed': is not reachable from the start" in found


def test_unreachable_node():
    text = MINI + (
        "  orphan:\n    patient: Nobody reaches me.\n"
        "    end: {outcome: poor, summary: x, debrief: [y]}\n"
    )
    assert problems_of(text) == ["node 'orphan': is not reachable from the start"]


def test_a_cycle_means_a_path_may_never_end():
    text = MINI.replace("        goto: mixed\n", "        goto: first\n")
    found = problems_of(text)
    assert any(p.startswith("graph: has a cycle first -> second -> first") for p in found)


def test_end_node_with_branches_and_dead_end_node():
    text = MINI.replace(
        "    end: {outcome: mixed, summary: So so., debrief: [Use plain words.]}\n",
        "    example_reply: x\n",
    )
    assert (
        "node 'mixed': has no branches and no `end` block; add branches or make it an end"
        in problems_of(text)
    )
    text = MINI.replace(
        "    end: {outcome: poor, summary: Went badly., debrief: [Ask before reassuring.]}\n",
        "    end: {outcome: poor, summary: Went badly., debrief: [Ask before reassuring.]}\n"
        "    branches:\n      - default: true\n        goto: good\n        note: x\n",
    )
    assert "node 'bad': an end node must not have branches" in problems_of(text)


def test_no_good_ending():
    text = MINI.replace("outcome: good", "outcome: mixed")
    assert problems_of(text) == ["graph: no reachable ending has outcome 'good'"]


def test_start_must_exist():
    text = MINI.replace("start: first", "start: zeroth")
    found = problems_of(text)
    assert "start: names node 'zeroth', which does not exist" in found


def test_cue_must_be_planted_in_the_line_and_example_reply_required():
    text = MINI.replace(
        "      - text: I am really scared\n", "      - text: I am terrified\n"
    ).replace("    example_reply: You'll be asleep the whole time.\n", "")
    found = problems_of(text)
    assert "node 'first': cue 'I am terrified' does not appear in the patient's line" in found
    assert "node 'second': needs an `example_reply` to show the learner" in found


def test_check_file_reports_schema_errors_as_one_problem(tmp_path):
    path = tmp_path / "mini.yaml"
    path.write_text(
        MINI.replace("topic: testing\n", "topic: testing\nextra: 1\n"), encoding="utf-8"
    )
    result = check_file(path)
    assert not result.ok and result.scenario is None
    assert [str(p) for p in result.problems] == [
        f"{path}:7: unknown key 'extra'; check the spelling against docs/simulator.md"
    ]


def test_a_branch_shadowed_by_a_broader_one_is_reported():
    text = MINI.replace(
        "      - when: [explored]\n        goto: second\n        change: {trust: 2, distress: -1}\n        note: You explored the fear.\n",
        "      - when: [engaged]\n        goto: second\n        note: Broad.\n"
        "      - when: [explored, open_question]\n        goto: second\n        note: Narrow.\n",
    )
    assert problems_of(text) == [
        "node 'first' branch 3: can never be taken: branch 2 before it matches every reply it would; "
        "put the narrower branch first"
    ]
    narrow_first = MINI.replace("when: [explored]", "when: [explored, open_question]")
    assert problems_of(narrow_first) == []
