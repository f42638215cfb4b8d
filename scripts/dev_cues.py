"""Development-only check of cues and responses against the gold standard's day1 part.

Reads ONLY `data/gold/encounters/coder_<X>/day1_*.json` (the development part of the split;
primary coder A for day1_consultation01-12, B for 13-15) and refuses any other id: the day2 and
day3 codings are held out and measured once, by bench/encounter_validity.py, not here.

Each consultation is read as `bedside analyze X_doctor.TextGrid X_patient.TextGrid --merge`
does, aligned with the gold turn table (`<shared>/primock57/turns/<id>.txt`) by role and start
time, and compared with the coder's cues the way the benchmark does: a gold cue is found when an
engine cue shares a turn with it; an engine cue is right when it shares a turn with a gold cue;
response space and code are compared on one-to-one matched cues.

    .venv/bin/python scripts/dev_cues.py [--no-models] [--verbose] [IDS...]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import bedside.io as bio
from bedside.engine import analyse

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "data" / "gold" / "encounters"
SHARED = ROOT.parent / "shared" / "data" / "primock57"
DEV = tuple(f"day1_consultation{n:02d}" for n in range(1, 16))
_TURN = re.compile(r"^\s*(\d+)\s+([\d.]+)-([\d.]+)\s+(DOCTOR|PATIENT)\s?(.*)$")


def primary(cid: str) -> str:
    """The development part's primary coder (split.json: A for 01-12, B for 13-15)."""
    return "A" if int(cid[-2:]) <= 12 else "B"


def gold_coding(cid: str) -> dict[str, Any]:
    if cid not in DEV:
        raise SystemExit(f"{cid}: not a development consultation (day1 only); refusing")
    path = GOLD / f"coder_{primary(cid)}" / f"{cid}.json"
    assert path.name.startswith("day1_")
    return json.loads(path.read_text())


def gold_turns(cid: str) -> list[tuple[int, float, str, str]]:
    rows = []
    for line in (SHARED / "turns" / f"{cid}.txt").read_text().splitlines():
        m = _TURN.match(line)
        if m:
            rows.append((int(m[1]), float(m[2]), m[4], m[5]))
    return rows


def engine_doc(cid: str, labeller: object | None) -> dict[str, Any]:
    paths = [SHARED / "transcripts" / f"{cid}_{part}.TextGrid" for part in ("doctor", "patient")]
    conv = bio.merge_conversations([bio.read_conversation(p) for p in paths], conv_id=cid)
    return analyse(conv, labeller=labeller).to_json()  # type: ignore[arg-type]


def align(cid: str, doc: dict[str, Any]) -> dict[int, int]:
    """Engine turn index -> gold turn number (role and start time within 10 ms)."""
    mapping: dict[int, int] = {}
    used: set[int] = set()
    for index, start, speaker, _ in gold_turns(cid):
        role = "clinician" if speaker == "DOCTOR" else "patient"
        for t in doc["turns"]:
            if t["index"] in used or t["role"] != role or t["start"] is None:
                continue
            if abs(t["start"] - start) < 0.011:
                mapping[t["index"]] = index
                used.add(t["index"])
                break
    return mapping


def space(code: str) -> str:
    return "provides" if code[1] == "P" else "reduces"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--no-models", action="store_true")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args()
    ids = args.ids or list(DEV)
    for cid in ids:
        if cid not in DEV:
            raise SystemExit(f"{cid}: not a development consultation (day1 only); refusing")
    labeller = None
    if not args.no_models:
        from bedside.nlp import load_labeller

        labeller = load_labeller()
    found = n_gold = right = n_sys = 0
    same_space = same_code = n_pairs = 0
    confusion: Counter[tuple[str, str]] = Counter()
    types: Counter[tuple[str, bool]] = Counter()
    for cid in ids:
        coding = gold_coding(cid)
        doc = engine_doc(cid, labeller)
        mapping = align(cid, doc)
        texts = {i: t for i, _, _, t in gold_turns(cid)}
        sys_cues = []
        for opp in doc["opportunities"]:
            mapped = {mapping[i] for i in opp.get("cue_turns") or [opp["cue_turn"]] if i in mapping}
            if mapped:
                sys_cues.append((mapped, opp))
        gold_cues = [(set(c["turns"]), c) for c in coding["cues"]]
        n_gold += len(gold_cues)
        n_sys += len(sys_cues)
        used: set[int] = set()
        for g_turns, g in gold_cues:
            hit = any(g_turns & s for s, _ in sys_cues)
            found += hit
            types[(f"{g['kind']}/{g['type']}", hit)] += 1
            best = max(
                (j for j in range(len(sys_cues)) if j not in used and g_turns & sys_cues[j][0]),
                key=lambda j: len(g_turns & sys_cues[j][0]),
                default=None,
            )
            if best is not None:
                used.add(best)
                opp = sys_cues[best][1]
                sys_space = opp.get("response_space") or (
                    "reduces" if opp["response"] == "missed" else "provides"
                )
                n_pairs += 1
                same_space += sys_space == space(g["response"])
                same_code += opp.get("response_code") == g["response"]
                confusion[(g["response"], str(opp.get("response_code")))] += 1
                if args.verbose and (
                    sys_space != space(g["response"]) or opp.get("response_code") != g["response"]
                ):
                    print(
                        f"  RESP {cid} {sorted(g_turns)} gold {g['response']} "
                        f"sys {opp.get('response_code')} ({opp.get('reason')}) "
                        f"-> {[texts.get(mapping.get(w, -1), '')[:90] for w in opp['window']]}"
                    )
            elif args.verbose:
                print(
                    f"  MISS {cid} {sorted(g_turns)} {g['kind']}/{g['type']}: "
                    f"{' | '.join(texts[t][:120] for t in sorted(g_turns))}"
                )
        for s, opp in sys_cues:
            if any(s & g for g, _ in gold_cues):
                right += 1
            elif args.verbose:
                print(
                    f"  FP   {cid} {sorted(s)} {opp.get('cue_category')}: "
                    f"{' | '.join(texts[t][:120] for t in sorted(s))}"
                )
    print(f"cue recall    {found}/{n_gold} = {found / max(n_gold, 1):.2f}")
    print(f"cue precision {right}/{n_sys} = {right / max(n_sys, 1):.2f}")
    print(f"space agreement {same_space}/{n_pairs} = {same_space / max(n_pairs, 1):.2f}")
    print(f"code agreement  {same_code}/{n_pairs} = {same_code / max(n_pairs, 1):.2f}")
    if args.verbose:
        print("recall by type:", sorted(types.items()))
        print("codes (gold, sys):", confusion.most_common())


if __name__ == "__main__":
    sys.exit(main())
