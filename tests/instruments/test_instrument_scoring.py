"""Scoring against the published cut-offs, written here independently of the YAML files."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedside.errors import ScoringError
from bedside.instruments import (
    INSTRUMENT_IDS,
    SafetyStatus,
    get_instrument,
    score,
    scorer,
)

# Published bands (inclusive), typed in from the sources, not read from the data files.
PUBLISHED_BANDS = {
    "phq9": [
        ("minimal", 0, 4),
        ("mild", 5, 9),
        ("moderate", 10, 14),
        ("moderately_severe", 15, 19),
        ("severe", 20, 27),
    ],
    "gad7": [("minimal", 0, 4), ("mild", 5, 9), ("moderate", 10, 14), ("severe", 15, 21)],
    # WHO-5 on the percentage scale (raw x 4): <= 28 likely depression, <= 50 poor well-being.
    "who5": [("likely_depression", 0, 28), ("poor_wellbeing", 29, 50), ("above_cutoff", 51, 100)],
}
ITEMS = {"phq9": 9, "phq2": 2, "gad7": 7, "gad2": 2, "who5": 5}
MAX_ANSWER = {"phq9": 3, "phq2": 3, "gad7": 3, "gad2": 3, "who5": 5}


def answers_with_total(instrument_id: str, total: int) -> list[int]:
    """A valid answer vector with the given total, filled from item 1 (PHQ-9 item 9 filled last)."""
    n, top = ITEMS[instrument_id], MAX_ANSWER[instrument_id]
    answers = [0] * n
    remaining = total
    for index in range(n):
        answers[index] = min(top, remaining)
        remaining -= answers[index]
    assert remaining == 0
    return answers


@pytest.mark.parametrize("instrument_id", ["phq9", "gad7"])
def test_every_band_boundary_on_the_total(instrument_id: str) -> None:
    for name, low, high in PUBLISHED_BANDS[instrument_id]:
        for total in (low, high):
            result = score(instrument_id, answers_with_total(instrument_id, total))
            assert (result.total, result.band) == (total, name)
        if low > 0:
            assert score(instrument_id, answers_with_total(instrument_id, low - 1)).band != name


@pytest.mark.parametrize("instrument_id", ["phq9", "gad7"])
def test_positive_screen_starts_at_ten(instrument_id: str) -> None:
    assert score(instrument_id, answers_with_total(instrument_id, 9)).positive is False
    assert score(instrument_id, answers_with_total(instrument_id, 10)).positive is True


@pytest.mark.parametrize("instrument_id", ["phq9", "gad7", "who5", "phq2", "gad2"])
def test_every_total_agrees_with_the_published_table(instrument_id: str) -> None:
    top = ITEMS[instrument_id] * MAX_ANSWER[instrument_id]
    for total in range(top + 1):
        result = score(instrument_id, answers_with_total(instrument_id, total))
        assert result.total == total
        if instrument_id == "who5":
            assert result.percentage == total * 4
            value = total * 4
        else:
            assert result.percentage is None
            value = total
        expected = next(
            (n for n, lo, hi in PUBLISHED_BANDS.get(instrument_id, []) if lo <= value <= hi), None
        )
        assert result.band == expected


def test_who5_percentage_and_both_flags_at_their_boundaries() -> None:
    # raw 7 -> 28 %: likely depression (and poor well-being); raw 8 -> 32 %: poor well-being only.
    at_28 = score("who5", [2, 2, 1, 1, 1])
    assert (at_28.total, at_28.percentage, at_28.band) == (7, 28, "likely_depression")
    assert set(at_28.flags) == {"poor_wellbeing", "likely_depression"}
    at_32 = score("who5", [2, 2, 2, 1, 1])
    assert (at_32.percentage, at_32.flags, at_32.positive) == (32, ("poor_wellbeing",), True)
    # raw 12 -> 48 % (<= 50, positive); raw 13 -> 52 % (the 1998 sheet's "below 13" rule agrees).
    assert score("who5", [3, 3, 2, 2, 2]).positive is True
    above = score("who5", [3, 3, 3, 2, 2])
    assert (above.percentage, above.positive, above.flags, above.band) == (
        52,
        False,
        (),
        "above_cutoff",
    )
    best = score("who5", [5, 5, 5, 5, 5])
    assert (best.total, best.percentage) == (25, 100)


def test_contract_example() -> None:
    # contracts.md: PHQ-9 total 14, moderate, positive, self_harm_risk.
    result = score("phq9", [1, 1, 2, 2, 1, 2, 2, 2, 1])
    assert result.to_json() | {"version": 1} == {
        "instrument": "phq9",
        "total": 14,
        "band": "moderate",
        "positive": True,
        "flags": ["self_harm_risk"],
        "percentage": None,
        "version": 1,
        "safety": "self_harm_risk",
        "missing": [],
    }


def test_published_extremes() -> None:
    assert score("phq9", [3] * 9).to_json()["total"] == 27
    assert score("phq9", [3] * 9).band == "severe"
    assert score("gad7", [3] * 7).total == 21
    assert score("phq9", [0] * 9).band == "minimal"


# ----- PHQ-9 item 9 --------------------------------------------------------------------------


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_item9_above_zero_flags_risk_whatever_the_total(item9: int) -> None:
    result = score("phq9", [0] * 8 + [item9])
    assert result.total == item9
    assert result.band == "minimal"
    assert result.positive is False
    assert "self_harm_risk" in result.flags
    assert result.safety is SafetyStatus.RISK


def test_item9_risk_is_kept_with_a_severe_total_too() -> None:
    result = score("phq9", [3] * 9)
    assert result.flags[0] == "self_harm_risk"


def test_item9_zero_is_not_endorsed_and_never_called_no_risk() -> None:
    result = score("phq9", [3] * 8 + [0])
    assert result.flags == ()
    assert result.safety is SafetyStatus.NOT_ENDORSED
    text = result.safety.clinician_text.lower()
    assert "no risk" not in text
    assert "does not rule out risk" in text
    assert all(status.value != "no_risk" for status in SafetyStatus)


def test_missing_item9_is_never_imputed() -> None:
    with pytest.raises(ScoringError, match=r"item 9 .*never imputed.*needs asking"):
        score("phq9", [1] * 8 + [None])
    partial = score("phq9", [1] * 8 + [None], allow_missing=True)
    assert partial.safety is SafetyStatus.NEEDS_ASKING
    assert (partial.total, partial.band, partial.positive) == (None, None, None)
    assert partial.missing == (9,)
    assert "needs asking" in partial.safety.clinician_text


def test_item9_risk_survives_other_missing_items() -> None:
    partial = score("phq9", [None] * 8 + [2], allow_missing=True)
    assert partial.flags == ("self_harm_risk",)
    assert partial.safety is SafetyStatus.RISK
    assert partial.missing == tuple(range(1, 9))


@pytest.mark.parametrize("instrument_id", ["phq2", "gad2", "gad7", "who5"])
def test_other_instruments_have_no_safety_status(instrument_id: str) -> None:
    result = score(instrument_id, [1] * ITEMS[instrument_id])
    assert result.safety is None
    assert "self_harm_risk" not in result.flags


# ----- two-item screens: every answer vector ---------------------------------------------------


@pytest.mark.parametrize("instrument_id", ["phq2", "gad2"])
def test_all_sixteen_vectors_of_the_two_item_screens(instrument_id: str) -> None:
    for first, second in itertools.product(range(4), repeat=2):
        result = score(instrument_id, [first, second])
        assert result.total == first + second
        assert result.positive is (first + second >= 3)
        assert result.band is None


@given(st.sampled_from(["phq2", "gad2"]), st.lists(st.integers(0, 3), min_size=2, max_size=2))
def test_two_item_screens_property(instrument_id: str, answers: list[int]) -> None:
    result = score(instrument_id, answers)
    assert result.total == sum(answers)
    assert result.positive == (sum(answers) >= 3)
    assert result.flags == ()


@given(st.lists(st.integers(-5, 8), min_size=2, max_size=2))
def test_two_item_screens_reject_exactly_the_out_of_range(answers: list[int]) -> None:
    if all(0 <= value <= 3 for value in answers):
        assert score("phq2", answers).total == sum(answers)
    else:
        with pytest.raises(ScoringError, match="out of range"):
            score("phq2", answers)


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_phq9_property_item9_flag_iff_above_zero(answers: list[int]) -> None:
    result = score("phq9", answers)
    assert ("self_harm_risk" in result.flags) == (answers[8] > 0)
    assert result.total == sum(answers)


# ----- bad answers -----------------------------------------------------------------------------


@pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
def test_wrong_number_of_answers(instrument_id: str) -> None:
    n = ITEMS[instrument_id]
    for count in (0, n - 1, n + 1):
        with pytest.raises(ScoringError, match=rf"expects {n} answers .*got {count}"):
            score(instrument_id, [0] * count)


@pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
@pytest.mark.parametrize("bad", [-1, 4, 6, 100, 1.0, True, "1"])
def test_out_of_range_or_wrong_type(instrument_id: str, bad: object) -> None:
    top = MAX_ANSWER[instrument_id]
    if bad in range(top + 1) and type(bad) is int:
        return  # 4 is valid for WHO-5
    answers: list[object] = [0] * ITEMS[instrument_id]
    answers[1] = bad
    with pytest.raises(
        ScoringError, match=rf"item 2 answer .* out of range: expected a whole number 0-{top}"
    ):
        score(instrument_id, answers)  # type: ignore[arg-type]


@pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
def test_missing_answer_is_rejected(instrument_id: str) -> None:
    answers: list[int | None] = [0] * ITEMS[instrument_id]
    answers[0] = None
    with pytest.raises(ScoringError, match="item 1 is missing"):
        score(instrument_id, answers)


def test_unknown_instrument() -> None:
    with pytest.raises(ScoringError, match=r"unknown instrument 'phq10'.*phq9"):
        score("phq10", [0])


def test_score_accepts_an_instrument_object_and_ids_agree() -> None:
    definition = get_instrument("gad7")
    assert score(definition, [1] * 7) == score("gad7", [1] * 7) == scorer("gad7")([1] * 7)
    with pytest.raises(ScoringError, match="sequence"):
        score(definition, "0123456")


def test_integer_types_other_than_int_are_accepted_and_unhashables_rejected() -> None:
    import numpy as np

    row = np.array([1, 1, 2, 2, 1, 2, 2, 2, 1])
    result = score("phq9", list(row))
    assert result == score("phq9", [1, 1, 2, 2, 1, 2, 2, 2, 1])
    assert all(type(answer) is int for answer in result.answers)
    with pytest.raises(ScoringError, match=r"item 1 answer \[1\] is out of range"):
        score("phq2", [[1], 0])  # type: ignore[list-item]


def test_scores_are_immutable() -> None:
    result = score("gad2", [1, 1])
    with pytest.raises(AttributeError):
        result.total = 6  # type: ignore[misc]
