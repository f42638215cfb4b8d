"""Care plans from reviewable rules: problems, the patient's own goals, actions, referrals, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bedside.errors import FormatError, ScoringError
from bedside.instruments import (
    build_care_plan,
    get_care_plan_rules,
    load_care_plan_rules,
    render_patient_plan,
    revise_care_plan,
    score,
    screen_social_needs,
    sign_care_plan,
)

TODAY = date(2026, 11, 25)

try:  # the engine's public Flesch-Kincaid grade
    from bedside.engine import readability_grade
except ImportError:  # pragma: no cover - fallback FK with a vowel-group syllable rule
    import re

    def readability_grade(text: str) -> float:
        words = re.findall(r"[a-z]+", text.lower())
        sentences = max(
            1, len([s for s in re.split(r"[.!?]+", text) if re.search(r"[a-z]", s.lower())])
        )
        syllables = sum(max(1, len(re.findall(r"[aeiouy]+", w.rstrip("e")))) for w in words)
        return 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59


def as_sentences(markdown: str) -> str:
    """Each heading or bullet is read as its own unit, so it counts as a sentence."""
    lines = [line.lstrip("#- ").strip() for line in markdown.splitlines() if line.strip()]
    return " ".join(line if line[-1] in ".!?" else line + "." for line in lines)


def phq9_with_total(total: int, item9: int = 0) -> list[int]:
    answers = [0] * 9
    answers[8] = item9
    remaining = total - item9
    for index in range(8):
        answers[index] = min(3, remaining)
        remaining -= answers[index]
    return answers


def rules_fired(plan) -> list[str]:
    return [problem.rule for problem in plan.problems]


def test_phq9_moderate_discuss_and_offer_counselling() -> None:
    plan = build_care_plan(scores=[score("phq9", phq9_with_total(12))], today=TODAY)
    assert rules_fired(plan) == ["phq9_moderate"]
    assert "offer counselling" in plan.actions[0].text
    assert plan.referrals[0].service.startswith("Counselling")
    assert plan.follow_up == date(2026, 12, 9)
    assert plan.status == "draft" and plan.ruleset == "bedside.careplan_rules.v1"


def test_food_insecurity_gives_food_resources() -> None:
    social = screen_social_needs({"food_worry": "sometimes", "food_ran_out": "never"})
    plan = build_care_plan(social_needs=social, today=TODAY)
    assert rules_fired(plan) == ["food_insecurity"]
    assert "food bank" in plan.referrals[0].service.lower()


@pytest.mark.parametrize(
    ("total", "rule"),
    [
        (4, None),
        (5, "phq9_mild"),
        (9, "phq9_mild"),
        (10, "phq9_moderate"),
        (14, "phq9_moderate"),
        (15, "phq9_moderately_severe"),
        (19, "phq9_moderately_severe"),
        (20, "phq9_severe"),
        (27, "phq9_severe"),
    ],
)
def test_phq9_band_rules_at_every_boundary(total: int, rule: str | None) -> None:
    plan = build_care_plan(scores=[score("phq9", phq9_with_total(total))], today=TODAY)
    assert rules_fired(plan) == ([rule] if rule else [])


def test_item9_makes_an_urgent_problem_first_even_with_a_low_total() -> None:
    plan = build_care_plan(
        scores=[score("gad7", [3] * 7), score("phq9", phq9_with_total(1, item9=1))], today=TODAY
    )
    assert plan.problems[0].rule == "phq9_self_harm"
    assert plan.problems[0].priority == "urgent" and plan.urgent
    assert plan.follow_up == date(2026, 11, 26)


def test_missing_item9_makes_a_needs_asking_problem() -> None:
    partial = score("phq9", [1] * 8 + [None], allow_missing=True)
    plan = build_care_plan(scores=[partial], today=TODAY)
    assert rules_fired(plan) == ["phq9_item9_needs_asking"]
    assert "do not assume a negative" in plan.actions[0].text


def test_screens_lead_to_the_full_instrument() -> None:
    plan = build_care_plan(
        scores=[score("phq2", [2, 1]), score("gad2", [1, 2]), score("who5", [1, 1, 1, 1, 1])],
        today=TODAY,
    )
    assert rules_fired(plan) == ["phq2_positive", "gad2_positive", "who5_likely_depression"]


def test_latest_score_of_an_instrument_wins() -> None:
    plan = build_care_plan(
        scores=[score("phq9", phq9_with_total(22)), score("phq9", phq9_with_total(6))], today=TODAY
    )
    assert rules_fired(plan) == ["phq9_mild"]


def test_patient_goals_and_what_matters_are_kept_verbatim_and_first() -> None:
    plan = build_care_plan(
        scores=[score("phq9", phq9_with_total(16))],
        what_matters="  Being well enough to walk my dog with my grandson ",
        goals=["Sleep through the night", "  "],
        today=TODAY,
    )
    assert plan.what_matters == "Being well enough to walk my dog with my grandson"
    assert plan.goals[0].text == "Sleep through the night" and plan.goals[0].source == "patient"
    assert [goal.source for goal in plan.goals] == ["patient", "clinical"]
    text = render_patient_plan(plan)
    assert "walk my dog with my grandson" in text and "Sleep through the night" in text


def test_clinician_edits_and_signs_and_a_signed_plan_is_never_changed_in_place() -> None:
    plan = build_care_plan(scores=[score("phq9", phq9_with_total(12))], today=TODAY)
    edited = revise_care_plan(plan, what_matters="My garden")
    assert edited.what_matters == "My garden" and edited.revision == 1
    at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    signed = sign_care_plan(edited, clinician="Dr Lee", at=at)
    assert (signed.status, signed.signed_by, signed.signed_at) == ("signed", "Dr Lee", at)
    with pytest.raises(ScoringError, match="already signed by Dr Lee"):
        sign_care_plan(signed, clinician="Dr Other", at=at)
    again = revise_care_plan(signed, goals=())
    assert (again.status, again.revision, again.signed_by) == ("draft", 2, None)
    assert signed.status == "signed"
    assert "Agreed with Dr Lee" in render_patient_plan(signed)
    with pytest.raises(ScoringError, match="cannot be edited"):
        revise_care_plan(plan, status="signed")
    with pytest.raises(ScoringError, match="edit rejected"):
        revise_care_plan(plan, goals=[{"text": "x"}])
    with pytest.raises(ScoringError, match="named clinician"):
        sign_care_plan(plan, clinician=" ", at=at)


def test_every_plain_text_is_grade_8_or_below() -> None:
    for rule in get_care_plan_rules().rules:
        texts = [
            rule.problem.plain,
            *(a.plain for a in rule.actions),
            *(r.plain for r in rule.referrals),
        ]
        if rule.goal:
            texts.append(rule.goal.plain)
        for text in texts:
            assert readability_grade(text) <= 8, (rule.id, text)


def test_rendered_plans_are_grade_8_or_below() -> None:
    social = screen_social_needs(
        {
            "living_situation": "worried",
            "housing_problems": ["mold"],
            "food_worry": "often",
            "transportation": "yes",
            "utilities": "yes",
            "physically_hurt": "frequently",
            "insult": "frequently",
            "threaten": "rarely",
            "scream_curse": "rarely",
        }
    )
    plans = [
        build_care_plan(
            scores=[score("phq9", phq9_with_total(t, item9=1))],
            social_needs=social,
            what_matters="My family",
            goals=["Get back to work"],
            today=TODAY,
        )
        for t in (3, 12, 17, 24)
    ]
    plans.append(
        build_care_plan(scores=[score("gad7", [2] * 7), score("who5", [2] * 5)], today=TODAY)
    )
    for plan in plans:
        text = render_patient_plan(plan)
        assert readability_grade(as_sentences(text)) <= 8
        assert "PHQ" not in text and "GAD" not in text  # no jargon for the patient


def test_rules_file_is_checked() -> None:
    good = "id: r\nversion: 1\nrules:\n- id: a\n  when: {social_need: food}\n  problem: {title: t, plain: p}\n  follow_up_days: 3\n"
    assert load_care_plan_rules(good, source="r.yaml").key == "bedside.r.v1"
    with pytest.raises(FormatError, match="unknown social need 'shoes'"):
        load_care_plan_rules(good.replace("food", "shoes"), source="r.yaml")
    with pytest.raises(FormatError, match="unknown instrument 'phq99'"):
        load_care_plan_rules(
            good.replace("social_need: food", "instrument: phq99, positive: true"), source="r.yaml"
        )
    with pytest.raises(FormatError, match="needs band_in"):
        load_care_plan_rules(good.replace("social_need: food", "instrument: phq9"), source="r.yaml")
    with pytest.raises(FormatError, match=r"r\.yaml: rules\.0\.colour"):
        load_care_plan_rules(good + "  colour: red\n", source="r.yaml")
