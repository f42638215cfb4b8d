"""Social needs: the CMS AHC HRSN core questions, screened exactly as CMS describes.

Housing, food, transportation and utilities are positive when a fixed answer is chosen (for
example "Often true" or "Sometimes true" on either food question); interpersonal safety is the
sum of four items scored 1-5 and is positive above 10. A domain whose questions were not answered
is `None` ("not screened"), never negative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError, model_validator

from bedside.errors import FormatError, ScoringError

__all__ = [
    "SocialNeedsItem",
    "SocialNeedsOption",
    "SocialNeedsResult",
    "SocialNeedsTool",
    "get_social_needs_tool",
    "screen_social_needs",
]


class SocialNeedsOption(BaseModel, frozen=True, extra="forbid"):
    """One answer choice; `value` only for the frequency items that are summed."""

    code: str
    text: str
    value: int | None = None


class SocialNeedsItem(BaseModel, frozen=True, extra="forbid"):
    """One question with its domain and the answers that make the domain positive."""

    id: str
    domain: str
    text: str
    options: tuple[SocialNeedsOption, ...]
    positive: tuple[str, ...] = ()
    multiple: bool = False
    exclusive: str | None = None

    def option_codes(self) -> frozenset[str]:
        """Codes a patient may choose."""
        return frozenset(option.code for option in self.options)


class SumRule(BaseModel, frozen=True, extra="forbid"):
    """A domain that is positive when its items' values sum above a threshold."""

    domain: str
    greater_than: int


class SocialNeedsTool(BaseModel, frozen=True, extra="forbid"):
    """The AHC HRSN core questions as data."""

    id: str
    version: int
    title: str
    citation: str
    licence: str
    loinc: dict[str, str]
    domains: dict[str, str]
    items: tuple[SocialNeedsItem, ...]
    sum_rules: tuple[SumRule, ...] = ()

    @property
    def key(self) -> str:
        """Versioned name, for example `ahc_hrsn.v1`."""
        return f"{self.id}.v{self.version}"

    @model_validator(mode="after")
    def _consistent(self) -> SocialNeedsTool:
        for item in self.items:
            if item.domain not in self.domains:
                raise ValueError(f"item {item.id!r} has unknown domain {item.domain!r}")
            unknown = set(item.positive) - item.option_codes()
            if unknown:
                raise ValueError(
                    f"item {item.id!r} marks unknown options positive: {sorted(unknown)}"
                )
        return self


@dataclass(frozen=True, slots=True)
class SocialNeedsResult:
    """Per-domain screen: True positive, False negative, None not screened (unanswered)."""

    domains: dict[str, bool | None]
    interpersonal_safety_total: int | None
    answered: dict[str, tuple[str, ...]]

    @property
    def positive_domains(self) -> tuple[str, ...]:
        """Domains screened positive, in the tool's order."""
        return tuple(domain for domain, positive in self.domains.items() if positive)

    @property
    def not_screened(self) -> tuple[str, ...]:
        """Domains with no answer: ask again rather than assume no need."""
        return tuple(domain for domain, positive in self.domains.items() if positive is None)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for APIs and storage."""
        return {
            "domains": dict(self.domains),
            "positive_domains": list(self.positive_domains),
            "interpersonal_safety_total": self.interpersonal_safety_total,
        }


@cache
def get_social_needs_tool() -> SocialNeedsTool:
    """The shipped AHC HRSN definition (`data/ahc_hrsn.v1.yaml`)."""
    name = "ahc_hrsn.v1.yaml"
    text = (resources.files("bedside.instruments.data") / name).read_text(encoding="utf-8")
    try:
        return SocialNeedsTool.model_validate(yaml.safe_load(text))
    except ValidationError as error:
        first = error.errors()[0]
        raise FormatError(
            f"{'.'.join(map(str, first['loc']))}: {first['msg']}", source=name
        ) from None


def _choices(item: SocialNeedsItem, answer: str | Sequence[str]) -> tuple[str, ...]:
    chosen = (answer,) if isinstance(answer, str) else tuple(answer)
    if not chosen:
        raise ScoringError(f"social needs item {item.id!r}: choose at least one answer")
    if len(chosen) > 1 and not item.multiple:
        raise ScoringError(f"social needs item {item.id!r} takes one answer, got {len(chosen)}")
    unknown = [code for code in chosen if code not in item.option_codes()]
    if unknown:
        expected = ", ".join(sorted(item.option_codes()))
        raise ScoringError(
            f"social needs item {item.id!r}: unknown answer {unknown[0]!r}; expected one of {expected}"
        )
    if item.exclusive is not None and item.exclusive in chosen and len(chosen) > 1:
        raise ScoringError(
            f"social needs item {item.id!r}: {item.exclusive!r} cannot be combined with other answers"
        )
    return chosen


def screen_social_needs(
    answers: Mapping[str, str | Sequence[str]], *, tool: SocialNeedsTool | None = None
) -> SocialNeedsResult:
    """Screen the AHC HRSN core answers (item id -> option code, or codes for "choose all").

    Unanswered items are allowed (patients may skip); their domain is None unless another
    answered item of the same domain is already positive. For interpersonal safety the sum is
    only computed when all four items are answered, except that a partial sum above 10 is
    already positive.

    Raises:
        ScoringError: an unknown item id, an unknown answer code, or several answers to a
            single-choice item.
    """
    tool = tool or get_social_needs_tool()
    by_id = {item.id: item for item in tool.items}
    unknown = [key for key in answers if key not in by_id]
    if unknown:
        raise ScoringError(
            f"unknown social needs item {unknown[0]!r}; expected one of {', '.join(by_id)}"
        )
    answered = {item_id: _choices(by_id[item_id], answer) for item_id, answer in answers.items()}
    summed = {rule.domain: rule for rule in tool.sum_rules}
    domains: dict[str, bool | None] = {}
    safety_total: int | None = None
    for domain in tool.domains:
        items = [item for item in tool.items if item.domain == domain]
        if domain in summed:
            values = {option.code: option.value or 0 for option in items[0].options}
            present = [
                sum(values[code] for code in answered[item.id])
                for item in items
                if item.id in answered
            ]
            partial = sum(present)
            complete = len(present) == len(items)
            if complete:
                safety_total = partial
            if partial > summed[domain].greater_than:
                domains[domain] = True
            else:
                domains[domain] = False if complete else None
            continue
        results = [
            any(code in item.positive for code in answered[item.id])
            for item in items
            if item.id in answered
        ]
        if any(results):
            domains[domain] = True
        elif len(results) == len(items):
            domains[domain] = False
        else:
            domains[domain] = None
    return SocialNeedsResult(
        domains=domains, interpersonal_safety_total=safety_total, answered=answered
    )
