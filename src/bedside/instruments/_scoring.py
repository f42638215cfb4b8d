"""Scoring: a pure function of an instrument definition and the patient's answers.

Missing and out-of-range answers are rejected with a `ScoringError` that names the item and the
accepted range. Nothing is ever imputed or prorated: `allow_missing=True` returns a partial
result with no total rather than a guess. PHQ-9 item 9 (thoughts of self-harm) is handled on its
own: any answer above 0 raises `self_harm_risk` whatever the total, a missing item 9 is reported
as "needs asking", and a 0 is reported as "not endorsed today", never as "no risk".

The hot path is table-driven (bands and cut-offs are looked up by total, answers checked with
C-level set operations) and the result is a typed `NamedTuple`, which is immutable like a frozen
dataclass but about six times cheaper to build (a frozen dataclass sets each field through
`object.__setattr__`); together that keeps one process well above 200,000 responses a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from functools import cache
from numbers import Integral
from typing import Any, NamedTuple

from bedside.errors import ScoringError
from bedside.instruments._definition import Instrument, get_instrument

__all__ = ["SELF_HARM_RISK", "SafetyStatus", "Score", "score", "scorer"]

#: Flag raised whenever PHQ-9 item 9 is above 0.
SELF_HARM_RISK = "self_harm_risk"
_INT_ONLY = {int}


class SafetyStatus(StrEnum):
    """The state of a safety item (PHQ-9 item 9). There is deliberately no "no risk" value."""

    RISK = "self_harm_risk"
    NEEDS_ASKING = "needs_asking"
    NOT_ENDORSED = "not_endorsed"

    @property
    def clinician_text(self) -> str:
        """What a clinician sees; a 0 is never described as the absence of risk."""
        return _SAFETY_TEXT[self]


_SAFETY_TEXT = {
    SafetyStatus.RISK: "Thoughts of self-harm reported (item 9 above 0): assess risk now, whatever the total.",
    SafetyStatus.NEEDS_ASKING: "Item 9 (thoughts of self-harm) was not answered: needs asking.",
    SafetyStatus.NOT_ENDORSED: (
        "Item 9 answered 'Not at all' today. This does not rule out risk; ask directly if concerned."
    ),
}


class Score(NamedTuple):
    """The scored result of one questionnaire response.

    `total`, `band` and `positive` are None when answers are missing (partial scoring never
    guesses). `safety` is None for instruments without a safety item.
    """

    instrument: str
    version: int
    answers: tuple[int | None, ...]
    total: int | None
    band: str | None
    positive: bool | None
    flags: tuple[str, ...]
    percentage: int | None = None
    missing: tuple[int, ...] = ()
    safety: SafetyStatus | None = None

    @property
    def complete(self) -> bool:
        """Whether every item was answered."""
        return not self.missing

    def to_json(self) -> dict[str, Any]:
        """The `bedside score` JSON document (contracts.md), plus `version`, `safety` and `missing`."""
        return {
            "instrument": self.instrument,
            "total": self.total,
            "band": self.band,
            "positive": self.positive,
            "flags": list(self.flags),
            "percentage": self.percentage,
            "version": self.version,
            "safety": self.safety.value if self.safety is not None else None,
            "missing": list(self.missing),
        }


class _Scorer:
    """Precomputed lookup tables for one instrument: the fast, exact scoring path."""

    __slots__ = (
        "band_by_value",
        "flags_by_value",
        "high",
        "instrument",
        "low",
        "multiplier",
        "n_items",
        "name",
        "positive_by_value",
        "safety_flags",
        "valid",
        "version",
    )

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.name = instrument.id
        self.version = instrument.version
        self.n_items = len(instrument.items)
        self.low = instrument.min_answer
        self.high = instrument.max_answer
        self.valid = frozenset(range(self.low, self.high + 1))
        self.multiplier = instrument.percentage_multiplier
        top = instrument.max_total
        basis_of = self._basis
        self.band_by_value: tuple[str | None, ...] = tuple(
            self._band(basis_of(total, instrument.band_basis)) for total in range(top + 1)
        )
        positive = instrument.positive
        self.positive_by_value = tuple(
            positive.met(basis_of(total, positive.basis)) for total in range(top + 1)
        )
        self.flags_by_value = tuple(
            tuple(
                flag.name or ""
                for flag in instrument.flags
                if flag.met(basis_of(total, flag.basis))
            )
            for total in range(top + 1)
        )
        self.safety_flags = tuple(
            (index, item.safety)
            for index, item in enumerate(instrument.items)
            if item.safety is not None
        )

    def _basis(self, total: int, basis: str) -> int:
        if basis == "percentage":
            assert self.multiplier is not None
            return total * self.multiplier
        return total

    def _band(self, value: int) -> str | None:
        for band in self.instrument.bands:
            if band.min <= value <= band.max:
                return band.name
        return None

    def _bad_answer(self, index: int, answer: object) -> ScoringError:
        item = self.instrument.items[index]
        if answer is None:
            if item.safety is not None:
                return ScoringError(
                    f"{self.name} item {index + 1} ({item.text!r}) is missing: it is a safety item and is "
                    "never imputed; it needs asking before the questionnaire can be scored"
                )
            return ScoringError(
                f"{self.name} item {index + 1} is missing; answer every item "
                f"(or score with allow_missing=True for a partial result without a total)"
            )
        labels = ", ".join(
            f"{o.value} = {o.text}" for o in sorted(self.instrument.options, key=lambda o: o.value)
        )
        return ScoringError(
            f"{self.name} item {index + 1} answer {answer!r} is out of range: "
            f"expected a whole number {self.low}-{self.high} ({labels})"
        )

    def __call__(self, answers: Sequence[int | None], *, allow_missing: bool = False) -> Score:
        if len(answers) != self.n_items:
            raise ScoringError(
                f"{self.name} expects {self.n_items} answers (items 1-{self.n_items} in order), "
                f"got {len(answers)}"
            )
        # Fast path: every answer an int (not bool or float, which compare equal) in range.
        try:
            fast = self.valid.issuperset(answers) and set(map(type, answers)) == _INT_ONLY
        except TypeError:  # an unhashable answer: let the slow path name it
            fast = False
        if fast:
            total: int = sum(answers)  # type: ignore[arg-type]
            safety: SafetyStatus | None = None
            flags: tuple[str, ...] = ()
            for index, flag in self.safety_flags:
                if answers[index]:
                    safety = SafetyStatus.RISK
                    flags = (flag,)
                else:
                    safety = SafetyStatus.NOT_ENDORSED
            extra = self.flags_by_value[total]
            return Score(
                self.name,
                self.version,
                tuple(answers),
                total,
                self.band_by_value[total],
                self.positive_by_value[total],
                flags + extra if extra else flags,
                total * self.multiplier if self.multiplier is not None else None,
                (),
                safety,
            )
        return self._checked(answers, allow_missing=allow_missing)

    def _checked(self, answers: Sequence[int | None], *, allow_missing: bool) -> Score:
        """The slow path: find the first bad answer for a precise error, or score with gaps."""
        valid = self.valid
        total = 0
        missing: list[int] = []
        clean: list[int | None] = []
        for index, answer in enumerate(answers):
            # bool and float compare equal to 0/1, so they are refused by type; other integer
            # types (numpy.int64) are accepted as the whole numbers they are.
            if (
                isinstance(answer, Integral)
                and not isinstance(answer, bool)
                and int(answer) in valid
            ):
                total += int(answer)
                clean.append(int(answer))
            elif answer is None and allow_missing:
                missing.append(index + 1)
                clean.append(None)
            else:
                raise self._bad_answer(index, answer)
        answers = clean
        flags: tuple[str, ...] = ()
        safety: SafetyStatus | None = None
        for index, flag in self.safety_flags:
            answer = answers[index]
            if answer is None:
                safety = SafetyStatus.NEEDS_ASKING
            elif answer > 0:
                safety = SafetyStatus.RISK
                flags = (flag,)
            else:
                safety = SafetyStatus.NOT_ENDORSED
        if missing:
            return Score(
                self.name,
                self.version,
                tuple(answers),
                None,
                None,
                None,
                flags,
                None,
                tuple(missing),
                safety,
            )
        return Score(
            self.name,
            self.version,
            tuple(answers),
            total,
            self.band_by_value[total],
            self.positive_by_value[total],
            flags + self.flags_by_value[total] if self.flags_by_value[total] else flags,
            total * self.multiplier if self.multiplier is not None else None,
            (),
            safety,
        )


@cache
def scorer(instrument_id: str, version: int = 1) -> _Scorer:
    """The compiled scorer of a shipped instrument (cached): `scorer("phq9")([0, 1, ...])`."""
    return _Scorer(get_instrument(instrument_id, version))


def score(
    instrument: Instrument | str, answers: Sequence[int | None], *, allow_missing: bool = False
) -> Score:
    """Score one response exactly as the instrument publishes it.

    Args:
        instrument: an `Instrument` or the id of a shipped one (`"phq9"`, `"gad7"`, `"who5"` ...).
        answers: item scores as published, in item order (PHQ/GAD 0-3, WHO-5 0-5); None marks a
            missing answer.
        allow_missing: return a partial result (no total, band or screen; `missing` lists the
            items) instead of raising. Safety items are still evaluated: a PHQ-9 item 9 of 2 with
            other items missing still raises `self_harm_risk`.

    Raises:
        ScoringError: wrong number of answers, an answer out of range or not a whole number, or a
            missing answer when `allow_missing` is False.

    Example:
        >>> score("phq9", [1, 1, 2, 2, 1, 2, 2, 2, 1]).band
        'moderate'
    """
    if isinstance(instrument, str):
        return scorer(instrument)(answers, allow_missing=allow_missing)
    if not isinstance(answers, Sequence) or isinstance(answers, str | bytes):
        raise ScoringError(f"{instrument.id}: answers must be a sequence of item scores")
    return _compiled(instrument)(answers, allow_missing=allow_missing)


@cache
def _compiled(instrument: Instrument) -> _Scorer:
    return _Scorer(instrument)
