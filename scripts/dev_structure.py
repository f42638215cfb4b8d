"""Development-only check of consultation structure against the gold standard's day1 part.

Reads ONLY `data/gold/encounters/coder_<X>/day1_*.json` (the development part of the split;
primary coder A for day1_consultation01-12, B for 13-15) and refuses any other id: the day2 and
day3 codings are held out and measured once, by bench/encounter_validity.py, not here.

Each consultation is read as `bedside analyze X_doctor.TextGrid X_patient.TextGrid --merge`
does (no language models: structure is rule-based), aligned with the gold turn table
(`<shared>/primock57/turns/<id>.txt`) by role and start time, and compared with the coder's
structure codes (coding manual, section C, and D's `overlaps`):

- invitation turn (exact); opening statement first turn, as the manual defines it (the first
  patient turn that answers the invitation, i.e. the first substantive patient turn after it)
  and as the benchmark reads the gold (the first patient turn of any kind after the invitation);
  opening statement last turn (exact); opening interrupted (accuracy);
- agenda setting, ICE (turns; and kind where the turn is found) and interruptions: precision,
  recall and F1 pooled over turns.

    .venv/bin/python scripts/dev_structure.py [--verbose] [--json PATH] [IDS...]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

import bedside.io as bio
from bedside.engine import analyse

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "data" / "gold" / "encounters"
SHARED = ROOT.parent / "shared" / "data" / "primock57"
DEV = tuple(f"day1_consultation{n:02d}" for n in range(1, 16))
_TURN = re.compile(r"^\s*(\d+)\s+([\d.]+)-([\d.]+)\s+(DOCTOR|PATIENT)\s?(.*)$")
_BACKCHANNEL = re.compile(
    r"^\W*(?:yeah|yes|yep|okay|ok|mm+|mm-hmm|uh-huh|hmm|right|sure)\W*$", re.I
)


def _refuse_unless_dev(cid: str) -> None:
    if cid not in DEV or not cid.startswith("day1_"):
        raise SystemExit(f"{cid}: not a development consultation (day1 only); refusing")


def primary(cid: str) -> str:
    """The development part's primary coder (split.json: A for 01-12, B for 13-15)."""
    return "A" if int(cid[-2:]) <= 12 else "B"


def gold_coding(cid: str) -> dict[str, Any]:
    _refuse_unless_dev(cid)
    path = GOLD / f"coder_{primary(cid)}" / f"{cid}.json"
    if not path.name.startswith("day1_"):
        raise SystemExit(f"{path}: not a development file; refusing")
    coding: dict[str, Any] = json.loads(path.read_text())
    return coding


def gold_turns(cid: str) -> list[tuple[int, float, str, str]]:
    rows = []
    for line in (SHARED / "turns" / f"{cid}.txt").read_text().splitlines():
        m = _TURN.match(line)
        if m:
            rows.append((int(m[1]), float(m[2]), m[4], m[5]))
    return rows


def engine_doc(cid: str) -> tuple[dict[str, Any], float]:
    paths = [SHARED / "transcripts" / f"{cid}_{part}.TextGrid" for part in ("doctor", "patient")]
    conv = bio.merge_conversations([bio.read_conversation(p) for p in paths], conv_id=cid)
    began = time.perf_counter()
    doc = analyse(conv).to_json()
    return doc, time.perf_counter() - began


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


class _PRF:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, found: set[int], gold: set[int]) -> None:
        self.tp += len(found & gold)
        self.fp += len(found - gold)
        self.fn += len(gold - found)

    def row(self) -> dict[str, Any]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else None
        f = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": p, "recall": r, "f1": f}


def _turn_of(value: Any) -> int:
    return int(value["turn"] if isinstance(value, dict) else value)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    ids = args.ids or list(DEV)
    for cid in ids:
        _refuse_unless_dev(cid)
    exact = {
        "invitation": 0,
        "opening_manual": 0,
        "opening_bench": 0,
        "opening_within": 0,
        "opening_end": 0,
        "interrupted": 0,
        "opening before the invitation": 0,
    }
    counted = dict.fromkeys(exact, 0)
    agenda, ice, interruption = _PRF(), _PRF(), _PRF()
    ice_kind_right = ice_kind_n = 0
    kind_right = kind_n = 0
    seconds = 0.0
    for cid in ids:
        coding = gold_coding(cid)
        doc, took = engine_doc(cid)
        seconds += took
        mapping = align(cid, doc)
        rows = gold_turns(cid)
        roles = {i: s for i, _, s, _ in rows}
        texts = {i: t for i, _, _, t in rows}
        metrics = doc["metrics"]
        to_gold = mapping.get

        def gold_of(value: Any, to_gold: Any = to_gold) -> int | None:
            return None if value is None else to_gold(int(value))

        inv_gold = coding["invitation_turn"]
        inv_sys = gold_of(metrics.get("invitation_turn"))
        opening = metrics.get("opening_statement") or {}
        first_sys = gold_of(opening.get("turn"))
        end_sys = gold_of(opening.get("end_turn"))
        end_gold = coding["opening_end_turn"]
        after = [
            i
            for i in sorted(roles)
            if inv_gold is not None and i > inv_gold and roles[i] == "PATIENT"
        ]
        first_bench = after[0] if after else None
        first_manual = next(
            (
                i
                for i in after
                if not _BACKCHANNEL.match(texts[i])
                and not texts[i].rstrip().endswith("?")
                and i <= (end_gold if end_gold is not None else i)
            ),
            first_bench,
        )
        checks = {
            "invitation": inv_sys == inv_gold,
            "opening_manual": first_sys == first_manual,
            "opening_bench": first_sys == first_bench,
            "opening_within": first_sys is not None
            and first_bench is not None
            and end_gold is not None
            and first_bench <= first_sys <= end_gold,
            "opening_end": end_sys == end_gold,
            "interrupted": bool(opening.get("interrupted")) == bool(coding["opening_interrupted"]),
            # the failure of issue 12: the opening is the patient's name / age, said before
            # the invitation
            "opening before the invitation": first_sys is not None
            and inv_gold is not None
            and first_sys < inv_gold,
        }
        for key, ok in checks.items():
            counted[key] += 1
            exact[key] += int(ok)
        sys_agenda = {
            g
            for v in metrics.get("agenda_setting_turns") or []
            if (g := to_gold(_turn_of(v))) is not None
        }
        agenda.add(sys_agenda, set(coding["agenda_setting_turns"]))
        sys_ice = {
            g: v.get("kind")
            for v in metrics.get("ice_turns") or []
            if (g := to_gold(_turn_of(v))) is not None
        }
        gold_ice = {i["turn"]: i["kind"] for i in coding["ice"]}
        ice.add(set(sys_ice), set(gold_ice))
        for turn in set(sys_ice) & set(gold_ice):
            ice_kind_n += 1
            ice_kind_right += int(sys_ice[turn] == gold_ice[turn])
        sys_int = {
            g
            for v in metrics.get("interruption_turns") or []
            if (g := to_gold(_turn_of(v))) is not None
        }
        gold_int = {o["turn"] for o in coding["overlaps"] if o["kind"] == "interruption"}
        interruption.add(sys_int, gold_int)
        sys_kinds = {
            g: o["kind"]
            for o in metrics.get("overlaps") or []
            if (g := to_gold(int(o["turn"]))) is not None
        }
        for o in coding["overlaps"]:
            kind_n += 1
            kind_right += int(sys_kinds.get(o["turn"]) == o["kind"])
        if args.verbose:
            print(
                f"== {cid}: invitation {inv_sys} (gold {inv_gold}); opening {first_sys}-{end_sys}"
                f" (gold {first_manual}-{end_gold}, bench first {first_bench}); interrupted "
                f"{opening.get('interrupted')} (gold {coding['opening_interrupted']}); "
                f"seconds {opening.get('seconds')}"
            )
            for name, found, gold in (
                ("agenda", sys_agenda, set(coding["agenda_setting_turns"])),
                ("ice", set(sys_ice), set(gold_ice)),
                ("interruption", sys_int, gold_int),
            ):
                for turn in sorted(found ^ gold):
                    tag = "FP" if turn in found else "FN"
                    kind = f" {sys_ice.get(turn)}/{gold_ice.get(turn)}" if name == "ice" else ""
                    print(f"   {name} {tag}{kind} [{turn}] {texts.get(turn, '')[:110]}")
    figures: dict[str, Any] = {
        "part": "development (day1_consultation01-15), not the held-out figures",
        "consultations": len(ids),
        **{(k if " " in k else f"{k} exact"): f"{exact[k]}/{counted[k]}" for k in exact},
        "agenda setting": agenda.row(),
        "ICE": ice.row(),
        "ICE kind agreement": f"{ice_kind_right}/{ice_kind_n}",
        "interruption": interruption.row(),
        "overlap kind agreement": f"{kind_right}/{kind_n}",
        "analysis seconds": round(seconds, 2),
    }
    for key, value in figures.items():
        if isinstance(value, dict):
            value = ", ".join(
                f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items()
            )
        print(f"{key:28} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
