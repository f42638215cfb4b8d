"""The rule files: strictly checked (unknown keys rejected), compiled once, versioned."""

from __future__ import annotations

import importlib
import pickle
import shutil
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from bedside.engine import DEFAULT_RULES, load_ruleset
from bedside.errors import FormatError

SHIPPED = Path(str(resources.files("bedside.engine.rules.en")))


@pytest.fixture
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, importable copy of the shipped English rules to break in tests."""
    package = tmp_path / "myrules"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for path in SHIPPED.glob("*.yaml"):
        shutil.copy(path, package / path.name)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "myrules", raising=False)
    importlib.invalidate_caches()
    return package


def _edit(path: Path, change) -> None:
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True))


def test_shipped_rules_load_and_name_the_ruleset() -> None:
    rules = load_ruleset()
    assert rules.name == "bedside.en.v1"
    assert rules.cue_categories and rules.jargon and rules.backchannels
    assert "Apache-2.0" in rules.jargon_licence


def test_rules_pickle_for_dask_workers() -> None:
    again = pickle.loads(pickle.dumps(DEFAULT_RULES))
    assert again.name == DEFAULT_RULES.name
    assert (
        again.cue_categories[0].patterns[0].pattern
        == DEFAULT_RULES.cue_categories[0].patterns[0].pattern
    )


def test_config_and_report_pickle() -> None:
    from engine_helpers import timed

    from bedside.engine import AnalysisConfig, analyse

    config = pickle.loads(pickle.dumps(AnalysisConfig(response_window=3)))
    conv = timed(("Patient", "I'm scared.", 0.0, 1.0), ("Doctor", "Tell me more.", 1.0, 2.0))
    report = analyse(conv, config=config)
    assert pickle.loads(pickle.dumps(report)) == report


def test_a_copy_loads_from_its_own_package(rules_copy: Path) -> None:
    assert load_ruleset(package="myrules").name == "bedside.en.v1"


def test_unknown_key_is_rejected(rules_copy: Path) -> None:
    _edit(rules_copy / "cues.v1.yaml", lambda d: d["categories"][0].update({"pattens": ["x"]}))
    with pytest.raises(FormatError, match=r"cues\.v1\.yaml: categories\.0\.pattens: Extra inputs"):
        load_ruleset(package="myrules")


def test_missing_key_is_rejected(rules_copy: Path) -> None:
    _edit(rules_copy / "score.v1.yaml", lambda d: d.pop("weights"))
    with pytest.raises(FormatError, match=r"score\.v1\.yaml: weights: Field required"):
        load_ruleset(package="myrules")


def test_unknown_score_component_is_rejected(rules_copy: Path) -> None:
    _edit(rules_copy / "score.v1.yaml", lambda d: d["weights"].update({"kindness": 0.1}))
    with pytest.raises(FormatError, match="unknown components"):
        load_ruleset(package="myrules")


def test_bad_regular_expression_is_rejected(rules_copy: Path) -> None:
    _edit(rules_copy / "responses.v1.yaml", lambda d: d["explore"].append("tell me (more"))
    with pytest.raises(FormatError, match="bad regular expression"):
        load_ruleset(package="myrules")


def test_template_with_unknown_slot_is_rejected(rules_copy: Path) -> None:
    _edit(
        rules_copy / "suggestions.v1.yaml",
        lambda d: d["by_emotion"]["fear"]["with_topic"].append("Worried about {diagnosis}?"),
    )
    with pytest.raises(FormatError, match="unknown slot"):
        load_ruleset(package="myrules")


def test_wrong_schema_version_is_rejected(rules_copy: Path) -> None:
    _edit(rules_copy / "timing.v1.yaml", lambda d: d.update({"schema": "bedside.timing.v2"}))
    with pytest.raises(FormatError, match=r"expected 'bedside\.timing\.v1'"):
        load_ruleset(package="myrules")


def test_yaml_errors_name_the_line(rules_copy: Path) -> None:
    (rules_copy / "jargon.v1.yaml").write_text("schema: x\nterms: [\n  - {term: a\n")
    with pytest.raises(FormatError, match=r"jargon\.v1\.yaml:\d+: not valid YAML"):
        load_ruleset(package="myrules")


def test_missing_file_is_reported(rules_copy: Path) -> None:
    (rules_copy / "timing.v1.yaml").unlink()
    with pytest.raises(FormatError, match=r"timing\.v1\.yaml is missing"):
        load_ruleset(package="myrules")


def test_every_jargon_term_matches_itself() -> None:
    """A term whose pattern cannot find its own name is a typo in the list."""
    for term in DEFAULT_RULES.jargon:
        assert term.pattern.search(term.term.lower()), term.term
