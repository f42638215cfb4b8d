"""Benchmark (issue 12): today's engine against the encounter gold standard, beside the coders.

On the held-out part of the gold standard (`--part dev` for the development part), each shared
PriMock57 consultation is analysed the way `bedside analyze A_doctor.TextGrid A_patient.TextGrid
--merge` does (same reader, merge and batch path, models on) and the engine's labels are compared
with the primary coder's codes. Each figure is printed beside
- the human agreement between the two coders of the double-coded consultations (all pairs: the
  same figure with the second coder in the engine's place, and the per-code kappa of
  bench/gold_agreement.py), and
- a simple baseline measured in the same run (a phrase list, timing alone, or the majority class),
- the issue's target.

Matching: a cue is found when an engine cue shares a turn with it (recall); an engine cue is right
when it shares a turn with a gold cue (precision). Response space is compared on the gold cues an
engine cue found (one-to-one, largest overlap first). F1 figures are pooled over turns.
Where the engine does not fill a contract key yet, the figure reads "not produced".

Mapping today's outputs to the codes: `response_space` when the engine gives it, else
`response` (`explored`/`acknowledged` -> provides, `missed` -> reduces, as the contract maps
the codes); the opening statement is `metrics.opening_statement.turn` (its first patient turn);
ICE is `metrics.ice_turns`, risk `metrics.risk_turns`, interruptions `metrics.interruption_turns`,
agenda setting `metrics.agenda_setting_turns`, open questions `turns[].question == "open"`,
empathic turns any `turns[].empathy` level above 0.

Turn numbering: the gold numbers turns as `<data>/primock57/turns/<id>.txt`; the engine's merged
turns are checked against it (count, role, start, text) and mapped where they differ.

    .venv/bin/python bench/encounter_validity.py [--part held-out|dev] [--out FILE.json]
        [--no-models] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _gold import (
    CLINICIAN,
    PATIENT,
    Coding,
    TurnTable,
    double_codings,
    load_split,
    load_turn_tables,
    primary_codings,
)
from gold_agreement import agreement, cue_matching, match_cues

import bedside.io as bio
from bedside.batch import Analysed, Failure, SerialExecutor, Source, analyse_sources
from bedside.config import Settings
from bedside.engine import analyse
from bedside.errors import ModelError
from bedside.model import Conversation, TurnLabeller

TARGETS = {
    "cue recall": 0.70,
    "cue precision": 0.70,
    "response space agreement": 0.75,
    "opening statement turn found": 0.80,
    "agenda setting F1": 0.70,
    "ICE F1": 0.70,
    "interruption F1": 0.70,
    "empathic clinician turn F1": 0.60,
    "risk recall": 1.0,
}


# --- what a coder or the engine says, in gold turn numbers ------------------------------------


@dataclass
class Labels:
    """The codes of one consultation, from a coder or mapped from the engine.

    None means "not produced" (the engine has no such output yet).
    """

    cues: list[tuple[int, ...]] | None = None
    spaces: list[str | None] | None = None  # per cue: provides | reduces | None
    codes: list[str | None] | None = None  # per cue: the VR-CoDES response code, if produced
    invitation: int | None = None
    invitation_given: bool = False
    opening_first: int | None = None
    opening_last: int | None = None
    opening_given: bool = False
    opening_interrupted: bool | None = None
    interrupted_given: bool = False
    agenda: set[int] | None = None
    ice: set[int] | None = None
    open_questions: set[int] | None = None
    empathic: set[int] | None = None
    reflections: set[int] | None = None
    interruptions: set[int] | None = None
    risk: set[int] | None = None
    notes: list[str] = field(default_factory=list)


def labels_of_coding(coding: Coding, table: TurnTable) -> Labels:
    """A coder's codes as `Labels` (to put the second coder where the engine goes)."""
    return Labels(
        cues=[c.turns for c in coding.cues],
        spaces=[c.space for c in coding.cues],
        codes=[c.response for c in coding.cues],
        invitation=coding.invitation_turn,
        invitation_given=True,
        opening_first=table.first_patient_turn_after(coding.invitation_turn),
        opening_last=coding.opening_end_turn,
        opening_given=True,
        opening_interrupted=coding.opening_interrupted,
        interrupted_given=True,
        agenda=set(coding.agenda_setting_turns),
        ice={i.turn for i in coding.ice},
        open_questions=set(coding.open_questions),
        empathic=coding.empathic_turns(),
        reflections={r.turn for r in coding.reflections},
        interruptions=coding.interruption_turns(),
        risk=set(coding.risk_mentions),
    )


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def align(
    gold_turns: Sequence[Mapping[str, Any]], engine_turns: Sequence[Mapping[str, Any]]
) -> tuple[dict[int, int], list[str]]:
    """Map engine turn indices to gold turn numbers; and what did not align, in words.

    Identity when count, roles and texts (whitespace aside) agree. Otherwise each gold turn is
    matched to the engine turn with its role and start time (within 10 ms), text preferred.
    """

    def role(turn: Mapping[str, Any]) -> str:
        return (
            CLINICIAN
            if turn.get("speaker") == "doctor" or turn.get("role") == "clinician"
            else PATIENT
        )

    same = len(gold_turns) == len(engine_turns) and all(
        role(g) == role(e) and _norm(g["text"]) == _norm(e["text"])
        for g, e in zip(gold_turns, engine_turns, strict=True)
    )
    if same:
        return {i: i for i in range(len(engine_turns))}, []
    mapping: dict[int, int] = {}
    used: set[int] = set()
    lost: list[int] = []
    for g in gold_turns:
        near = [
            j
            for j, e in enumerate(engine_turns)
            if j not in used
            and role(e) == role(g)
            and e.get("start") is not None
            and abs(float(e["start"]) - float(g["start"])) < 0.011
        ]
        near.sort(key=lambda j: _norm(engine_turns[j]["text"]) != _norm(g["text"]))
        if near:
            mapping[near[0]] = int(g["index"])
            used.add(near[0])
        else:
            lost.append(int(g["index"]))
    notes = [
        f"{len(gold_turns)} gold turns, {len(engine_turns)} engine turns; "
        f"{len(mapping)} mapped by role and start time"
    ]
    if lost:
        empty = sum(not re.search(r"\w", gold_turns[i]["text"]) for i in lost)
        notes.append(
            f"{len(lost)} gold turns without an engine turn ({empty} hold no words, e.g. '.')"
            f": {lost[:12]}{' …' if len(lost) > 12 else ''}"
        )
    extra = len(engine_turns) - len(used)
    if extra:
        notes.append(f"{extra} engine turns without a gold turn")
    return mapping, notes


def labels_of_report(doc: Mapping[str, Any], mapping: Mapping[int, int]) -> Labels:
    """Today's engine output (the analysis JSON) as `Labels` in gold turn numbers."""
    turns = doc["turns"]
    metrics = doc["metrics"]
    to_gold = mapping.get

    def gold_set(indices: Sequence[int]) -> set[int]:
        return {g for i in indices if (g := to_gold(int(i))) is not None}

    def from_metrics(key: str) -> set[int] | None:
        value = metrics.get(key)
        if value is None:
            return None
        return gold_set([v["turn"] if isinstance(v, dict) else v for v in value])

    cues: list[tuple[int, ...]] = []
    spaces: list[str | None] = []
    codes: list[str | None] = []
    covered: set[int] = set()
    for opp in doc.get("opportunities", []):
        engine_turns = opp.get("cue_turns") or [opp["cue_turn"]]
        mapped = tuple(sorted(gold_set(engine_turns)))
        covered |= set(engine_turns)
        if not mapped:
            continue
        cues.append(mapped)
        space = opp.get("response_space")
        if space is None:
            space = {"explored": "provides", "acknowledged": "provides", "missed": "reduces"}.get(
                opp.get("response") or ""
            )
        spaces.append(space)
        codes.append(opp.get("response_code"))
    for t in turns:  # a flagged cue turn with no opportunity is still a cue the engine found
        if t.get("cue") and t["index"] not in covered and (g := to_gold(t["index"])) is not None:
            cues.append((g,))
            spaces.append(None)
            codes.append(None)
    opening = metrics.get("opening_statement")
    agenda = from_metrics("agenda_setting_turns")
    if agenda is None and any("agenda_setting" in t for t in turns):
        agenda = gold_set([t["index"] for t in turns if t.get("agenda_setting")])
    invitation = metrics.get("invitation_turn")
    return Labels(
        cues=cues,
        spaces=spaces,
        invitation=to_gold(invitation) if invitation is not None else None,
        invitation_given="invitation_turn" in metrics,
        # produced when the engine writes the key (a consultation with no cues has nothing to code)
        codes=codes
        if not doc.get("opportunities") or any("response_code" in o for o in doc["opportunities"])
        else None,
        opening_first=to_gold(opening["turn"])
        if opening and opening.get("turn") is not None
        else None,
        opening_given=opening is not None,
        opening_interrupted=opening.get("interrupted") if opening else None,
        interrupted_given=bool(opening) and "interrupted" in opening,
        agenda=agenda,
        ice=from_metrics("ice_turns"),
        open_questions=gold_set([t["index"] for t in turns if t.get("question") == "open"]),
        empathic=gold_set(
            [t["index"] for t in turns if t.get("empathy") and max(t["empathy"].values()) > 0]
        ),
        reflections=gold_set([t["index"] for t in turns if t.get("reflection")]),
        interruptions=from_metrics("interruption_turns"),
        risk=from_metrics("risk_turns"),
    )


# --- the simple baselines ----------------------------------------------------------------------

_EMOTION = re.compile(
    r"\b(worr(y|ied|ying|ies)|scar(ed|y)|afraid|anxious|stress(ed|ful)?|upset|concern(ed|ing)?|"
    r"frighten\w*|nervous|feeling (low|down)|depress\w*|embarrass\w*)\b",
    re.I,
)
_OPEN = re.compile(
    r"(^|[.?!,]\s*)(so |and |um |uh |ok(ay)?,? )*(how|what|why|tell me|describe|can you (tell|describe)"
    r"|could you (tell|describe))\b[^.?!]*\?",
    re.I,
)
_EMPATHY = re.compile(
    r"\b(sorry to hear|i('m| am) (so |very )?sorry|i understand|i can understand|must be|"
    r"sounds (like|really|difficult|hard)|that's (hard|difficult|tough))",
    re.I,
)
_AGENDA = re.compile(r"\banything else\b", re.I)
_ICE = re.compile(
    r"\b(worried|concerned|what do you think|do you think it|hoping|expect\w*|"
    r"any ideas|have you (read|looked))\b[^.?!]*\?",
    re.I,
)
_RISK = re.compile(
    r"\b(suicid\w*|self[- ]harm\w*|kill(ed|ing)? (my|him|her|them)sel(f|ves)|wan(t|ted|ts) to die|"
    r"end (my|his|her) life|hurt(ing)? (my|him|her)self|abus(e|ed|ive)|safeguard\w*)\b",
    re.I,
)


def labels_of_baseline(
    gold_turns: Sequence[Mapping[str, Any]], table: TurnTable, majority_space: str
) -> Labels:
    """Phrase lists, timing alone, and the majority class: what a one-line rule gets."""
    text = {int(t["index"]): t["text"] for t in gold_turns}
    clin = [i for i, r in enumerate(table.roles) if r == CLINICIAN]
    pat = [i for i, r in enumerate(table.roles) if r == PATIENT]
    cues: list[tuple[int, ...]] = [(i,) for i in pat if _EMOTION.search(text[i])]
    first_question = next((i for i in clin if "?" in text[i]), None)
    return Labels(
        cues=cues,
        spaces=[majority_space] * len(cues),
        invitation=first_question,
        invitation_given=True,
        opening_first=table.first_patient_turn_after(first_question),
        opening_given=True,
        opening_interrupted=False,
        interrupted_given=True,
        agenda={i for i in clin if _AGENDA.search(text[i])},
        ice={i for i in clin if _ICE.search(text[i])},
        open_questions={i for i in clin if _OPEN.search(text[i])},
        empathic={i for i in clin if _EMPATHY.search(text[i])},
        reflections=None,
        interruptions=set(table.overlaps),
        risk={i for i in pat if _RISK.search(text[i])},
    )


# --- figures -----------------------------------------------------------------------------------


@dataclass
class Figure:
    """A proportion with its numerator and denominator (None value: not measurable or not produced)."""

    value: float | None
    hits: int = 0
    n: int = 0
    note: str = ""
    f1: bool = False  # an F1: `hits` true positives of `n` gold positives, P and R in `note`

    def text(self) -> str:
        if self.note == "not produced":
            return "not produced"
        if self.value is None:
            return f"– ({self.note or 'n = 0'})"
        if self.f1:
            return f"{self.value:.2f} ({self.note})"
        return f"{self.value:.2f} ({self.hits}/{self.n})"

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "hits": self.hits, "n": self.n, "note": self.note}


NOT_PRODUCED = Figure(None, note="not produced")


def _prop(hits: int, n: int, note: str = "") -> Figure:
    return Figure(hits / n if n else None, hits, n, note)


def figures(
    reference: Sequence[tuple[Labels, Labels, TurnTable]],
) -> dict[str, Figure]:
    """Every benchmark figure of `system` labels against `gold` labels, pooled over consultations.

    `reference` holds (gold, system, turn table) per consultation.
    """
    out: dict[str, Figure] = {}
    if any(sys_.cues is None for _, sys_, _ in reference):
        out["cue recall"] = out["cue precision"] = NOT_PRODUCED
    else:
        found = n_gold = right = n_sys = 0
        for gold, sys_, _ in reference:
            assert gold.cues is not None and sys_.cues is not None
            found += sum(any(set(g) & set(s) for s in sys_.cues) for g in gold.cues)
            right += sum(any(set(s) & set(g) for g in gold.cues) for s in sys_.cues)
            n_gold += len(gold.cues)
            n_sys += len(sys_.cues)
        out["cue recall"] = _prop(found, n_gold)
        out["cue precision"] = _prop(right, n_sys)
    out["response space agreement"] = _cue_axis(reference, "spaces")
    out["response code agreement"] = _cue_axis(reference, "codes")

    def per_consultation(
        name: str,
        given: Callable[[Labels], bool],
        same: Callable[[Labels, Labels, TurnTable], bool | None],
    ) -> None:
        if not all(given(s) for _, s, _ in reference):
            out[name] = NOT_PRODUCED
            return
        results = [same(g, s, t) for g, s, t in reference]
        kept = [r for r in results if r is not None]
        out[name] = _prop(sum(kept), len(kept))

    per_consultation(
        "invitation turn found",
        lambda s: s.invitation_given,
        lambda g, s, t: None if g.invitation is None else s.invitation == g.invitation,
    )
    per_consultation(
        "opening statement turn found",
        lambda s: s.opening_given,
        lambda g, s, t: None if g.opening_first is None else s.opening_first == g.opening_first,
    )
    per_consultation(
        "opening statement turn within the gold opening",
        lambda s: s.opening_given,
        lambda g, s, t: (
            None
            if g.opening_first is None or g.opening_last is None
            else s.opening_first is not None
            and g.opening_first <= s.opening_first <= g.opening_last
        ),
    )
    per_consultation(
        "opening interrupted (accuracy)",
        lambda s: s.interrupted_given,
        lambda g, s, t: (
            None
            if g.opening_interrupted is None
            else bool(s.opening_interrupted) == g.opening_interrupted
        ),
    )
    for name, attr in (
        ("agenda setting F1", "agenda"),
        ("ICE F1", "ice"),
        ("open question F1", "open_questions"),
        ("empathic clinician turn F1", "empathic"),
        ("reflection F1", "reflections"),
        ("interruption F1", "interruptions"),
    ):
        out[name] = _f1(reference, attr)
    if any(s.risk is None for _, s, _ in reference):
        out["risk recall"] = NOT_PRODUCED
    else:
        hit = sum(len((g.risk or set()) & (s.risk or set())) for g, s, _ in reference)
        n = sum(len(g.risk or set()) for g, _, _ in reference)
        flagged = sum(len(s.risk or set()) for _, s, _ in reference)
        out["risk recall"] = _prop(
            hit, n, "" if n else f"no gold risk mention; {flagged} turns flagged"
        )
    return out


def _cue_axis(reference: Sequence[tuple[Labels, Labels, TurnTable]], attr: str) -> Figure:
    if any(getattr(s, attr) is None for _, s, _ in reference):
        return NOT_PRODUCED
    same = n = 0
    for gold, sys_, _ in reference:
        assert gold.cues is not None and sys_.cues is not None
        gold_values, sys_values = getattr(gold, attr), getattr(sys_, attr)
        for i, j in match_cues(gold.cues, sys_.cues):
            if sys_values[j] is None:
                continue
            n += 1
            same += sys_values[j] == gold_values[i]
    return _prop(same, n, "on gold cues the system found")


def _f1(reference: Sequence[tuple[Labels, Labels, TurnTable]], attr: str) -> Figure:
    if any(getattr(s, attr) is None for _, s, _ in reference):
        return NOT_PRODUCED
    tp = fp = fn = 0
    for gold, sys_, _ in reference:
        g, s = getattr(gold, attr), getattr(sys_, attr)
        tp += len(g & s)
        fp += len(s - g)
        fn += len(g - s)
    if tp + fp + fn == 0:
        return Figure(None, note="no positives in gold or system")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return Figure(
        2 * tp / (2 * tp + fp + fn),
        hits=tp,
        n=tp + fn,
        note=f"P {precision:.2f}, R {recall:.2f}, {tp + fn} gold",
        f1=True,
    )


# --- running the engine -------------------------------------------------------------------------


def analyse_pairs(
    ids: Sequence[str], transcripts: Path, use_models: bool
) -> tuple[dict[str, dict[str, Any]], list[str], float]:
    """Each consultation's analysis JSON by the `bedside analyze --merge` path; failures; seconds."""
    sources = [
        Source(
            label=cid,
            paths=(transcripts / f"{cid}_doctor.TextGrid", transcripts / f"{cid}_patient.TextGrid"),
            merge=True,
            conv_id=cid,
        )
        for cid in ids
    ]
    reports: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    start = time.perf_counter()
    for result in analyse_sources(
        sources,
        SerialExecutor(use_models=use_models),
        read_conversations=bio.read_conversations,
        merge_conversations=bio.merge_conversations,
    ):
        if isinstance(result, Analysed):
            reports[result.report.id] = result.report.to_json()
        elif isinstance(result, Failure):
            failures.append(f"{result.label}: {result.message}")
    return reports, failures, time.perf_counter() - start


def time_150_turns(
    transcripts: Path, ids: Sequence[str], labeller: TurnLabeller | None, repeat: int
) -> tuple[float, str]:
    """Median seconds of the whole analysis of a 150-turn consultation (the first 150 turns of
    the longest consultation of the shared set)."""
    convs: list[Conversation] = []
    for cid in ids:
        paths = [transcripts / f"{cid}_doctor.TextGrid", transcripts / f"{cid}_patient.TextGrid"]
        convs.append(
            bio.merge_conversations([bio.read_conversation(p) for p in paths], conv_id=cid)
        )
    longest = max(convs, key=lambda c: len(c.turns))
    target = longest.model_copy(update={"turns": longest.turns[:150], "id": f"{longest.id}[:150]"})
    analyse(target, labeller=labeller)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        analyse(target, labeller=labeller)
        times.append(time.perf_counter() - start)
    return statistics.median(times), longest.id


def _commit() -> str:
    """The commit measured, and whether the engine code differs from it (others may be editing)."""
    import bedside

    package = Path(bedside.__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(package), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(package), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"unknown (bedside from {package})"
    return head + (" + uncommitted changes in src/bedside" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", default="held-out", choices=("held-out", "dev"))
    parser.add_argument("--out", type=Path, help="write every figure as JSON")
    parser.add_argument("--no-models", action="store_true", help="rules only (as --no-models)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the 150-turn case")
    args = parser.parse_args()
    data = Settings().data_dir / "primock57"
    transcripts, turn_dir = data / "transcripts", data / "turns"
    if not transcripts.is_dir():
        sys.exit(f"PriMock57 transcripts not found at {transcripts} (set BEDSIDE_DATA_DIR)")

    split, tables = load_split(), load_turn_tables()
    ids = split.part(args.part)
    gold, missing = primary_codings(ids, split, tables)
    print(
        f"Encounter validity, {args.part} part: {len(gold)} of {len(ids)} consultations coded"
        + (f" (not yet: {', '.join(missing)})" if missing else "")
    )
    print(
        f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; commit {_commit()}"
    )
    if not gold:
        sys.exit("no primary coding in this part yet")

    labeller = None
    use_models = not args.no_models
    if use_models:
        try:
            from bedside.nlp import load_labeller

            labeller = load_labeller()
        except ModelError as error:
            print(f"models not installed ({error}): rules only")
            use_models = False
    coded = [cid for cid in ids if cid in gold]
    reports, failures, seconds = analyse_pairs(coded, transcripts, use_models)
    if failures:
        sys.exit("engine failed on: " + "; ".join(failures))
    print(
        f"engine: {len(reports)} consultations in {seconds:.1f} s ({'models' if use_models else 'rules only'})"
    )

    dev_gold, _ = primary_codings(split.development, split, tables)
    spaces = Counter(c.space for coding in dev_gold.values() for c in coding.cues)
    majority = spaces.most_common(1)[0][0] if spaces else "provides"

    engine_ref, base_ref, alignment = [], [], {}
    for cid in coded:
        gold_turns = json.loads((turn_dir / f"{cid}.json").read_text(encoding="utf-8"))["turns"]
        table = tables[cid]
        if len(gold_turns) != len(table.roles):
            sys.exit(
                f"{cid}: turn table has {len(gold_turns)} turns, turns.json {len(table.roles)}"
            )
        mapping, notes = align(gold_turns, reports[cid]["turns"])
        if notes:
            alignment[cid] = notes
        truth = labels_of_coding(gold[cid], table)
        engine_ref.append((truth, labels_of_report(reports[cid], mapping), table))
        base_ref.append((truth, labels_of_baseline(gold_turns, table, majority), table))
    engine, baseline = figures(engine_ref), figures(base_ref)

    pairs, _ = double_codings(None, split, tables)
    human = figures(
        [
            (labels_of_coding(a, tables[a.id]), labels_of_coding(b, tables[b.id]), tables[a.id])
            for a, b in pairs
        ]
    )
    kappas = {row.code: row for row in agreement(pairs, tables)}
    matching = cue_matching(pairs)
    kappa_of = {
        "cue recall": "cue or concern",
        "cue precision": "cue or concern",
        "response space agreement": "response space (provides/reduces)",
        "response code agreement": "response code (9 codes)",
        "invitation turn found": "invitation turn (exact)",
        "opening statement turn found": "opening statement first turn (exact)",
        "opening statement turn within the gold opening": "opening statement last turn (exact)",
        "opening interrupted (accuracy)": "opening interrupted",
        "agenda setting F1": "agenda setting",
        "ICE F1": "ICE",
        "open question F1": "open question",
        "empathic clinician turn F1": "empathic turn (EPITOME > 0)",
        "reflection F1": "reflection",
        "interruption F1": "interruption",
        "risk recall": "risk mention",
    }

    print()
    if alignment:
        print("Turn alignment (gold turn table vs the engine's merged turns):")
        for cid, notes in alignment.items():
            print(f"- {cid}: " + "; ".join(notes))
    else:
        print(
            f"Turn alignment: the engine's merged turns equal the gold turn tables in all {len(coded)}"
        )
    print()
    print(
        f"Figures, {args.part} part ({len(coded)} consultations; human: {len(pairs)} double-coded pairs, "
        "second coder scored against the first)"
    )
    print()
    print("| figure | target | engine | baseline | human (2nd vs 1st coder) | human kappa (raw) |")
    print("|---|---|---|---|---|---|")
    rows = []
    for name, fig in engine.items():
        target = TARGETS.get(name)
        met = ""
        if target is not None and fig.value is not None:
            met = " ✓" if fig.value >= target else " ✗"
        k = kappas.get(kappa_of.get(name, ""))
        ktext = f"{k.kappa_text()} ({k.raw_text()}, n={k.n})" if k else "–"
        target_text = f"≥ {target:.2f}" if target is not None else "–"
        print(
            f"| {name} | {target_text} | {fig.text()}{met} | {baseline[name].text()} | {human[name].text()} | {ktext} |"
        )
        rows.append(
            {
                "figure": name,
                "target": target,
                "engine": fig.as_json(),
                "baseline": baseline[name].as_json(),
                "human": human[name].as_json(),
                "human_kappa": k.kappa if k else None,
                "human_raw": k.raw if k else None,
            }
        )
    print()
    print(
        f"Cue matching between coders: {matching['first_found_by_second']:.2f} of the primary coders' "
        f"cues found by the second, {matching['second_found_by_first']:.2f} the other way."
    )
    print(f"Response-space baseline: always '{majority}' (the majority on the development gold).")

    every = split.part("all")  # the longest of all 35, as bench/encounter.py times it
    long_s, long_id = time_150_turns(transcripts, every, labeller, args.repeat)
    base_s, _ = time_150_turns(transcripts, every, None, args.repeat)
    print()
    print(
        f"Speed: whole analysis of a 150-turn consultation (first 150 turns of {long_id}): "
        f"median {long_s * 1000:.0f} ms of {args.repeat} with {'models' if labeller else 'rules only'}; "
        f"rules-only {base_s * 1000:.0f} ms (same run, load average {os.getloadavg()[0]:.1f})"
    )
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "part": args.part,
                    "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                    "commit": _commit(),
                    "consultations": coded,
                    "missing": missing,
                    "models": use_models,
                    "alignment": alignment,
                    "figures": rows,
                    "human_pairs": [f"{a.id} ({a.annotator}-{b.annotator})" for a, b in pairs],
                    "cue_matching": matching,
                    "speed_150_turns_ms": {"engine": long_s * 1000, "rules_only": base_s * 1000},
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
