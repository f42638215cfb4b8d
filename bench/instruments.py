"""Benchmark: questionnaire scoring (responses/s) and FHIR bundle export (bundles/s).

Each figure is printed beside a naive baseline measured in the same run:

* scoring: bedside's table-driven `scorer("phq9")` (and the public `score("phq9", ...)`) against a
  straightforward pydantic implementation (validate the answers with a pydantic model, scan the
  bands, build a pydantic result), the way one would write it first;
* FHIR: bedside's dict-based `export_bundle` against building the same bundle and validating it
  through `fhir.resources.R4B` models (`export_bundle(..., validate=True)`).

Run: `.venv/bin/python bench/instruments.py [--responses 1000000]`. One process, one thread.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated

import numpy as np
from pydantic import BaseModel, Field

from bedside.fhir import export_bundle
from bedside.instruments import build_care_plan, get_instrument, score, scorer, screen_social_needs


class NaiveAnswers(BaseModel):
    """Baseline input model: nine answers 0-3, validated by pydantic."""

    answers: Annotated[
        list[Annotated[int, Field(ge=0, le=3, strict=True)]], Field(min_length=9, max_length=9)
    ]


class NaiveScore(BaseModel):
    """Baseline result model."""

    instrument: str
    total: int
    band: str
    positive: bool
    flags: list[str]


def naive_phq9(answers: Sequence[int]) -> NaiveScore:
    """The first way one might write it: pydantic in, scan bands, pydantic out."""
    definition = get_instrument("phq9")
    checked = NaiveAnswers(answers=list(answers)).answers
    total = sum(checked)
    band = next(band.name for band in definition.bands if band.min <= total <= band.max)
    flags = ["self_harm_risk"] if checked[8] > 0 else []
    return NaiveScore(instrument="phq9", total=total, band=band, positive=total >= 10, flags=flags)


def rate(function: Callable[[list[int]], object], rows: list[list[int]]) -> tuple[float, float]:
    """Responses per second and elapsed seconds for scoring every row once."""
    start = time.perf_counter()
    for row in rows:
        function(row)
    elapsed = time.perf_counter() - start
    return len(rows) / elapsed, elapsed


def bundles_rate(build: Callable[[int], object], count: int) -> float:
    """Bundles per second for `count` bundles."""
    start = time.perf_counter()
    for number in range(count):
        build(number)
    return count / (time.perf_counter() - start)


def main() -> None:
    """Run both benchmarks and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--baseline-responses", type=int, default=100_000)
    parser.add_argument("--bundles", type=int, default=2_000)
    arguments = parser.parse_args()

    generator = np.random.default_rng(7)
    rows: list[list[int]] = generator.integers(0, 4, size=(arguments.responses, 9)).tolist()
    baseline_rows = rows[: arguments.baseline_responses]

    fast = scorer("phq9")
    # correctness first: every baseline row must agree with the naive implementation
    for row in baseline_rows[:20_000]:
        ours, theirs = fast(row), naive_phq9(row)
        assert (ours.total, ours.band, ours.positive, list(ours.flags)) == (
            theirs.total,
            theirs.band,
            theirs.positive,
            theirs.flags,
        )

    fast_rate, fast_elapsed = rate(fast, rows)
    public_rate, public_elapsed = rate(lambda row: score("phq9", row), rows)
    naive_rate, _ = rate(naive_phq9, baseline_rows)

    when = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    phq9 = score("phq9", [1, 1, 2, 2, 1, 2, 2, 2, 1])
    gad7 = score("gad7", [2, 2, 2, 1, 1, 1, 1])
    plan = build_care_plan(
        scores=[phq9, gad7],
        social_needs=screen_social_needs({"food_worry": "often"}),
        what_matters="Being well for my family",
        goals=["Sleep better"],
        today=date(2026, 11, 25),
    )

    def bundle(number: int, *, validate: bool = False) -> object:
        return export_bundle(
            patient=f"Patient/{number}",
            responses=[(phq9, when), (gad7, when)],
            care_plan=plan,
            timestamp=when,
            bundle_id=str(number),
            validate=validate,
        )

    sample = bundle(0)
    assert isinstance(sample, dict)
    resources_per_bundle = len(sample["entry"])
    ours_bundles = bundles_rate(bundle, arguments.bundles)
    validated_bundles = bundles_rate(
        lambda n: bundle(n, validate=True), max(100, arguments.bundles // 10)
    )

    print(
        f"# instruments benchmark ({platform.python_implementation()} {platform.python_version()}, 1 process)"
    )
    print()
    print("| what | ours | naive baseline (same run) | speed-up |")
    print("|---|---|---|---|")
    print(
        f"| PHQ-9 scoring, `scorer('phq9')`, {len(rows):,} responses | {fast_rate:,.0f} responses/s "
        f"({fast_elapsed:.2f} s) | {naive_rate:,.0f} responses/s (pydantic in/out, {len(baseline_rows):,}) "
        f"| {fast_rate / naive_rate:.1f}x |"
    )
    print(
        f"| PHQ-9 scoring, public `score('phq9', answers)`, {len(rows):,} responses | {public_rate:,.0f} "
        f"responses/s ({public_elapsed:.2f} s) | {naive_rate:,.0f} responses/s | {public_rate / naive_rate:.1f}x |"
    )
    print(
        f"| FHIR Bundle export ({resources_per_bundle} resources: 2 QuestionnaireResponses, Observations, "
        f"CarePlan, Goals, ServiceRequest) | {ours_bundles:,.0f} bundles/s | {validated_bundles:,.0f} bundles/s "
        f"(same bundle validated through fhir.resources R4B models) | {ours_bundles / validated_bundles:.1f}x |"
    )


if __name__ == "__main__":
    main()
