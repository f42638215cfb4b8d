"""MI codes on held-out AnnoMI transcripts (issue 13 item 1): learned models beside the old rules.

On the *held-out* transcripts of `data/annomi_split.json` (the models were trained and tuned on
the development ones only; `bedside.nlp.training.mi`), this prints, in one run, for the shipped
AnnoMI models and for the old regular expressions (`bedside.nlp._mi.MIRules`):

- question macro-F1 (none / open / closed) per clinician turn;
- reflection presence F1 (any reflection vs none), and simple / complex / none macro-F1;
- main therapist behaviour macro-F1 (reflection / question / therapist_input / other); the rules
  have no behaviour code, so theirs is derived: reflection if a reflection, else question if a
  question, else other;
- client talk type macro-F1 (change / neutral / sustain) per client turn (the rules have none;
  the always-"neutral" baseline is shown instead);
- the AUC (bootstrap 95 % CI) of each transcript's reflection-to-question ratio for high vs low
  MI quality, from the model's codes, the rules' codes and AnnoMI's human codes.

The published agreement between AnnoMI's own annotators is printed beside each code. As a
second, out-of-domain test, both are scored on the test half of the PriMock57 MI gold set
(`data/gold/mi/gold.jsonl`, primary-care clinician turns; the rules were written on its dev half).

    .venv/bin/python bench/mi_codes.py [--json OUT] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _annomi

from bedside.nlp import load_labeller
from bedside.nlp._mi import MIRules
from bedside.nlp.training.metrics import macro_f1
from bedside.nlp.training.mi import MIExample, examples, read_annomi

TARGETS = {"question": 0.80, "reflection_presence": 0.70, "mi_behaviour": 0.72,
           "talk_type": 0.60, "ratio_auc": 0.75}
AGREEMENT = {"question": "open/closed κ ≈ .57", "reflection_presence": "—",
             "reflection_type": "simple/complex κ ≈ .11", "mi_behaviour": "main behaviour κ ≈ .70",
             "talk_type": "—", "ratio_auc": "—"}


def _f1(truth: Sequence[bool], predicted: Sequence[bool]) -> float:
    tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t and p)
    denominator = sum(truth) + sum(predicted)
    return 2 * tp / denominator if denominator else 0.0


def _behaviour_from(question: str | None, reflection: str | None) -> str:
    return "reflection" if reflection else "question" if question else "other"


def _ratio(questions: Sequence[str | None], reflections: Sequence[str | None]) -> float:
    return sum(1 for r in reflections if r) / max(sum(1 for q in questions if q), 1)


def measure(held: list[MIExample], labeller: Any, quality: dict[str, bool]) -> dict[str, Any]:
    """Every figure for the model and the rules on the given held-out examples."""
    clinician = [e for e in held if e.labels["mi_behaviour"] is not None]
    client = [e for e in held if e.labels["talk_type"] is not None]
    contexts, texts = [e.context for e in clinician], [e.text for e in clinician]
    started = time.perf_counter()
    model = labeller.mi_codes(contexts, texts)
    talk = labeller.talk_types([e.context for e in client], [e.text for e in client])
    seconds = time.perf_counter() - started
    rules = MIRules().code_batch(contexts, texts)
    truth_q = [e.labels["question"] for e in clinician]
    truth_r = [e.labels["reflection"] for e in clinician]
    truth_b = [e.labels["mi_behaviour"] for e in clinician]
    truth_t = [e.labels["talk_type"] for e in client]
    systems: dict[str, dict[str, float | None]] = {}
    for name, codes in (("model", model), ("rules", rules)):
        behaviours = [c.behaviour or _behaviour_from(c.question, c.reflection) for c in codes]
        systems[name] = {
            "question": macro_f1(truth_q, [c.question for c in codes], [None, "open", "closed"]),
            "reflection_presence": _f1([r is not None for r in truth_r],
                                       [c.reflection is not None for c in codes]),
            "reflection_type": macro_f1(truth_r, [c.reflection for c in codes],
                                        [None, "simple", "complex"]),
            "mi_behaviour": macro_f1(truth_b, behaviours,
                                     ["reflection", "question", "therapist_input", "other"]),
        }
    classes = ["change", "neutral", "sustain"]
    systems["model"]["talk_type"] = macro_f1(truth_t, list(talk), classes)
    systems["rules"]["talk_type"] = None
    neutral_baseline = macro_f1(truth_t, ["neutral"] * len(truth_t), classes)
    ids = sorted({e.transcript for e in clinician}, key=int)
    labels = [quality[t] for t in ids]
    ratios: dict[str, list[float]] = {"model": [], "rules": [], "human": []}
    for tid in ids:
        rows = [i for i, e in enumerate(clinician) if e.transcript == tid]
        ratios["model"].append(_ratio([model[i].question for i in rows], [model[i].reflection for i in rows]))
        ratios["rules"].append(_ratio([rules[i].question for i in rows], [rules[i].reflection for i in rows]))
        ratios["human"].append(_ratio([truth_q[i] for i in rows], [truth_r[i] for i in rows]))
    aucs = {}
    for name, scores in ratios.items():
        low, high = _annomi.bootstrap_ci(scores, labels)
        aucs[name] = {"auc": round(_annomi.auc(scores, labels), 3), "ci95": [round(low, 3), round(high, 3)]}
    for name in ("model", "rules"):
        systems[name]["ratio_auc"] = aucs[name]["auc"]
    return {
        "transcripts": len(ids), "high": sum(labels), "clinician_turns": len(clinician),
        "client_turns": len(client), "systems": systems, "ratio_auc": aucs,
        "always_neutral_talk_type": round(neutral_baseline, 4),
        "model_turns_per_second": round((len(clinician) + len(client)) / max(seconds, 1e-9)),
    }


def gold_scores(labeller: Any) -> dict[str, dict[str, float]]:
    """Question macro-F1 and reflection presence F1 on the PriMock57 gold test half."""
    lines = (_annomi.ROOT / "data" / "gold" / "mi" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    test = [r for r in map(json.loads, lines) if r["split"] == "test"]
    contexts, texts = [r["context"] for r in test], [r["text"] for r in test]
    found = {}
    for name, codes in (("model", labeller.mi_codes(contexts, texts)),
                        ("rules", MIRules().code_batch(contexts, texts))):
        found[name] = {
            "question": round(macro_f1([r["question"] for r in test], [c.question for c in codes],
                                       [None, "open", "closed"]), 4),
            "reflection_presence": round(_f1([r["reflection"] is not None for r in test],
                                             [c.reflection is not None for c in codes]), 4),
            "turns": len(test),
        }
    return found


def main() -> int:
    """Measure on the held-out transcripts once; print a Markdown table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=_annomi.ROOT.parent / "shared" / "data")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()
    transcripts = read_annomi(args.data / "annomi" / "train.csv")
    split = _annomi.read_split()
    quality = {t: rows[0]["mi_quality"] == "high" for t, rows in transcripts.items()}
    held = examples(transcripts, [t for t in split["held_out"] if t in transcripts])
    labeller = load_labeller()
    result = measure(held, labeller, quality)
    result["primock57_gold_test"] = gold_scores(labeller)
    out = sys.stdout
    out.write(
        f"AnnoMI held-out: {result['transcripts']} transcripts ({result['high']} high MI quality), "
        f"{result['clinician_turns']} therapist and {result['client_turns']} client turns; "
        f"model {result['model_turns_per_second']} turns/s\n\n"
        "| measure | learned model | old rules | target | annotator agreement |\n|---|---|---|---|---|\n"
    )
    names = {"question": "question macro-F1 (none/open/closed)",
             "reflection_presence": "reflection presence F1",
             "reflection_type": "reflection macro-F1 (none/simple/complex)",
             "mi_behaviour": "main behaviour macro-F1",
             "talk_type": "client talk type macro-F1", "ratio_auc": "R:Q ratio AUC, high vs low"}
    for key, name in names.items():
        model, rules = result["systems"]["model"][key], result["systems"]["rules"][key]
        target = f"≥ {TARGETS[key]:.2f}" if key in TARGETS else "—"
        rules_text = f"{rules:.3f}" if rules is not None else f"— (always neutral {result['always_neutral_talk_type']:.3f})"
        out.write(f"| {name} | {model:.3f} | {rules_text} | {target} | {AGREEMENT[key]} |\n")
    out.write("\n| R:Q ratio from | AUC | 95 % CI (bootstrap) |\n|---|---|---|\n")
    for name, row in result["ratio_auc"].items():
        out.write(f"| {name} codes | {row['auc']:.3f} | {row['ci95'][0]:.3f}–{row['ci95'][1]:.3f} |\n")
    gold = result["primock57_gold_test"]
    out.write(f"\nOut of domain, PriMock57 MI gold test half ({gold['model']['turns']} clinician turns)\n\n"
              "| measure | learned model | old rules |\n|---|---|---|\n")
    for key, name in (("question", "question macro-F1"), ("reflection_presence", "reflection presence F1")):
        out.write(f"| {name} | {gold['model'][key]:.3f} | {gold['rules'][key]:.3f} |\n")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
