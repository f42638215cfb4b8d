"""The scenario format: validation, unknown keys rejected, errors that name file and line."""

from __future__ import annotations

import pytest
from simulator_helpers import MINI, mini_scenario

from bedside.errors import NotFound, ScenarioError
from bedside.simulator import load_scenario, parse_scenario, shipped_scenario, shipped_scenarios


def test_the_tiny_scenario_parses():
    scenario = mini_scenario()
    assert scenario.id == "mini"
    assert scenario.start == "first"
    assert scenario.node("first").cues[0].kind == "emotion"
    assert scenario.node("good").is_end


def test_unknown_top_level_key_is_rejected_with_its_line():
    text = MINI.replace("topic: testing\n", "topic: testing\ncolour: blue\n")
    with pytest.raises(ScenarioError, match=r"^mini\.yaml:7: unknown key 'colour'"):
        parse_scenario(text, source="mini.yaml")


def test_unknown_key_inside_a_node_is_rejected_with_its_line():
    text = MINI.replace("    emotion: fear\n", "    emotion: fear\n    mood: grim\n")
    line = text.splitlines().index("    mood: grim") + 1
    with pytest.raises(
        ScenarioError, match=rf"mini\.yaml:{line}: unknown key 'nodes\.first\.mood'"
    ):
        parse_scenario(text, source="mini.yaml")


def test_misspelt_branch_key_is_rejected():
    text = MINI.replace(
        "        goto: bad\n        change: {trust: -3",
        "        go_to: bad\n        change: {trust: -3",
    )
    with pytest.raises(ScenarioError, match=r"unknown key 'nodes\.first\.branches\.0\.go_to'"):
        parse_scenario(text, source="mini.yaml")


def test_unknown_signal_is_rejected():
    text = MINI.replace("when: [explored]", "when: [empathised]")
    with pytest.raises(ScenarioError, match=r"nodes\.first\.branches\.1\.when\.0"):
        parse_scenario(text, source="mini.yaml")


def test_missing_required_key():
    text = MINI.replace("learner_role: You are the doctor.\n", "")
    with pytest.raises(ScenarioError, match="missing required key 'learner_role'"):
        parse_scenario(text, source="mini.yaml")


def test_wrong_schema_version():
    text = MINI.replace("schema: bedside.scenario/1", "schema: bedside.scenario/9")
    with pytest.raises(ScenarioError, match=r"mini\.yaml:1: schema"):
        parse_scenario(text, source="mini.yaml")


def test_state_out_of_range():
    text = MINI.replace(
        "initial_state: {trust: 5, distress: 5}", "initial_state: {trust: 11, distress: 5}"
    )
    with pytest.raises(ScenarioError, match=r"initial_state\.trust"):
        parse_scenario(text, source="mini.yaml")


def test_bad_yaml_names_the_line():
    text = MINI.replace("title: A tiny scenario", "title: [unclosed")
    with pytest.raises(ScenarioError, match=r"mini\.yaml:\d+: not valid YAML"):
        parse_scenario(text, source="mini.yaml")


def test_empty_file_and_a_list():
    with pytest.raises(ScenarioError, match="empty"):
        parse_scenario("", source="e.yaml")
    with pytest.raises(ScenarioError, match="expected a mapping"):
        parse_scenario("- a\n- b\n", source="l.yaml")


def test_id_must_match_the_file_name(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text(MINI, encoding="utf-8")
    with pytest.raises(ScenarioError, match="does not match the file name"):
        load_scenario(path)
    good = tmp_path / "mini.yaml"
    good.write_text(MINI, encoding="utf-8")
    assert load_scenario(good).id == "mini"


def test_unreadable_file(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ScenarioError, match="UTF-8"):
        load_scenario(binary)


def test_shipped_scenario_lookup():
    assert shipped_scenario("grief").persona.name == "Arthur Bennett"
    with pytest.raises(NotFound, match="no scenario 'nope'; known scenarios: angry-patient"):
        shipped_scenario("nope")
    ids = [s.id for s in shipped_scenarios()]
    assert ids == sorted(ids)
