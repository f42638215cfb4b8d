"""Development-only check of the score's parts on PriMock57 (issue 12 items 7 and 8).

Reads ONLY `data/gold/encounters/coder_<X>/day1_*.json` (the development part; primary coder A
for day1_consultation01-12, B for 13-15) and refuses any other id: day2 and day3 are held out
and measured once by bench/encounter_validity.py.

For each development consultation (the TextGrid pair merged, as `bedside analyze --merge`):
the empathic clinician turn F1 against the coder's `empathy_turns` before (confronting turns
allowed to count) and after (they never count), the v1 and v2 scores, and every MI-consistent
or MI-inconsistent turn the rules find, so that a false alarm on ordinary clinical advice shows.

    .venv/bin/python scripts/dev_score.py [--models] [IDS...]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import bedside.io as bio
from bedside.engine import DEFAULT_RULES, AnalysisConfig, analyse
from bedside.model import Conversation

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "data" / "gold" / "encounters"
SHARED = ROOT.parent / "shared" / "data" / "primock57"
DEV = tuple(f"day1_consultation{n:02d}" for n in range(1, 16))
_TURN = re.compile(r"^\s*(\d+)\s+([\d.]+)-([\d.]+)\s+(DOCTOR|PATIENT)\s?(.*)$")


def _refuse_unless_dev(cid: str) -> None:
    if cid not in DEV or not cid.startswith("day1_"):
        raise SystemExit(f"{cid}: not a development consultation (day1 only); refusing")


def gold_coding(cid: str) -> dict[str, Any]:
    """The primary coder's day1 coding (A for 01-12, B for 13-15)."""
    _refuse_unless_dev(cid)
    coder = "A" if int(cid[-2:]) <= 12 else "B"
    path = GOLD / f"coder_{coder}" / f"{cid}.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def gold_starts(cid: str) -> list[tuple[int, float, str]]:
    """Gold turn number, start time and role from the shared turn table."""
    _refuse_unless_dev(cid)
    rows = []
    for line in (SHARED / "turns" / f"{cid}.txt").read_text(encoding="utf-8").splitlines():
        m = _TURN.match(line)
        if m:
            rows.append((int(m[1]), float(m[2]), "clinician" if m[4] == "DOCTOR" else "patient"))
    return rows


def conversation(cid: str) -> Conversation:
    """The merged TextGrid pair."""
    _refuse_unless_dev(cid)
    paths = [SHARED / "transcripts" / f"{cid}_{part}.TextGrid" for part in ("doctor", "patient")]
    return bio.merge_conversations([bio.read_conversation(p) for p in paths], conv_id=cid)


def align(cid: str, doc: dict[str, Any]) -> dict[int, int]:
    """Engine turn index -> gold turn number (same role, start within 10 ms)."""
    mapping: dict[int, int] = {}
    used: set[int] = set()
    for number, start, role in gold_starts(cid):
        for turn in doc["turns"]:
            if turn["index"] in used or turn["role"] != role or turn["start"] is None:
                continue
            if abs(turn["start"] - start) < 0.011:
                mapping[turn["index"]] = number
                used.add(turn["index"])
                break
    return mapping


def _f1(found: set[int], gold: set[int]) -> tuple[int, int, int]:
    return len(found & gold), len(found - gold), len(gold - found)


def main() -> int:
    """Print per-consultation and pooled development figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--models", action="store_true")
    args = parser.parse_args()
    ids = args.ids or list(DEV)
    for cid in ids:
        _refuse_unless_dev(cid)
    labeller = None
    if args.models:
        from bedside.nlp import load_labeller

        labeller = load_labeller()
    v1 = AnalysisConfig(score_rules=DEFAULT_RULES.score)
    totals = {"before": [0, 0, 0], "after": [0, 0, 0]}
    out = sys.stdout
    for cid in ids:
        coding = gold_coding(cid)
        conv = conversation(cid)
        doc = analyse(conv, labeller=labeller).to_json()
        old = analyse(conv, labeller=labeller, config=v1).to_json()
        mapping = align(cid, doc)
        gold = {e["turn"] for e in coding.get("empathy_turns", [])}
        after_turns = doc["score"]["breakdown"]["empathic_language"]["turns"]
        confronting = {
            t["index"]
            for t in doc["turns"]
            if t.get("mi_behaviours")
            and {"confront", "warn"} & set(t["mi_behaviours"]["inconsistent"])
        }
        before_turns = sorted(set(after_turns) | confronting)
        for key, turns in (("before", before_turns), ("after", after_turns)):
            found = {mapping[i] for i in turns if i in mapping}
            for k, v in enumerate(_f1(found, gold)):
                totals[key][k] += v
        mi = doc["metrics"]["mi_behaviour"]
        out.write(
            f"{cid}: score v1 {old['score']['compassion']} -> v2 {doc['score']['compassion']}; "
            f"MI-consistent {mi['consistent']}, MI-inconsistent {mi['inconsistent']}\n"
        )
        for t in doc["turns"]:
            b = t.get("mi_behaviours")
            if b and (b["inconsistent"] or b["consistent"]):
                names = "/".join(b["inconsistent"] + b["consistent"])
                out.write(f"    turn {mapping.get(t['index'], '?')} {names}: {t['text'][:110]!r}\n")
    for key, (tp, fp, fn) in totals.items():
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out.write(
            f"DEVELOPMENT empathic clinician turn F1 {key}: {f:.3f} (P {p:.3f}, R {r:.3f}; "
            f"tp {tp} fp {fp} fn {fn})\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
