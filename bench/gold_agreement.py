"""Agreement between the two coders of each double-coded consultation of the gold standard.

Cohen's kappa (with raw agreement and n) per code, pooled over the double-coded pairs:
- per patient turn: is a cue or concern (any kind), risk mention;
- per clinician turn: open question, reflection, empathic turn (any EPITOME level > 0), agenda
  setting, ICE (any kind);
- per overlapping clinician turn (one that starts while a patient turn runs): interruption;
- per consultation: invitation turn, opening statement first turn and last turn (exact agreement),
  opening interrupted;
- on cues both coders found (their turns overlap): response code (nine codes) and response space
  (provides/reduces), and cue matching itself (the share of one coder's cues the other found).

The benchmark `bench/encounter_validity.py` prints these beside the engine's figures.

    python bench/gold_agreement.py [--part all|dev|held-out] [--out agreement.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from _gold import (
    CLINICIAN,
    PATIENT,
    Coding,
    Cue,
    TurnTable,
    double_codings,
    load_split,
    load_turn_tables,
)


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters' labels of the same items; None where it is undefined.

    kappa = (p_o - p_e) / (1 - p_e), with p_o the observed agreement and p_e the agreement
    expected from each rater's label frequencies. It is undefined when p_e is 1 (both raters
    gave every item the same single label): no chance-corrected figure exists, and the raw
    agreement is all there is to report.
    """
    if len(first) != len(second):
        raise ValueError(f"{len(first)} and {len(second)} labels: expected one each per item")
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    count_a, count_b = Counter(first), Counter(second)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


@dataclass(frozen=True)
class Agreement:
    """One code's agreement: kappa (None where undefined), raw agreement, items, positives."""

    code: str
    unit: str
    n: int
    raw: float | None
    kappa: float | None
    positives: tuple[int, int] | None = None  # (first coder, second coder) for binary codes

    @classmethod
    def of(
        cls,
        code: str,
        unit: str,
        first: Sequence[Hashable],
        second: Sequence[Hashable],
        *,
        kappa: bool = True,
    ) -> Agreement:
        """`kappa=False` for exact agreement on a turn number, where kappa has no meaning."""
        n = len(first)
        raw = sum(a == b for a, b in zip(first, second, strict=True)) / n if n else None
        binary = all(isinstance(x, bool) for x in (*first, *second))
        positives = (sum(map(bool, first)), sum(map(bool, second))) if binary else None
        return cls(code, unit, n, raw, cohen_kappa(first, second) if kappa else None, positives)

    def kappa_text(self) -> str:
        return "–" if self.kappa is None else f"{self.kappa:.2f}"

    def raw_text(self) -> str:
        return "–" if self.raw is None else f"{self.raw:.2f}"


def cues_overlap(one: Cue, two: Cue) -> bool:
    """Two cues are the same cue when they share a turn (the benchmark's matching rule)."""
    return bool(set(one.turns) & set(two.turns))


def match_cues(
    first: Sequence[Sequence[int]], second: Sequence[Sequence[int]]
) -> list[tuple[int, int]]:
    """One-to-one (i, j) pairs of cues whose turns overlap, largest overlap first.

    A cue that runs over several turns may overlap two shorter cues of the other coder; it is
    paired with the one it shares most turns with (ties: the earlier), and the other stays
    unmatched for response agreement. Recall and precision use `found_share` instead, which
    lets any overlap count.
    """
    candidates = []
    for i, one in enumerate(first):
        for j, two in enumerate(second):
            shared = len(set(one) & set(two))
            if shared:
                candidates.append((-shared, i, j))
    used_i, used_j, pairs = set(), set(), []
    for _neg, i, j in sorted(candidates):
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def found_share(
    reference: Sequence[Sequence[int]], other: Sequence[Sequence[int]]
) -> tuple[int, int]:
    """(how many reference cues share a turn with some cue of `other`, how many reference cues)."""
    others = [set(o) for o in other]
    hit = sum(any(set(ref) & o for o in others) for ref in reference)
    return hit, len(reference)


def _turn_labels(
    pairs: Sequence[tuple[Coding, Coding]],
    tables: Mapping[str, TurnTable],
    role: str,
    label: Callable[[Coding], set[int]],
    turns_of: Callable[[TurnTable], Sequence[int]] | None = None,
) -> tuple[list[bool], list[bool]]:
    first, second = [], []
    for one, two in pairs:
        table = tables[one.id]
        turns = turns_of(table) if turns_of else [i for i, r in enumerate(table.roles) if r == role]
        a, b = label(one), label(two)
        first += [t in a for t in turns]
        second += [t in b for t in turns]
    return first, second


def agreement(
    pairs: Sequence[tuple[Coding, Coding]], tables: Mapping[str, TurnTable]
) -> list[Agreement]:
    """Every code's agreement pooled over the double-coded pairs."""
    rows: list[Agreement] = []

    def per_turn(code: str, role: str, label: Callable[[Coding], set[int]]) -> None:
        unit = "patient turns" if role == PATIENT else "clinician turns"
        rows.append(Agreement.of(code, unit, *_turn_labels(pairs, tables, role, label)))

    per_turn("cue or concern", PATIENT, Coding.cue_turns)
    per_turn("open question", CLINICIAN, lambda c: set(c.open_questions))
    per_turn("reflection", CLINICIAN, lambda c: {r.turn for r in c.reflections})
    per_turn("empathic turn (EPITOME > 0)", CLINICIAN, Coding.empathic_turns)
    per_turn("agenda setting", CLINICIAN, lambda c: set(c.agenda_setting_turns))
    per_turn("ICE", CLINICIAN, lambda c: {i.turn for i in c.ice})
    first, second = [], []
    for one, two in pairs:
        coded = {o.turn for o in one.overlaps} | {o.turn for o in two.overlaps}
        turns = sorted(set(tables[one.id].overlaps) | coded)
        a, b = one.interruption_turns(), two.interruption_turns()
        first += [t in a for t in turns]
        second += [t in b for t in turns]
    rows.append(Agreement.of("interruption", "overlapping clinician turns", first, second))
    per_turn("risk mention", PATIENT, lambda c: set(c.risk_mentions))

    def per_consultation(code: str, value: Callable[[Coding], Hashable], kappa: bool) -> None:
        first = [value(one) for one, _ in pairs]
        second = [value(two) for _, two in pairs]
        rows.append(Agreement.of(code, "consultations", first, second, kappa=kappa))

    per_consultation("invitation turn (exact)", lambda c: c.invitation_turn, False)
    per_consultation(
        "opening statement first turn (exact)",
        lambda c: tables[c.id].first_patient_turn_after(c.invitation_turn),
        False,
    )
    per_consultation("opening statement last turn (exact)", lambda c: c.opening_end_turn, False)
    per_consultation("opening interrupted", lambda c: c.opening_interrupted, True)

    codes_a, codes_b = [], []
    for one, two in pairs:
        for i, j in match_cues([c.turns for c in one.cues], [c.turns for c in two.cues]):
            codes_a.append(one.cues[i].response)
            codes_b.append(two.cues[j].response)
    rows.append(Agreement.of("response code (9 codes)", "cues both coders found", codes_a, codes_b))
    rows.append(
        Agreement.of(
            "response space (provides/reduces)",
            "cues both coders found",
            [c[1] == "P" for c in codes_a],
            [c[1] == "P" for c in codes_b],
        )
    )
    return rows


def cue_matching(pairs: Sequence[tuple[Coding, Coding]]) -> dict[str, float | int | None]:
    """How far the coders found the same cues: each coder's cues the other also found."""
    hit_a = hit_b = n_a = n_b = 0
    for one, two in pairs:
        ta, tb = [c.turns for c in one.cues], [c.turns for c in two.cues]
        h, n = found_share(ta, tb)
        hit_a, n_a = hit_a + h, n_a + n
        h, n = found_share(tb, ta)
        hit_b, n_b = hit_b + h, n_b + n
    return {
        "first_found_by_second": hit_a / n_a if n_a else None,
        "second_found_by_first": hit_b / n_b if n_b else None,
        "first_cues": n_a,
        "second_cues": n_b,
    }


def measure(part: str = "all") -> dict[str, object]:
    """Agreement on the double-coded consultations of `part`, as a JSON-ready document."""
    split, tables = load_split(), load_turn_tables()
    pairs, missing = double_codings(split.part(part), split, tables)
    return {
        "part": part,
        "pairs": [f"{one.id} ({one.annotator}–{two.annotator})" for one, two in pairs],
        "pairs_missing": missing,
        "codes": [asdict(row) for row in agreement(pairs, tables)],
        "cue_matching": cue_matching(pairs),
    }


def table_lines(document: Mapping[str, object]) -> list[str]:
    """The agreement table in Markdown."""
    lines = [
        "| code | unit | n | positives (1st, 2nd) | raw agreement | Cohen's kappa |",
        "|---|---|---|---|---|---|",
    ]
    for row in document["codes"]:  # type: ignore[attr-defined]
        ag = Agreement(
            **{**row, "positives": tuple(row["positives"]) if row["positives"] else None}
        )
        pos = f"{ag.positives[0]}, {ag.positives[1]}" if ag.positives else "–"
        lines.append(
            f"| {ag.code} | {ag.unit} | {ag.n} | {pos} | {ag.raw_text()} | {ag.kappa_text()} |"
        )
    match = document["cue_matching"]
    assert isinstance(match, dict)
    if match["first_cues"]:
        lines.append("")
        lines.append(
            f"Cue matching (a cue is found when the other coder has a cue sharing a turn): "
            f"{match['first_found_by_second']:.2f} of the primary coders' {match['first_cues']} "
            f"cues were found by the second coder, {match['second_found_by_first']:.2f} of the "
            f"second coders' {match['second_cues']} by the primary coder."
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", default="all", choices=("all", "dev", "held-out"))
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    args = parser.parse_args()
    document = measure(args.part)
    pairs = document["pairs"]
    assert isinstance(pairs, list)
    print(f"Double-coded consultations ({args.part}): {len(pairs)} pairs: " + ", ".join(pairs))
    if document["pairs_missing"]:
        print(f"not yet coded by both: {', '.join(document['pairs_missing'])}")  # type: ignore[arg-type]
    print()
    print("\n".join(table_lines(document)))
    if args.out:
        args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    if not pairs:
        sys.exit("no double-coded consultation has both codings yet")


if __name__ == "__main__":
    main()
