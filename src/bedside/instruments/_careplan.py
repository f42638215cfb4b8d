"""Care plans: reviewable rules turn scores, social needs, what matters and goals into a plan.

The rules are data (`data/careplan_rules.v1.yaml`), so clinicians can read and change them
without reading Python. The plan starts from the patient: their answer to "What matters to you?"
and their own goals are kept word for word, ahead of any clinical goal a rule adds. A plan is a
draft until a clinician signs it; editing a signed plan makes a new draft revision, so a signed
version is never changed after the fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError, model_validator

from bedside.errors import FormatError, ScoringError
from bedside.instruments._definition import INSTRUMENT_IDS
from bedside.instruments._scoring import Score
from bedside.instruments._social import SocialNeedsResult, get_social_needs_tool

__all__ = [
    "CarePlan",
    "CarePlanAction",
    "CarePlanGoal",
    "CarePlanRules",
    "Problem",
    "Referral",
    "build_care_plan",
    "get_care_plan_rules",
    "load_care_plan_rules",
    "revise_care_plan",
    "sign_care_plan",
]

Priority = Literal["urgent", "routine"]


class _Text(BaseModel, frozen=True, extra="forbid"):
    text: str
    plain: str


class _ReferralText(BaseModel, frozen=True, extra="forbid"):
    service: str
    reason: str
    plain: str


class _ProblemText(BaseModel, frozen=True, extra="forbid"):
    title: str
    plain: str


class Condition(BaseModel, frozen=True, extra="forbid"):
    """When a rule fires; all given fields must hold."""

    instrument: str | None = None
    band_in: tuple[str, ...] | None = None
    positive: bool | None = None
    flag: str | None = None
    safety: str | None = None
    social_need: str | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> Condition:
        if (self.instrument is None) == (self.social_need is None):
            raise ValueError("a condition needs exactly one of instrument / social_need")
        if self.instrument is not None and self.instrument not in INSTRUMENT_IDS:
            raise ValueError(f"unknown instrument {self.instrument!r}")
        if self.instrument is not None and all(
            value is None for value in (self.band_in, self.positive, self.flag, self.safety)
        ):
            raise ValueError("an instrument condition needs band_in, positive, flag or safety")
        return self

    def holds(self, scores: dict[str, Score], social: SocialNeedsResult | None) -> bool:
        """Whether the condition holds for the latest score of each instrument."""
        if self.social_need is not None:
            return social is not None and bool(social.domains.get(self.social_need))
        result = scores.get(self.instrument or "")
        if result is None:
            return False
        if self.band_in is not None and result.band not in self.band_in:
            return False
        if self.positive is not None and result.positive is not self.positive:
            return False
        if self.flag is not None and self.flag not in result.flags:
            return False
        return self.safety is None or (
            result.safety is not None and result.safety.value == self.safety
        )


class Rule(BaseModel, frozen=True, extra="forbid"):
    """One care-plan rule."""

    id: str
    priority: Priority = "routine"
    when: Condition
    problem: _ProblemText
    goal: _Text | None = None
    actions: tuple[_Text, ...] = ()
    referrals: tuple[_ReferralText, ...] = ()
    follow_up_days: int


class CarePlanRules(BaseModel, frozen=True, extra="forbid"):
    """A versioned rule set."""

    id: str
    version: int
    rules: tuple[Rule, ...]

    @property
    def key(self) -> str:
        """Versioned name recorded in each plan, for example `bedside.careplan_rules.v1`."""
        return f"bedside.{self.id}.v{self.version}"

    @model_validator(mode="after")
    def _known_domains(self) -> CarePlanRules:
        domains = set(get_social_needs_tool().domains)
        ids = [rule.id for rule in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids must be unique")
        for rule in self.rules:
            if rule.when.social_need is not None and rule.when.social_need not in domains:
                raise ValueError(f"rule {rule.id!r}: unknown social need {rule.when.social_need!r}")
        return self


class Problem(BaseModel, frozen=True, extra="forbid"):
    """A problem on the plan, with the rule that raised it and its follow-up date."""

    rule: str | None
    title: str
    plain: str
    priority: Priority = "routine"
    follow_up: date | None = None


class CarePlanGoal(BaseModel, frozen=True, extra="forbid"):
    """A goal; `source="patient"` goals are the patient's own words, kept verbatim."""

    text: str
    plain: str
    source: Literal["patient", "clinical"]
    rule: str | None = None


class CarePlanAction(BaseModel, frozen=True, extra="forbid"):
    """Something the care team (or the patient) will do."""

    text: str
    plain: str
    rule: str | None = None


class Referral(BaseModel, frozen=True, extra="forbid"):
    """A referral to a service, with the reason a clinician sees and the patient's wording."""

    service: str
    reason: str
    plain: str
    rule: str | None = None


class CarePlan(BaseModel, frozen=True, extra="forbid"):
    """A personalised care plan: draft until a clinician signs it."""

    status: Literal["draft", "signed"] = "draft"
    revision: int = 1
    created: date
    ruleset: str
    what_matters: str | None = None
    problems: tuple[Problem, ...] = ()
    goals: tuple[CarePlanGoal, ...] = ()
    actions: tuple[CarePlanAction, ...] = ()
    referrals: tuple[Referral, ...] = ()
    signed_by: str | None = None
    signed_at: datetime | None = None

    @property
    def follow_up(self) -> date | None:
        """The earliest follow-up date of any problem."""
        dates = [problem.follow_up for problem in self.problems if problem.follow_up is not None]
        return min(dates) if dates else None

    @property
    def urgent(self) -> bool:
        """Whether any problem is urgent (a safety flag or interpersonal safety concern)."""
        return any(problem.priority == "urgent" for problem in self.problems)


def load_care_plan_rules(text: str, *, source: str) -> CarePlanRules:
    """Parse and check a rules file (YAML); unknown keys, instruments and domains are rejected."""
    try:
        raw = yaml.safe_load(text)
        return CarePlanRules.model_validate(raw)
    except yaml.YAMLError as error:
        raise FormatError(f"not valid YAML: {error}", source=source) from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise FormatError(f"{where}: {first['msg']}", source=source) from None


@cache
def get_care_plan_rules() -> CarePlanRules:
    """The shipped rules (`data/careplan_rules.v1.yaml`)."""
    name = "careplan_rules.v1.yaml"
    text = (resources.files("bedside.instruments.data") / name).read_text(encoding="utf-8")
    return load_care_plan_rules(text, source=name)


def _latest(scores: Iterable[Score]) -> dict[str, Score]:
    """Later scores of the same instrument replace earlier ones (callers pass oldest first)."""
    return {result.instrument: result for result in scores}


def build_care_plan(
    *,
    scores: Sequence[Score] = (),
    social_needs: SocialNeedsResult | None = None,
    what_matters: str | None = None,
    goals: Sequence[str] = (),
    today: date,
    rules: CarePlanRules | None = None,
) -> CarePlan:
    """Draft a care plan from scores (oldest first), social needs, what matters and goals.

    Example: a PHQ-9 of 12 (moderate) and a positive food screen give two problems, "discuss and
    offer counselling" and "food resources", with follow-ups 14 days out. The patient's goals come
    first, in their own words; urgent problems (a PHQ-9 item 9 above 0) come before routine ones.
    """
    rules = rules or get_care_plan_rules()
    latest = _latest(scores)
    problems: list[Problem] = []
    plan_goals = [
        CarePlanGoal(text=goal.strip(), plain=goal.strip(), source="patient")
        for goal in goals
        if goal.strip()
    ]
    actions: list[CarePlanAction] = []
    referrals: list[Referral] = []
    for rule in rules.rules:
        if not rule.when.holds(latest, social_needs):
            continue
        problems.append(
            Problem(
                rule=rule.id,
                title=rule.problem.title,
                plain=rule.problem.plain,
                priority=rule.priority,
                follow_up=today + timedelta(days=rule.follow_up_days),
            )
        )
        if rule.goal is not None:
            plan_goals.append(
                CarePlanGoal(
                    text=rule.goal.text, plain=rule.goal.plain, source="clinical", rule=rule.id
                )
            )
        actions.extend(
            CarePlanAction(text=a.text, plain=a.plain, rule=rule.id) for a in rule.actions
        )
        referrals.extend(
            Referral(service=r.service, reason=r.reason, plain=r.plain, rule=rule.id)
            for r in rule.referrals
        )
    problems.sort(key=lambda problem: problem.priority != "urgent")
    matters = what_matters.strip() if what_matters and what_matters.strip() else None
    return CarePlan(
        created=today,
        ruleset=rules.key,
        what_matters=matters,
        problems=tuple(problems),
        goals=tuple(plan_goals),
        actions=tuple(actions),
        referrals=tuple(referrals),
    )


_EDITABLE = frozenset({"what_matters", "problems", "goals", "actions", "referrals"})


def revise_care_plan(plan: CarePlan, **changes: Any) -> CarePlan:
    """The clinician's edit: a new draft with `changes`; a signed plan is never changed in place.

    Raises:
        ScoringError: an unknown or non-editable field (status, signature, ruleset).
    """
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ScoringError(
            f"care plan fields {sorted(unknown)} cannot be edited; editable: {sorted(_EDITABLE)}"
        )
    merged = plan.model_dump() | changes
    merged.update(status="draft", signed_by=None, signed_at=None)
    if plan.status == "signed":
        merged["revision"] = plan.revision + 1
    try:
        return CarePlan.model_validate(merged)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ScoringError(f"care plan edit rejected at {where}: {first['msg']}") from None


def sign_care_plan(plan: CarePlan, *, clinician: str, at: datetime) -> CarePlan:
    """Sign a draft plan. Signing twice is refused so the original signature is never replaced."""
    if plan.status == "signed":
        raise ScoringError(
            f"care plan revision {plan.revision} is already signed by {plan.signed_by}"
        )
    if not clinician.strip():
        raise ScoringError("a care plan must be signed by a named clinician")
    return plan.model_copy(
        update={"status": "signed", "signed_by": clinician.strip(), "signed_at": at}
    )
