"""Choose the compassion score's v2 weights on the AnnoMI DEVELOPMENT transcripts only.

Reads `data/annomi_split.json` and touches only its `development` ids: the held-out half is
measured once, by `bench/score_validity.py`, after the weights are fixed. Each transcript is
analysed rules-only (the engine as `bedside analyze --no-models` runs it); the component values
(0-1, or not assessable) are then combined by every weight vector of a constrained grid:

- each component's relative weight is 1, 2 or 3: every component the report shows counts
  (none may be dropped by six low-quality transcripts; MI demonstrations cannot show how
  emotional cues are met, so the data alone should not remove cue responses);
- `no_interruptions` is never assessable on AnnoMI (no end times), so it keeps its prior
  relative weight 1 and is not chosen by the data.

The vector with the highest development AUC (high vs low MI quality) wins; vectors within
0.02 of the best (well under the AUC's sampling error on 6 low-quality
transcripts) are tied and the one nearest the prior (L1) is taken, so the data moves the
prior only as far as it clearly must. Prints the winner and the runners-up.

    .venv/bin/python scripts/fit_score_weights.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import _annomi  # noqa: E402

from bedside.engine import analyse  # noqa: E402

FREE = (
    "cue_responses",
    "empathic_language",
    "reflective_listening",
    "mi_adherence",
    "patient_voice",
    "structure",
    "clarity",
)
FLOOR = dict.fromkeys(FREE, 1)
FIXED = {"no_interruptions": 1}
PRIOR = {
    "cue_responses": 3,
    "empathic_language": 2,
    "reflective_listening": 1,
    "mi_adherence": 1,
    "patient_voice": 1,
    "structure": 1,
    "clarity": 1,
}
TIE = 0.02


def component_values(transcript: _annomi.Transcript) -> dict[str, float | None]:
    """Each component's 0-1 value in the rules-only analysis (None: not assessable)."""
    breakdown = analyse(_annomi.to_conversation(transcript)).score.breakdown
    return {
        name: None if part.get("status") == "not assessable" else part.get("value")
        for name, part in breakdown.items()
    }


def combined(values: Mapping[str, float | None], weights: Mapping[str, float]) -> float:
    """The score's rule: weighted mean of the assessable components (0.5 when none is)."""
    used = [(weights[n], v) for n, v in values.items() if v is not None and weights.get(n, 0) > 0]
    total = sum(w for w, _ in used)
    return sum(w * v for w, v in used) / total if total else 0.5


def main() -> int:
    """Fit on development, print the chosen weights (normalised to sum to one)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    transcripts = _annomi.load_transcripts(args.data / "annomi" / "train.csv")
    dev_ids = _annomi.read_split()["development"]
    dev = _annomi.paired(dev_ids, transcripts)
    values = [component_values(t) for t in dev]
    labels = [t.high for t in dev]
    for name in FREE:
        known = [(x, h) for v, h in zip(values, labels, strict=True) if (x := v[name]) is not None]
        both = {h for _, h in known} == {True, False}
        auc = _annomi.auc([x for x, _ in known], [h for _, h in known]) if both else None
        shown = f"{auc:.3f}" if auc is not None else "n/a"
        sys.stdout.write(f"dev AUC of {name} alone: {shown} (assessable in {len(known)})\n")
    results = []
    for combo in itertools.product(range(1, 4), repeat=len(FREE)):
        weights = dict(zip(FREE, combo, strict=True))
        if any(weights[n] < floor for n, floor in FLOOR.items()):
            continue
        scores = [combined(v, weights) for v in values]
        auc = _annomi.auc(scores, labels)
        distance = sum(abs(weights[n] - PRIOR[n]) for n in FREE)
        results.append((auc, -distance, combo))
    best = max(r[0] for r in results)
    tied = sorted((r for r in results if r[0] >= best - TIE), key=lambda r: (r[1], r[0]))
    auc, distance, combo = tied[-1]
    weights = {**dict(zip(FREE, combo, strict=True)), **FIXED}
    total = sum(weights.values())
    prior_auc = _annomi.auc([combined(v, PRIOR) for v in values], labels)
    sys.stdout.write(
        f"development: {len(dev)} transcripts ({sum(labels)} high, {len(labels) - sum(labels)} "
        f"low); grid {len(results)} vectors; best dev AUC {best:.3f}; {len(tied)} within {TIE}\n"
        f"prior {PRIOR} dev AUC {prior_auc:.3f}\n"
        f"chosen (relative) {weights}, dev AUC {auc:.3f}, L1 from prior {-distance}\n"
        "chosen (normalised): "
        + ", ".join(f"{n}: {w / total:.3f}" for n, w in weights.items())
        + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
