"""Does the compassion score separate high from low MI quality? AnnoMI held-out AUC (issue 12).

On the held-out half of `data/annomi_split.json` (split by transcript, stratified by quality,
seed 12; the weights were chosen on the other half by `scripts/fit_score_weights.py`), this
prints the AUC of high vs low MI quality, each with a bootstrap 95 % CI (2,000 rounds,
positives and negatives resampled separately), for, in the same run:

- the v2 compassion score (`score.v2.yaml`), rules only (`--no-models`);
- today's score before issue 12: the same engine with the v1 weights (`score.v1.yaml`);
- the human reference: the reflection-to-question ratio from AnnoMI's own expert codes;
- with `--models`, both scores again with the shipped language models.

AnnoMI holds MI *demonstrations* (high- and low-quality counselling acted for teaching), not
primary-care consultations: this checks that the score tracks an expert judgement of relational
skill, not that it measures compassion in a GP's surgery.

    .venv/bin/python bench/score_validity.py [--models] [--json OUT] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _annomi

from bedside.engine import DEFAULT_RULES, AnalysisConfig, analyse
from bedside.model import TurnLabeller

TARGET = 0.80


def _score(transcript: _annomi.Transcript, config: AnalysisConfig, labeller: Any) -> float:
    """The compassion score of one transcript; a null score ranks lowest (-1)."""
    report = analyse(_annomi.to_conversation(transcript), labeller=labeller, config=config)
    value = report.score.compassion
    return -1.0 if value is None else float(value)


def _row(name: str, scores: Sequence[float], labels: Sequence[bool]) -> dict[str, Any]:
    low, high = _annomi.bootstrap_ci(scores, labels)
    return {
        "measure": name,
        "auc": round(_annomi.auc(scores, labels), 3),
        "ci95": [round(low, 3), round(high, 3)],
        "null_scores": sum(1 for s in scores if s < 0),
    }


def measure(
    transcripts: Sequence[_annomi.Transcript], labeller: TurnLabeller | None
) -> list[dict[str, Any]]:
    """Every measure's AUC and CI on the given transcripts, in one run."""
    labels = [t.high for t in transcripts]
    v2 = AnalysisConfig()
    v1 = AnalysisConfig(score_rules=DEFAULT_RULES.score)
    scorers: list[tuple[str, Callable[[_annomi.Transcript], float]]] = [
        ("compassion score v2, rules only", lambda t: _score(t, v2, None)),
        ("today's score (v1 weights), rules only", lambda t: _score(t, v1, None)),
    ]
    if labeller is not None:
        scorers += [
            ("compassion score v2, with models", lambda t: _score(t, v2, labeller)),
            ("today's score (v1 weights), with models", lambda t: _score(t, v1, labeller)),
        ]
    rows = [
        _row(
            "human reflection-to-question ratio (AnnoMI codes)",
            [_annomi.human_reflection_to_question(t) for t in transcripts],
            labels,
        )
    ]
    for name, scorer in scorers:
        rows.append(_row(name, [scorer(t) for t in transcripts], labels))
    return rows


def main() -> int:
    """Measure on the held-out half once; print a Markdown table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=_annomi.ROOT.parent / "shared" / "data")
    parser.add_argument("--models", action="store_true", help="also score with the models")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()
    transcripts = _annomi.load_transcripts(args.data / "annomi" / "train.csv")
    split = _annomi.read_split()
    held_out = _annomi.paired(split["held_out"], transcripts)
    labeller = None
    if args.models:
        from bedside.nlp import load_labeller

        labeller = load_labeller()
    started = time.perf_counter()
    rows = measure(held_out, labeller)
    seconds = time.perf_counter() - started
    high = sum(1 for t in held_out if t.high)
    out = sys.stdout
    out.write(
        f"AnnoMI held-out: {len(held_out)} transcripts ({high} high, {len(held_out) - high} low "
        f"MI quality); target AUC >= {TARGET:.2f}; {seconds:.1f} s\n\n"
        "| measure | AUC | 95 % CI (bootstrap) |\n|---|---|---|\n"
    )
    for row in rows:
        out.write(
            f"| {row['measure']} | {row['auc']:.3f} | {row['ci95'][0]:.3f}–{row['ci95'][1]:.3f} |\n"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"held_out": len(held_out), "high": high, "rows": rows, "seconds": seconds},
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
