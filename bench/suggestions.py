"""Benchmark (issue 12 item 9): suggested replies for missed cues, v2 beside today's v1.

On the 35 shared PriMock57 consultations (`<BEDSIDE_DATA_DIR>/primock57/transcripts`, each pair
merged as `bedside analyze A_doctor.TextGrid A_patient.TextGrid --merge` does), every
opportunity the engine reports is taken, and three sets of suggestions are measured the same way:

- **new**: the engine's own suggestion (`suggestions.v2.yaml`, `bedside.engine._suggestions`);
- **old templates**: today's template function (`bench/_suggestions_v1.py`, a copy of the
  function before this change, reading `suggestions.v1.yaml`) on the same cues;
- **old engine** (unless `--baseline-ref none`): the whole engine of a git commit (default
  `HEAD`, exported with `git archive` into a temporary folder and run in a subprocess), with the
  cues and responses it found then: what users saw.

Figures, over the suggestions shown (those of `missed` opportunities) and over every cue (what
the suggestion would be had each been missed):
- distinct: the share of suggestions whose text no other suggestion has (distinct texts / n);
- patient's words: the share that hold a content word of the cue's patient turns (four letters
  or more, not a stop word, `bedside.engine._text.content_words`), exact word match;
- echo errors: the share in which `bedside.engine._echo.echo_problems` finds a grammar error
  (cut-off word, filler, repeated word, "you was", first person inside the echo, "worried about
  anything", dangling word, lower-case "i", broken punctuation), with the count of each;
- top-8 share: how many suggestions are one of the eight commonest texts;
- repair talk: suggestions given for a cue turn that is only repair talk or politeness.

It also writes the blind rating sheet (`--write-sheet`): 60 (cue context, suggested reply)
items sampled with a fixed seed from the opportunities with both an old-template and a new
suggestion (missed ones first), half old and half new, shuffled, with ids that carry no marker;
the key goes to a separate file. Rate with bench/suggestion_ratings.py.

    .venv/bin/python bench/suggestions.py [--no-models] [--baseline-ref HEAD|none]
        [--write-sheet] [--seed 12] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _suggestions_v1 import suggest_v1

import bedside.io as bio
from bedside.config import Settings
from bedside.engine import DEFAULT_RULES, analyse
from bedside.engine._cues import Cue, detect_cue
from bedside.engine._echo import echo_problems
from bedside.engine._suggestions import _is_repair, suggestion_for
from bedside.engine._text import content_words
from bedside.engine._vrcodes import DEFAULT_VRCODES
from bedside.errors import ModelError
from bedside.model import Conversation, Role, TurnLabeller

ROOT = Path(__file__).resolve().parents[1]
SHEET_DIR = ROOT / "data" / "gold" / "suggestions"
SHEET_SIZE = 60


@dataclass(frozen=True)
class Item:
    """One opportunity and its suggestions."""

    cid: str
    cue_turns: tuple[int, ...]
    patient: tuple[str, ...]
    reply: str
    missed: bool
    new: str | None
    old: str | None
    situation: str | None


def consultation_ids(transcripts: Path) -> list[str]:
    """Every consultation with both a doctor and a patient TextGrid."""
    return sorted(
        p.name.removesuffix("_doctor.TextGrid")
        for p in transcripts.glob("*_doctor.TextGrid")
        if (transcripts / p.name.replace("_doctor", "_patient")).exists()
    )


def merged(transcripts: Path, cid: str) -> Conversation:
    """The pair on one timeline, as `bedside analyze --merge` reads it."""
    paths = [transcripts / f"{cid}_doctor.TextGrid", transcripts / f"{cid}_patient.TextGrid"]
    return bio.merge_conversations([bio.read_conversation(p) for p in paths], conv_id=cid)


def _reply(conv: Conversation, cue_turns: Sequence[int], response_turn: int | None) -> str:
    """The clinician's actual reply: the response turn, else the next clinician turn."""
    if response_turn is not None:
        return conv.turns[response_turn].text
    for turn in conv.turns[max(cue_turns) + 1 :]:
        if turn.role is Role.CLINICIAN:
            return turn.text
    return ""


def _lead_cue(
    conv: Conversation, cue_turns: Sequence[int], category: str | None
) -> tuple[Cue, str] | None:
    """The lead cue of an opportunity, found again by its category (the report keeps no `Cue`)."""
    found = []
    for index in cue_turns:
        cue = detect_cue(conv.turns[index].text, DEFAULT_RULES)
        if cue is not None:
            found.append((cue, conv.turns[index].text))
    for cue, text in found:
        if cue.category == category:
            return cue, text
    return found[0] if found else None


def items_of(conv: Conversation, labeller: TurnLabeller | None) -> list[Item]:
    """Every opportunity of one consultation with its new and old suggestion."""
    doc = analyse(conv, labeller=labeller).to_json()
    items = []
    for opp in doc["opportunities"]:
        cue_turns = tuple(opp.get("cue_turns") or [opp["cue_turn"]])
        texts = [conv.turns[i].text for i in cue_turns]
        lead = _lead_cue(conv, cue_turns, opp.get("cue_category"))
        missed = opp["response"] == "missed"
        old = new = situation = None
        if lead is not None:
            cue, lead_text = lead
            old = suggest_v1(cue, DEFAULT_RULES, turn_index=cue_turns[0])
            found = suggestion_for(cue, texts, lead_text=lead_text)
            situation = found.situation if found else None
            new = found.text if found else None
        if missed:
            new = opp["suggestion"]  # what the engine itself shows
        items.append(
            Item(
                cid=conv.id or "",
                cue_turns=cue_turns,
                patient=tuple(texts),
                reply=_reply(conv, cue_turns, opp.get("response_turn")),
                missed=missed,
                new=new,
                old=old,
                situation=situation,
            )
        )
    return items


def figures(suggestions: Sequence[tuple[str | None, Sequence[str]]]) -> dict[str, Any]:
    """The figures of one set: (suggestion or None, the cue's patient turns) per opportunity."""
    given = [(s, texts) for s, texts in suggestions if s]
    n = len(given)
    texts_only = [s for s, _ in given]
    counts = Counter(texts_only)
    own = sum(1 for s, texts in given if content_words(" ".join(texts)) & content_words(s))
    problems = Counter(p for s, _ in given for p in echo_problems(s))
    with_error = sum(1 for s, _ in given if echo_problems(s))
    top8 = sum(c for _, c in counts.most_common(8))
    repair = sum(1 for s, texts in given if _is_repair(texts, DEFAULT_VRCODES))
    share = (lambda k: round(k / n, 3)) if n else (lambda k: None)
    return {
        "n": n,
        "none": len(suggestions) - n,
        "distinct": len(counts),
        "distinct_share": share(len(counts)),
        "patient_words_share": share(own),
        "echo_error_share": share(with_error),
        "echo_errors": dict(problems.most_common()),
        "top8_share": share(top8),
        "repair_talk_suggestions": repair,
    }


_BASELINE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import bedside.io as bio
    from bedside.engine import analyse
    transcripts, use_models, ids = Path(sys.argv[1]), sys.argv[2] == "1", sys.argv[3:]
    labeller = None
    if use_models:
        try:
            from bedside.nlp import load_labeller
            labeller = load_labeller()
        except Exception as error:  # the old tree may lack them: rules only
            print(f"models not loaded in the baseline: {error}", file=sys.stderr)
    out = []
    for cid in ids:
        paths = [transcripts / f"{cid}_doctor.TextGrid", transcripts / f"{cid}_patient.TextGrid"]
        conv = bio.merge_conversations([bio.read_conversation(p) for p in paths], conv_id=cid)
        doc = analyse(conv, labeller=labeller).to_json()
        for opp in doc["opportunities"]:
            turns = opp.get("cue_turns") or [opp["cue_turn"]]
            out.append({"id": cid, "missed": opp["response"] == "missed",
                        "suggestion": opp["suggestion"],
                        "texts": [doc["turns"][i]["text"] for i in turns]})
    json.dump(out, sys.stdout)
    """
)


def old_engine(
    ref: str, transcripts: Path, ids: Sequence[str], use_models: bool
) -> list[dict[str, Any]]:
    """The opportunities of the whole engine at git `ref`, run from an exported copy of its src."""
    with tempfile.TemporaryDirectory(prefix="bedside-baseline-") as folder:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        done = subprocess.run(
            [sys.executable, "-c", _BASELINE, str(transcripts), "1" if use_models else "0", *ids],
            capture_output=True,
            text=True,
            check=True,
            env={
                "PYTHONPATH": str(Path(folder) / "src"),
                "PATH": "/usr/bin:/bin",
                "HOME": str(Path.home()),
            },
            cwd=ROOT,
        )
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def rating_sheet(items: Sequence[Item], seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The blind sheet and its key: half old, half new, shuffled, ids with no marker."""
    rng = random.Random(seed)
    usable = [i for i in items if i.old and i.new]
    missed = [i for i in usable if i.missed]
    other = [i for i in usable if not i.missed]
    rng.shuffle(missed)
    rng.shuffle(other)
    chosen = (missed + other)[:SHEET_SIZE]
    arms = ["old", "new"] * (len(chosen) // 2) + ["new"] * (len(chosen) % 2)
    rng.shuffle(arms)
    rows = list(zip(chosen, arms, strict=True))
    rng.shuffle(rows)
    ids = rng.sample(range(100, 1000), len(rows))
    sheet_items, key = [], {}
    for number, (item, arm) in zip(ids, rows, strict=True):
        rid = f"s{number}"
        sheet_items.append(
            {
                "id": rid,
                "consultation": item.cid,
                "patient_turns": list(item.patient),
                "clinician_reply": item.reply,
                "suggestion": item.old if arm == "old" else item.new,
            }
        )
        key[rid] = arm
    sheet = {
        "about": "Blind rating sheet (issue 12 item 9). For each item read the patient's turn(s) "
        "and what the clinician actually said, then rate the suggested reply: would you, as a "
        "communication-skills trainer, sign it as a better reply to this moment?",
        "scale": {
            "1": "would not sign: wrong for the moment, ungrammatical or unsafe",
            "2": "poor: generic or awkward, little to do with what the patient said",
            "3": "acceptable: fits, but a trainer would rewrite it",
            "4": "good: fits the moment and the patient's words, small changes at most",
            "5": "excellent: what a trainer would model",
        },
        "how_to_rate": "Write data/gold/suggestions/ratings_<your name>.json as "
        '{"rater": "<your name>", "ratings": {"<id>": 1-5, ...}} without looking at the other '
        "rater's file or rating_key.json.",
        "seed": seed,
        "items": sheet_items,
    }
    return sheet, {"seed": seed, "key": dict(sorted(key.items()))}


def _print(name: str, found: Mapping[str, Any]) -> None:
    errors = ", ".join(f"{k} {v}" for k, v in found["echo_errors"].items()) or "none"
    print(
        f"  {name:<15} n {found['n']:>3}  distinct {found['distinct']:>3} ({found['distinct_share']})"
        f"  patient's words {found['patient_words_share']}  echo errors {found['echo_error_share']}"
        f"  top-8 {found['top8_share']}  repair talk {found['repair_talk_suggestions']}"
        f"  no suggestion {found['none']}\n  {'':<15} errors: {errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-models", action="store_true", help="rules only")
    parser.add_argument("--baseline-ref", default="HEAD", help="git ref of the old engine, or none")
    parser.add_argument("--write-sheet", action="store_true", help="write the blind rating sheet")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, help="write every figure as JSON")
    args = parser.parse_args()
    transcripts = Settings().data_dir / "primock57" / "transcripts"
    if not transcripts.is_dir():
        sys.exit(f"PriMock57 transcripts not found at {transcripts} (set BEDSIDE_DATA_DIR)")
    ids = consultation_ids(transcripts)
    labeller = None
    use_models = not args.no_models
    if use_models:
        try:
            from bedside.nlp import load_labeller

            labeller = load_labeller()
        except ModelError as error:
            print(f"models not installed ({error}): rules only")
            use_models = False
    items = [item for cid in ids for item in items_of(merged(transcripts, cid), labeller)]
    missed = [i for i in items if i.missed]
    results: dict[str, Any] = {
        "consultations": len(ids),
        "models": use_models,
        "opportunities": len(items),
        "missed": len(missed),
        "shown": {
            "new": figures([(i.new, i.patient) for i in missed]),
            "old templates": figures([(i.old, i.patient) for i in missed]),
        },
        "every cue": {
            "new": figures([(i.new, i.patient) for i in items]),
            "old templates": figures([(i.old, i.patient) for i in items]),
        },
        "situations": dict(Counter(i.situation or "none" for i in items).most_common()),
    }
    if args.baseline_ref.lower() != "none":
        before = old_engine(args.baseline_ref, transcripts, ids, use_models)
        results["baseline_ref"] = args.baseline_ref
        results["shown"]["old engine"] = figures(
            [(o["suggestion"], o["texts"]) for o in before if o["missed"]]
        )
    print(
        f"Suggestions on {len(ids)} PriMock57 consultations ({'models' if use_models else 'rules only'}): "
        f"{len(items)} opportunities, {len(missed)} missed"
    )
    for part, label in (
        ("shown", "suggestions shown (missed cues)"),
        ("every cue", "had every cue been missed"),
    ):
        print(label)
        for name, found in results[part].items():
            _print(name, found)
    print(
        "situations (every cue):", ", ".join(f"{k} {v}" for k, v in results["situations"].items())
    )
    if args.write_sheet:
        sheet, key = rating_sheet(items, args.seed)
        SHEET_DIR.mkdir(parents=True, exist_ok=True)
        (SHEET_DIR / "rating_items.json").write_text(
            json.dumps(sheet, indent=1, ensure_ascii=False) + "\n"
        )
        (SHEET_DIR / "rating_key.json").write_text(json.dumps(key, indent=1) + "\n")
        print(
            f"rating sheet: {len(sheet['items'])} items in {SHEET_DIR / 'rating_items.json'}, key apart"
        )
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
