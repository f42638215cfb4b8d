"""Blind ratings of suggested replies (issue 12 item 9): mean for old and new, and rater agreement.

Reads `data/gold/suggestions/ratings_<rater>.json` files, each `{"rater": "...", "ratings":
{"<id>": 1-5, ...}}` for the items of `rating_items.json` (written by bench/suggestions.py
--write-sheet), and the key `rating_key.json` (`{"key": {"<id>": "old" | "new"}}`). Prints, per
rater and over all raters, the mean rating of the old (v1) and the new (v2) suggestions with the
number of items, and for every pair of raters on the items both rated: the quadratically weighted
Cohen's kappa (Cohen 1968; the usual choice for an ordinal 1-5 scale) and Spearman's rank
correlation.

    .venv/bin/python bench/suggestion_ratings.py [--dir data/gold/suggestions] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHEET_DIR = ROOT / "data" / "gold" / "suggestions"
SCALE = (1, 2, 3, 4, 5)


def load_ratings(folder: Path) -> dict[str, dict[str, int]]:
    """Each rater's ratings by item id, checked against the 1-5 scale."""
    found: dict[str, dict[str, int]] = {}
    for path in sorted(folder.glob("ratings_*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        rater = path.stem.removeprefix("ratings_")
        ratings = document.get("ratings")
        if not isinstance(ratings, dict):
            raise ValueError(f'{path}: expected {{"ratings": {{"<id>": 1-5}}}}')
        checked = {}
        for item, value in ratings.items():
            if not isinstance(value, int) or isinstance(value, bool) or value not in SCALE:
                raise ValueError(
                    f"{path}: item {item} is rated {value!r}; ratings are whole numbers 1-5"
                )
            checked[str(item)] = value
        found[rater] = checked
    return found


def weighted_kappa(
    first: Sequence[int], second: Sequence[int], scale: Sequence[int] = SCALE
) -> float | None:
    """Cohen's kappa with quadratic weights between two raters' ratings of the same items."""
    n = len(first)
    if n == 0:
        return None
    k = len(scale)
    at = {value: i for i, value in enumerate(scale)}
    observed = [[0.0] * k for _ in range(k)]
    for a, b in zip(first, second, strict=True):
        observed[at[a]][at[b]] += 1 / n
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    weight = [[((i - j) ** 2) / ((k - 1) ** 2) for j in range(k)] for i in range(k)]
    disagreement = sum(weight[i][j] * observed[i][j] for i in range(k) for j in range(k))
    expected = sum(weight[i][j] * rows[i] * cols[j] for i in range(k) for j in range(k))
    return None if expected == 0 else 1 - disagreement / expected


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for m in range(i, j + 1):
            ranks[order[m]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(first: Sequence[int], second: Sequence[int]) -> float | None:
    """Spearman's rho: the Pearson correlation of the ranks (ties get their mean rank)."""
    if len(first) < 2:
        return None
    a, b = _ranks(first), _ranks(second)
    if len(set(a)) < 2 or len(set(b)) < 2:
        return None
    return statistics.correlation(a, b)


def _means(ratings: Mapping[str, int], key: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for arm in ("old", "new"):
        values = [v for item, v in ratings.items() if key.get(item) == arm]
        out[arm] = statistics.fmean(values) if values else None
        out[f"n_{arm}"] = len(values)
    return out


def summarise(folder: Path = SHEET_DIR) -> dict[str, Any]:
    """Means for old and new (per rater and pooled) and the agreement of every pair of raters."""
    key_path = folder / "rating_key.json"
    key: dict[str, str] = json.loads(key_path.read_text(encoding="utf-8"))["key"]
    raters = load_ratings(folder)
    unknown = {item for r in raters.values() for item in r} - set(key)
    if unknown:
        raise ValueError(f"ratings for items not in the key: {sorted(unknown)[:5]}")
    pooled: dict[str, list[int]] = {"old": [], "new": []}
    for ratings in raters.values():
        for item, value in ratings.items():
            pooled[key[item]].append(value)
    pairs = []
    for (name_a, a), (name_b, b) in itertools.combinations(sorted(raters.items()), 2):
        common = sorted(set(a) & set(b))
        first, second = [a[i] for i in common], [b[i] for i in common]
        pairs.append(
            {
                "raters": [name_a, name_b],
                "items": len(common),
                "weighted_kappa": weighted_kappa(first, second),
                "spearman": spearman(first, second),
            }
        )
    return {
        "raters": {name: _means(r, key) for name, r in raters.items()},
        "means": {arm: statistics.fmean(v) if v else None for arm, v in pooled.items()},
        "n": {arm: len(v) for arm, v in pooled.items()},
        "pairs": pairs,
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=SHEET_DIR)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not (args.dir / "rating_key.json").exists():
        sys.exit(f"no rating key in {args.dir}: run bench/suggestions.py --write-sheet first")
    summary = summarise(args.dir)
    if not summary["raters"]:
        print(f"no ratings yet: put ratings_<rater>.json files in {args.dir}")
        return
    for name, found in summary["raters"].items():
        print(
            f"{name:<12} old {_fmt(found['old'])} (n {found['n_old']})  new {_fmt(found['new'])} (n {found['n_new']})"
        )
    print(
        f"{'all raters':<12} old {_fmt(summary['means']['old'])} (n {summary['n']['old']})  "
        f"new {_fmt(summary['means']['new'])} (n {summary['n']['new']})"
    )
    for pair in summary["pairs"]:
        print(
            f"agreement {pair['raters'][0]} / {pair['raters'][1]} on {pair['items']} items: "
            f"weighted kappa {_fmt(pair['weighted_kappa'])}, Spearman {_fmt(pair['spearman'])}"
        )
    if len(summary["raters"]) < 2:
        print("agreement needs a second rater")
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
