"""Choose the reports' display thresholds for emotion and empathy chips on development data only.

A chip is shown when the model's probability reaches its label's threshold. The threshold of a
label is the lowest one on the grid, and at least `FLOOR` (a chip never shows a label the model
itself holds less likely than not), at which the chips shown are right at least
`TARGET_PRECISION` of the time on the development data, and still find `MIN_RECALL` of the gold;
when no threshold reaches both, the label is never shown as a chip (its probability stays in the
JSON) and the report says so.

Data (development parts only, never a held-out part):
- emotions: GoEmotions-Ekman `dev.tsv` (<data>/goemotions_ekman), every emotion but neutral;
- empathy: the PriMock57 day1 gold (data/gold/encounters, primary coder of each day1
  consultation; clinician turns, a mechanism counts when the coder gave level 1 or 2), the
  consultations the chips are shown on; EPITOME `dev.csv` is printed beside it for reference.

    .venv/bin/python scripts/fit_label_thresholds.py [--data ../shared/data] [--out figures.json]

Prints the precision/recall table and the chosen thresholds; `src/bedside/report/
label_thresholds.v1.yaml` records them with these figures (edit it by hand from this output).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _gold import load_coding, load_split  # noqa: E402
from encounter_validity import align  # noqa: E402

import bedside.io as bio  # noqa: E402
from bedside.engine import analyse  # noqa: E402
from bedside.model.labels import EMOTIONS, MECHANISMS  # noqa: E402
from bedside.nlp import load_labeller  # noqa: E402
from bedside.report._honesty import load_honesty, not_assessable  # noqa: E402

TARGET_PRECISION = 0.70
MIN_RECALL = 0.10
FLOOR = 0.50
GRID = [round(0.30 + 0.05 * i, 2) for i in range(14)]  # 0.30 … 0.95


def curve(probs: np.ndarray, shown: np.ndarray, gold: np.ndarray) -> list[dict[str, float]]:
    rows = []
    for t in GRID:
        chip = shown & (probs >= t)
        tp = int((chip & gold).sum())
        n = int(chip.sum())
        rows.append(
            {
                "threshold": t,
                "shown": n,
                "precision": round(tp / n, 3) if n else float("nan"),
                "recall": round(tp / max(1, int(gold.sum())), 3),
            }
        )
    return rows


def choose(rows: list[dict[str, float]]) -> float | None:
    for row in rows:
        if row["threshold"] < FLOOR:
            continue
        if row["shown"] and row["precision"] >= TARGET_PRECISION and row["recall"] >= MIN_RECALL:
            return float(row["threshold"])
    return None


def emotions(labeller: Any, data: Path, limit: int | None) -> dict[str, Any]:
    lines = (data / "goemotions_ekman" / "dev.tsv").read_text().splitlines()[:limit]
    names = (data / "goemotions_ekman" / "labels.txt").read_text().split()
    texts = [line.split("\t")[0] for line in lines]
    gold = np.zeros((len(lines), len(EMOTIONS)), bool)
    for i, line in enumerate(lines):
        for k in line.split("\t")[1].split(","):
            gold[i, EMOTIONS.index(names[int(k)])] = True
    probs = np.concatenate(
        [labeller.emotion_scores(texts[b : b + 256]) for b in range(0, len(texts), 256)]
    )
    chosen = np.zeros_like(gold)
    for i, label in enumerate(labeller.emotions(texts)):
        for e in label.emotions:
            chosen[i, EMOTIONS.index(e)] = True
    out = {}
    for j, e in enumerate(EMOTIONS):
        if e == "neutral":
            continue
        rows = curve(probs[:, j], chosen[:, j], gold[:, j])
        out[e] = {"n_gold": int(gold[:, j].sum()), "threshold": choose(rows), "curve": rows}
    return out


def empathy_epitome(labeller: Any, data: Path) -> dict[str, Any]:
    with (data / "epitome" / "dev.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    found = labeller.empathy([r["seeker_post"] for r in rows], [r["response_post"] for r in rows])
    out = {}
    for m in MECHANISMS:
        gold = np.array([int(r[m]) >= 1 for r in rows])
        shown = np.array([f.levels[m] >= 1 for f in found])
        probs = np.array([(f.presence or {}).get(m, 0.0) for f in found])
        out[m] = {"n_gold": int(gold.sum()), "curve": curve(probs, shown, gold)}
    return out


def empathy_day1(labeller: Any, data: Path) -> dict[str, Any]:
    split = load_split()
    transcripts = data / "primock57" / "transcripts"
    turns_dir = data / "primock57" / "turns"
    honesty = load_honesty()
    probs: dict[str, list[float]] = {m: [] for m in MECHANISMS}
    shown: dict[str, list[bool]] = {m: [] for m in MECHANISMS}
    gold: dict[str, list[bool]] = {m: [] for m in MECHANISMS}
    skipped = 0
    for cid in split.development:
        assert cid.startswith("day1_"), cid
        coding = load_coding(cid, split.primary[cid])
        levels = {e.turn: e for e in coding.empathy_turns}
        conv = bio.merge_conversations(
            [
                bio.read_conversation(transcripts / f"{cid}_{who}.TextGrid")
                for who in ("doctor", "patient")
            ],
            conv_id=cid,
        )
        doc = analyse(conv, labeller=labeller).to_json()
        table = json.loads((turns_dir / f"{cid}.json").read_text()) if (
            turns_dir / f"{cid}.json"
        ).exists() else None
        gold_turns = table["turns"] if table else None
        mapping = align(gold_turns, doc["turns"])[0] if gold_turns else {
            i: i for i in range(len(doc["turns"]))
        }
        previous = ""
        for j, turn in enumerate(doc["turns"]):
            if turn["role"] != "clinician":
                previous = turn["text"]
                continue
            g = mapping.get(j)
            if g is None or not turn.get("empathy_scores"):
                continue
            if not_assessable(turn["text"], "clinician", honesty, previous=previous):
                skipped += 1
                continue
            coded = levels.get(g)
            for m in MECHANISMS:
                probs[m].append(float(turn["empathy_scores"][m]))
                shown[m].append(int(turn["empathy"][m]) >= 1)
                gold[m].append(bool(coded and getattr(coded, m) >= 1))
    out: dict[str, Any] = {"not_assessable_turns_left_out": skipped}
    for m in MECHANISMS:
        rows = curve(np.array(probs[m]), np.array(shown[m]), np.array(gold[m]))
        out[m] = {
            "n_turns": len(gold[m]),
            "n_gold": int(sum(gold[m])),
            "threshold": choose(rows),
            "curve": rows,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=None, help="GoEmotions dev rows (all)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--only", choices=["emotions", "epitome", "day1"], action="append")
    args = parser.parse_args()
    labeller = load_labeller()
    parts = args.only or ["emotions", "epitome", "day1"]
    result: dict[str, Any] = {"target_precision": TARGET_PRECISION, "min_recall": MIN_RECALL}
    if "emotions" in parts:
        result["emotions_goemotions_dev"] = emotions(labeller, args.data, args.limit)
    if "epitome" in parts:
        result["empathy_epitome_dev"] = empathy_epitome(labeller, args.data)
    if "day1" in parts:
        result["empathy_primock57_day1"] = empathy_day1(labeller, args.data)
    for part, labels in result.items():
        if not isinstance(labels, dict):
            continue
        print(f"== {part}")
        for name, fig in labels.items():
            if not isinstance(fig, dict):
                print(f"  {name}: {fig}")
                continue
            print(f"  {name}: gold {fig.get('n_gold')}, chosen {fig.get('threshold')}")
            for row in fig["curve"]:
                print(
                    f"    t {row['threshold']:.2f}  shown {row['shown']:5d}  "
                    f"P {row['precision']:.3f}  R {row['recall']:.3f}"
                )
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
