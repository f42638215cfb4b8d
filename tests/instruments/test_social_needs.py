"""AHC HRSN screening exactly as CMS describes it; unanswered domains are 'not screened'."""

from __future__ import annotations

import itertools

import pytest

from bedside.errors import ScoringError
from bedside.instruments import get_social_needs_tool, screen_social_needs

SAFETY_ITEMS = ("physically_hurt", "insult", "threaten", "scream_curse")
FREQUENCY = ("never", "rarely", "sometimes", "fairly_often", "frequently")  # scored 1-5


def test_tool_has_the_ten_core_questions_and_cms_credits() -> None:
    tool = get_social_needs_tool()
    assert tool.key == "ahc_hrsn.v1"
    assert len(tool.items) == 10
    assert "Hunger Vital Sign" in tool.licence and "HITS" in tool.licence
    assert tool.loinc["panel"] == "96777-8"


@pytest.mark.parametrize(
    ("answer", "positive"), [("steady", False), ("worried", True), ("not_steady", True)]
)
def test_living_situation(answer: str, positive: bool) -> None:
    assert screen_social_needs({"living_situation": answer}).domains["living_situation"] is positive


@pytest.mark.parametrize(
    ("worry", "ran_out", "positive"),
    [
        ("never", "never", False),
        ("sometimes", "never", True),
        ("never", "often", True),
        ("often", "often", True),
    ],
)
def test_food_either_question(worry: str, ran_out: str, positive: bool) -> None:
    result = screen_social_needs({"food_worry": worry, "food_ran_out": ran_out})
    assert result.domains["food"] is positive


def test_food_one_positive_answer_is_enough_one_negative_is_not() -> None:
    assert screen_social_needs({"food_worry": "often"}).domains["food"] is True
    assert screen_social_needs({"food_worry": "never"}).domains["food"] is None


def test_transport_and_utilities() -> None:
    assert screen_social_needs({"transportation": "yes"}).domains["transportation"] is True
    assert screen_social_needs({"transportation": "no"}).domains["transportation"] is False
    for answer, positive in (("yes", True), ("already_shut_off", True), ("no", False)):
        assert screen_social_needs({"utilities": answer}).domains["utilities"] is positive


def test_housing_quality_is_choose_all() -> None:
    assert (
        screen_social_needs({"housing_problems": ["mold", "pests"]}).domains["housing_quality"]
        is True
    )
    assert screen_social_needs({"housing_problems": ["none"]}).domains["housing_quality"] is False
    with pytest.raises(ScoringError, match="'none' cannot be combined"):
        screen_social_needs({"housing_problems": ["none", "mold"]})


def test_interpersonal_safety_positive_above_ten_over_all_answer_vectors() -> None:
    for combo in itertools.product(range(5), repeat=4):
        answers = {item: FREQUENCY[value] for item, value in zip(SAFETY_ITEMS, combo, strict=True)}
        result = screen_social_needs(answers)
        total = sum(combo) + 4
        assert result.interpersonal_safety_total == total
        assert result.domains["interpersonal_safety"] is (total > 10)


def test_partial_safety_answers() -> None:
    partial = screen_social_needs({"physically_hurt": "never", "insult": "rarely"})
    assert partial.domains["interpersonal_safety"] is None
    assert partial.interpersonal_safety_total is None
    already = screen_social_needs(
        {"physically_hurt": "frequently", "threaten": "frequently", "insult": "rarely"}
    )
    assert already.domains["interpersonal_safety"] is True


def test_unanswered_domains_are_not_screened_never_negative() -> None:
    result = screen_social_needs({})
    assert result.positive_domains == ()
    assert set(result.not_screened) == set(get_social_needs_tool().domains)
    assert result.to_json()["domains"]["food"] is None


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"shoe_size": "9"}, "unknown social needs item 'shoe_size'"),
        (
            {"food_worry": "maybe"},
            "unknown answer 'maybe'; expected one of never, often, sometimes",
        ),
        ({"transportation": ["yes", "no"]}, "takes one answer, got 2"),
        ({"housing_problems": []}, "choose at least one answer"),
    ],
)
def test_bad_answers(answers: dict[str, object], message: str) -> None:
    with pytest.raises(ScoringError, match=message):
        screen_social_needs(answers)  # type: ignore[arg-type]
