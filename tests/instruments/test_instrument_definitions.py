"""Instrument files: complete, checked at load, with citation, licence and verified LOINC codes."""

from __future__ import annotations

import pytest

from bedside.errors import FormatError, ScoringError
from bedside.instruments import (
    INSTRUMENT_IDS,
    get_instrument,
    load_instrument_file,
    score,
    with_wording,
)

# LOINC codes from libraries.md §3 (several independent published sources each).
LOINC = {
    "phq9": (
        "44249-1",
        "44261-6",
        [
            "44250-9",
            "44255-8",
            "44259-0",
            "44254-1",
            "44251-7",
            "44258-2",
            "44252-5",
            "44253-3",
            "44260-8",
        ],
    ),
    "phq2": ("55757-9", "55758-7", ["44250-9", "44255-8"]),
    "gad7": (
        "69737-5",
        "70274-6",
        ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"],
    ),
    "gad2": (None, None, ["69725-0", "68509-9"]),
    "who5": (None, None, [None] * 5),
}


@pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
def test_every_instrument_has_source_licence_and_wording(instrument_id: str) -> None:
    definition = get_instrument(instrument_id)
    assert definition.key == f"{instrument_id}.v1"
    assert len(definition.citation) > 40
    assert len(definition.licence) > 20
    assert definition.stem
    assert all(item.text for item in definition.items)
    assert all(option.text for option in definition.options)


@pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
def test_loinc_codes_match_the_verified_table(instrument_id: str) -> None:
    panel, total, items = LOINC[instrument_id]
    definition = get_instrument(instrument_id)
    assert (definition.loinc.panel, definition.loinc.total) == (panel, total)
    assert [item.loinc for item in definition.items] == items


def test_only_phq9_item9_is_a_safety_item() -> None:
    for instrument_id in INSTRUMENT_IDS:
        safety = [n for n, item in enumerate(get_instrument(instrument_id).items, 1) if item.safety]
        assert safety == ([9] if instrument_id == "phq9" else [])


def test_phq_answer_options_use_the_loinc_answer_codes() -> None:
    options = get_instrument("phq9").options
    assert [(o.value, o.loinc) for o in options] == [
        (0, "LA6568-5"),
        (1, "LA6569-3"),
        (2, "LA6570-1"),
        (3, "LA6571-9"),
    ]


MINIMAL = """
id: demo
version: 1
title: Demo
short_title: Demo
measures: demo
stem: stem
citation: c
licence: l
wording_shipped: true
loinc: {panel: null, total: null}
options: [{value: 0, text: never}, {value: 1, text: always}]
items: [{text: a}, {text: b}]
bands: [{name: low, label: Low, min: 0, max: 1}, {name: high, label: High, min: 2, max: 2}]
band_basis: total
positive: {basis: total, at_least: 2}
"""


def test_a_well_formed_file_loads_and_scores() -> None:
    demo = load_instrument_file(MINIMAL, source="demo.v1.yaml")
    assert score(demo, [1, 1]).band == "high"


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(FormatError, match=r"demo.v1.yaml: colour"):
        load_instrument_file(MINIMAL + "colour: blue\n", source="demo.v1.yaml")


def test_bands_with_a_gap_are_rejected() -> None:
    broken = MINIMAL.replace("min: 2, max: 2", "min: 3, max: 3")
    with pytest.raises(FormatError, match="band 'high' must start at 2"):
        load_instrument_file(broken, source="demo.v1.yaml")


def test_bands_short_of_the_maximum_are_rejected() -> None:
    broken = MINIMAL.replace(
        "{name: high, label: High, min: 2, max: 2}", "{name: high, label: High, min: 2, max: 3}"
    )
    with pytest.raises(FormatError, match="must end at the maximum 2"):
        load_instrument_file(broken, source="demo.v1.yaml")


def test_cutoff_needs_exactly_one_bound() -> None:
    broken = MINIMAL.replace(
        "{basis: total, at_least: 2}", "{basis: total, at_least: 2, at_most: 1}"
    )
    with pytest.raises(FormatError, match="exactly one"):
        load_instrument_file(broken, source="demo.v1.yaml")


def test_invalid_yaml_gives_a_line() -> None:
    with pytest.raises(FormatError, match=r"x.yaml:\d+: not valid YAML"):
        load_instrument_file("id: [unclosed\n", source="x.yaml")
    with pytest.raises(FormatError, match="expected a mapping"):
        load_instrument_file("- a\n", source="x.yaml")


def test_deployment_supplied_wording_keeps_scoring() -> None:
    local = with_wording(
        get_instrument("who5"),
        {"stem": "S", "items": ["1", "2", "3", "4", "5"], "options": {"0": "Never"}},
    )
    assert local.stem == "S" and [i.text for i in local.items] == ["1", "2", "3", "4", "5"]
    assert local.option(0).text == "Never" and local.wording_shipped is False
    assert score(local, [1, 1, 1, 1, 1]) == score("who5", [1, 1, 1, 1, 1])
    with pytest.raises(ScoringError, match="wording has 1 items"):
        with_wording(get_instrument("who5"), {"items": ["x"]})
    with pytest.raises(ScoringError, match="unknown wording keys"):
        with_wording(get_instrument("who5"), {"title": "x"})
