"""Instrument definitions as data: wording, options, bands, cut-offs, citation and licence.

Each questionnaire lives in a versioned YAML file in `bedside/instruments/data/` (for example
`phq9.v1.yaml`) so that clinicians can review the exact wording and cut-offs without reading
Python, and so that every score can name the definition that produced it (`phq9.v1`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError, model_validator

from bedside.errors import FormatError, ScoringError

__all__ = [
    "INSTRUMENT_IDS",
    "AnswerOption",
    "Band",
    "Cutoff",
    "Instrument",
    "Item",
    "LoincCodes",
    "get_instrument",
    "load_instrument_file",
    "with_wording",
]

#: The scored instruments shipped with bedside, in the order the CLI lists them.
INSTRUMENT_IDS: tuple[str, ...] = ("phq9", "phq2", "gad7", "gad2", "who5")

_DATA_PACKAGE = "bedside.instruments.data"


class AnswerOption(BaseModel, frozen=True, extra="forbid"):
    """One answer choice: the published item score, its wording and (when verified) its LOINC code."""

    value: int
    text: str
    loinc: str | None = None


class Item(BaseModel, frozen=True, extra="forbid"):
    """One question. `safety` names the flag raised when the item is above 0 (PHQ-9 item 9)."""

    text: str
    loinc: str | None = None
    safety: str | None = None


class Band(BaseModel, frozen=True, extra="forbid"):
    """A severity band: inclusive range of the total (or percentage) with its published name."""

    name: str
    label: str
    min: int
    max: int


class Cutoff(BaseModel, frozen=True, extra="forbid"):
    """A published cut-off on the total or percentage: `at_least` or `at_most` (inclusive)."""

    name: str | None = None
    basis: Literal["total", "percentage"]
    at_least: int | None = None
    at_most: int | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Cutoff:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("a cut-off needs exactly one of at_least / at_most")
        return self

    def met(self, value: int) -> bool:
        """Whether `value` (total or percentage, per `basis`) meets the cut-off."""
        if self.at_least is not None:
            return value >= self.at_least
        assert self.at_most is not None
        return value <= self.at_most


class LoincCodes(BaseModel, frozen=True, extra="forbid"):
    """LOINC codes verified in published sources; None where none could be verified."""

    panel: str | None = None
    total: str | None = None


class Instrument(BaseModel, frozen=True, extra="forbid"):
    """A scored questionnaire, exactly as published.

    Example: PHQ-9 has nine items scored 0-3 (0 = "Not at all" ... 3 = "Nearly every day"), a
    total of 0-27, five severity bands and a positive screen at a total of 10 or more; item 9
    carries `safety: self_harm_risk`.
    """

    id: str
    version: int
    title: str
    short_title: str
    measures: str
    stem: str
    citation: str
    licence: str
    wording_shipped: bool
    loinc: LoincCodes
    options: tuple[AnswerOption, ...]
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    band_basis: Literal["total", "percentage"]
    positive: Cutoff
    flags: tuple[Cutoff, ...] = ()
    percentage_multiplier: int | None = None

    @property
    def key(self) -> str:
        """Versioned name recorded with every score, for example `phq9.v1`."""
        return f"{self.id}.v{self.version}"

    @property
    def min_answer(self) -> int:
        """Lowest item score."""
        return min(option.value for option in self.options)

    @property
    def max_answer(self) -> int:
        """Highest item score."""
        return max(option.value for option in self.options)

    @property
    def max_total(self) -> int:
        """Highest possible total."""
        return self.max_answer * len(self.items)

    def option(self, value: int) -> AnswerOption:
        """The answer option with this item score."""
        for option in self.options:
            if option.value == value:
                return option
        raise ScoringError(f"{self.id}: no answer option has the score {value}")

    @model_validator(mode="after")
    def _bands_cover_range(self) -> Instrument:
        """Bands must tile the whole score range without gaps or overlaps (checked at load)."""
        values = sorted(option.value for option in self.options)
        if values != list(range(values[0], values[-1] + 1)):
            raise ValueError("answer option scores must be consecutive integers")
        if not self.bands:
            return self
        top = self.max_total
        if self.band_basis == "percentage":
            if self.percentage_multiplier is None:
                raise ValueError("band_basis 'percentage' needs percentage_multiplier")
            top *= self.percentage_multiplier
        expected = 0
        for band in self.bands:
            if band.min != expected or band.max < band.min:
                raise ValueError(f"band {band.name!r} must start at {expected}")
            expected = band.max + 1
        if expected != top + 1:
            raise ValueError(f"bands must end at the maximum {top}")
        return self


def load_instrument_file(text: str, *, source: str) -> Instrument:
    """Parse and check one instrument definition (YAML text); unknown keys are rejected."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise FormatError(f"not valid YAML: {error}", source=source, line=line) from None
    if not isinstance(raw, dict):
        raise FormatError("expected a mapping of instrument fields", source=source)
    try:
        return Instrument.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise FormatError(f"{where}: {first['msg']}", source=source) from None


@cache
def get_instrument(instrument_id: str, version: int = 1) -> Instrument:
    """The shipped definition of an instrument, for example `get_instrument("phq9")`.

    Raises:
        ScoringError: the instrument is unknown (the message lists the known ones).
    """
    name = f"{instrument_id}.v{version}.yaml"
    path = resources.files(_DATA_PACKAGE) / name
    if instrument_id not in INSTRUMENT_IDS or not path.is_file():
        known = ", ".join(INSTRUMENT_IDS)
        raise ScoringError(
            f"unknown instrument {instrument_id!r} (version {version}); known: {known}"
        )
    return load_instrument_file(path.read_text(encoding="utf-8"), source=name)


def with_wording(instrument: Instrument, wording: Mapping[str, Any]) -> Instrument:
    """A copy of `instrument` with deployment-supplied wording; scoring stays the same.

    Where a licence does not allow bedside to ship a text, the deployment supplies it here:
    `{"stem": "...", "items": ["...", ...], "options": {"0": "...", ...}}`. Counts must match.
    """
    update: dict[str, Any] = {}
    if "stem" in wording:
        update["stem"] = str(wording["stem"])
    if "items" in wording:
        texts = list(wording["items"])
        if len(texts) != len(instrument.items):
            raise ScoringError(
                f"{instrument.id}: wording has {len(texts)} items, the instrument has {len(instrument.items)}"
            )
        update["items"] = tuple(
            item.model_copy(update={"text": str(text)})
            for item, text in zip(instrument.items, texts, strict=True)
        )
    if "options" in wording:
        texts_by_value = {int(key): str(value) for key, value in dict(wording["options"]).items()}
        update["options"] = tuple(
            option.model_copy(update={"text": texts_by_value.get(option.value, option.text)})
            for option in instrument.options
        )
    unknown = set(wording) - {"stem", "items", "options"}
    if unknown:
        raise ScoringError(
            f"{instrument.id}: unknown wording keys {sorted(unknown)}; expected stem, items, options"
        )
    return instrument.model_copy(update={**update, "wording_shipped": False})
