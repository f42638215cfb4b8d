"""The encounter gold standard: typed, validated codings of the PriMock57 consultations.

One JSON file per consultation and coder, `data/gold/encounters/coder_<X>/<id>.json`, in the
format of `../shared/docs/coding-manual.md` ("Output"). This module is the one place that knows
where the files are, what a valid coding is, which consultations are development and which are
held out, and whose coding counts where two coders coded the same consultation
(`data/gold/encounters/split.json`).

It lives in `bench/` (not in `src/bedside`) on purpose: the gold standard is measurement data of
the repository, not part of the installed package, and the engine is pure (no files). Benchmarks
import it as a sibling module; tests load it by path (tests/engine/test_gold_standard.py).

Validation needs each turn's role; so that it runs in a clone without ../shared, the roles and the
overlapping clinician turns of every consultation are kept beside the codings in
`data/gold/encounters/turns.json` (made from the PriMock57 turn tables by
`python bench/_gold.py --write-turns`).

    python bench/_gold.py            # validate every coding, print what is there
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLD_DIR = ROOT / "data" / "gold" / "encounters"
SPLIT_FILE = GOLD_DIR / "split.json"
TURNS_FILE = GOLD_DIR / "turns.json"

CUE_KINDS = ("cue", "concern")
CUE_TYPES = ("a", "b", "c", "d", "e", "f", "g")
RESPONSE_CODES = (
    "EP-explore",
    "EP-empathy",
    "ER-inform",
    "ER-block",
    "NP-backchannel",
    "NP-info",
    "NP-invite",
    "NR-switch",
    "NR-ignore",
)
ICE_KINDS = ("ideas", "concerns", "expectations")
REFLECTION_KINDS = ("simple", "complex")
OVERLAP_KINDS = ("interruption", "transition", "backchannel", "simultaneous")
EPITOME_KEYS = ("emotional_reactions", "interpretations", "explorations")
TOP_KEYS = (
    "id",
    "annotator",
    "cues",
    "invitation_turn",
    "opening_end_turn",
    "opening_interrupted",
    "agenda_setting_turns",
    "ice",
    "risk_mentions",
    "open_questions",
    "reflections",
    "empathy_turns",
    "overlaps",
    "notes",
)
CUE_KEYS = ("turns", "kind", "type", "words", "response_turns", "response", "delayed_turn")
CLINICIAN, PATIENT = "C", "P"


def response_space(code: str) -> str:
    """VR-CoDES' space axis of a response code: `provides` (EP-, NP-) or `reduces` (ER-, NR-)."""
    return "provides" if code[1] == "P" else "reduces"


def response_explicit(code: str) -> bool:
    """VR-CoDES' explicit axis: E- codes refer to the cue, N- codes do not."""
    return code[0] == "E"


class GoldError(ValueError):
    """A gold file that does not follow the coding manual: says which file, which key, what was expected."""

    def __init__(self, source: str, key: str, expected: str, found: object = None) -> None:
        self.source, self.key, self.expected, self.found = source, key, expected, found
        super().__init__(f"{source}: {key}: expected {expected}, found {found!r}")


@dataclass(frozen=True)
class Cue:
    """A cue or concern (VR-CoDES) over one or more patient turns and the clinician's response."""

    turns: tuple[int, ...]
    kind: str
    type: str | None
    words: str
    response_turns: tuple[int, ...]
    response: str
    delayed_turn: int | None

    @property
    def space(self) -> str:
        return response_space(self.response)

    @property
    def explicit(self) -> bool:
        return response_explicit(self.response)


@dataclass(frozen=True)
class TurnKind:
    """A turn with one kind: an ICE turn, a reflection, an overlap."""

    turn: int
    kind: str


@dataclass(frozen=True)
class EmpathyTurn:
    """A clinician turn's EPITOME levels (0 none, 1 weak, 2 strong)."""

    turn: int
    emotional_reactions: int
    interpretations: int
    explorations: int

    @property
    def empathic(self) -> bool:
        return max(self.emotional_reactions, self.interpretations, self.explorations) > 0


@dataclass(frozen=True)
class Coding:
    """One coder's coding of one consultation."""

    id: str
    annotator: str
    cues: tuple[Cue, ...]
    invitation_turn: int | None
    opening_end_turn: int | None
    opening_interrupted: bool | None
    agenda_setting_turns: tuple[int, ...]
    ice: tuple[TurnKind, ...]
    risk_mentions: tuple[int, ...]
    open_questions: tuple[int, ...]
    reflections: tuple[TurnKind, ...]
    empathy_turns: tuple[EmpathyTurn, ...]
    overlaps: tuple[TurnKind, ...]
    notes: str
    source: str = "<string>"

    def cue_turns(self) -> set[int]:
        return {turn for cue in self.cues for turn in cue.turns}

    def empathic_turns(self) -> set[int]:
        return {e.turn for e in self.empathy_turns if e.empathic}

    def interruption_turns(self) -> set[int]:
        return {o.turn for o in self.overlaps if o.kind == "interruption"}


@dataclass(frozen=True)
class TurnTable:
    """Each turn's role (C clinician, P patient) and the clinician turns that overlap a patient turn."""

    roles: str
    overlaps: tuple[int, ...]

    def first_patient_turn_after(self, turn: int | None) -> int | None:
        """The opening statement's first turn: the first patient turn after the invitation."""
        if turn is None:
            return None
        return next((i for i in range(turn + 1, len(self.roles)) if self.roles[i] == PATIENT), None)


@dataclass(frozen=True)
class Split:
    """Development and held-out consultations, the primary coder of each, the double-coded pairs."""

    development: tuple[str, ...]
    held_out: tuple[str, ...]
    primary: Mapping[str, str]
    double: Mapping[str, tuple[str, str]]

    def part(self, name: str) -> tuple[str, ...]:
        """`dev`/`development`, `held-out`/`held_out`, or `all`."""
        if name in ("dev", "development"):
            return self.development
        if name in ("held-out", "held_out"):
            return self.held_out
        if name == "all":
            return self.development + self.held_out
        raise ValueError(f"part {name!r}: expected dev, held-out or all")


# --- validation -----------------------------------------------------------------------------


class _Checker:
    def __init__(self, source: str, table: TurnTable | None) -> None:
        self.source, self.table = source, table

    def fail(self, key: str, expected: str, found: object) -> GoldError:
        return GoldError(self.source, key, expected, found)

    def obj(self, value: object, key: str, keys: Sequence[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "a JSON object", value)
        missing = [k for k in keys if k not in value]
        if missing:
            raise self.fail(key, f"keys {', '.join(missing)}", sorted(value))
        unknown = sorted(set(value) - set(keys))
        if unknown:
            raise self.fail(key, f"only the manual's keys ({', '.join(keys)})", unknown)
        return value

    def array(self, value: object, key: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(key, "a JSON array", value)
        return value

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, "a string", value)
        return value

    def choice(self, value: object, key: str, choices: Sequence[str | int | None]) -> Any:
        if value not in choices:
            raise self.fail(key, "one of " + ", ".join(str(c) for c in choices), value)
        return value

    def turn(self, value: object, key: str, role: str | None, nullable: bool = False) -> int | None:
        if value is None and nullable:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, "a turn number" + (" or null" if nullable else ""), value)
        if self.table is not None:
            if not 0 <= value < len(self.table.roles):
                raise self.fail(key, f"a turn 0..{len(self.table.roles) - 1}", value)
            if role is not None and self.table.roles[value] != role:
                who = "clinician" if role == CLINICIAN else "patient"
                raise self.fail(key, f"a {who} turn", value)
        elif value < 0:
            raise self.fail(key, "a turn number >= 0", value)
        return value

    def turns(self, value: object, key: str, role: str | None, min_len: int = 0) -> tuple[int, ...]:
        items = self.array(value, key)
        if len(items) < min_len:
            raise self.fail(key, f"at least {min_len} turn(s)", value)
        found = tuple(self.turn(t, f"{key}[{i}]", role) for i, t in enumerate(items))
        if len(set(found)) != len(found):
            raise self.fail(key, "each turn once", value)
        return tuple(t for t in found if t is not None)

    def turn_kinds(self, value: object, key: str, kinds: Sequence[str]) -> tuple[TurnKind, ...]:
        out = []
        for i, item in enumerate(self.array(value, key)):
            where = f"{key}[{i}]"
            entry = self.obj(item, where, ("turn", "kind"))
            turn = self.turn(entry["turn"], f"{where}.turn", CLINICIAN)
            assert turn is not None
            out.append(TurnKind(turn, self.choice(entry["kind"], f"{where}.kind", kinds)))
        if len({t.turn for t in out}) != len(out):
            raise self.fail(key, "each turn once", value)
        return tuple(out)


def parse_coding(
    document: object, *, source: str = "<string>", table: TurnTable | None = None
) -> Coding:
    """A `Coding` from the manual's JSON object, or `GoldError` naming the key that is wrong.

    With `table`, every turn must exist and have the role the manual gives it: cues and risk
    mentions are patient turns; responses, structure and clinician codes are clinician turns.
    """
    check = _Checker(source, table)
    doc = check.obj(document, "<root>", TOP_KEYS)
    cid = check.text(doc["id"], "id")
    if Path(source).stem not in (cid, "<string>") and source != "<string>":
        raise check.fail("id", f"the file's name ({Path(source).stem})", cid)
    cues = []
    for i, item in enumerate(check.array(doc["cues"], "cues")):
        where = f"cues[{i}]"
        raw = check.obj(item, where, CUE_KEYS)
        kind = check.choice(raw["kind"], f"{where}.kind", CUE_KINDS)
        cue_type = check.choice(raw["type"], f"{where}.type", (*CUE_TYPES, None))
        turns = check.turns(raw["turns"], f"{where}.turns", PATIENT, min_len=1)
        response_turns = check.turns(raw["response_turns"], f"{where}.response_turns", CLINICIAN)
        if response_turns and min(response_turns) < min(turns):
            raise check.fail(
                f"{where}.response_turns", "turns after the cue's first turn", response_turns
            )
        cues.append(
            Cue(
                turns=tuple(sorted(turns)),
                kind=kind,
                type=cue_type,
                words=check.text(raw["words"], f"{where}.words"),
                response_turns=tuple(sorted(response_turns)),
                response=check.choice(raw["response"], f"{where}.response", RESPONSE_CODES),
                delayed_turn=check.turn(
                    raw["delayed_turn"], f"{where}.delayed_turn", CLINICIAN, True
                ),
            )
        )
    interrupted = doc["opening_interrupted"]
    if interrupted is not None and not isinstance(interrupted, bool):
        raise check.fail("opening_interrupted", "true, false or null", interrupted)
    empathy = []
    for i, item in enumerate(check.array(doc["empathy_turns"], "empathy_turns")):
        where = f"empathy_turns[{i}]"
        raw = check.obj(item, where, ("turn", *EPITOME_KEYS))
        turn = check.turn(raw["turn"], f"{where}.turn", CLINICIAN)
        assert turn is not None
        levels = [check.choice(raw[k], f"{where}.{k}", (0, 1, 2)) for k in EPITOME_KEYS]
        if any(isinstance(v, bool) for v in levels):
            raise check.fail(where, "levels 0, 1 or 2", levels)
        empathy.append(EmpathyTurn(turn, *levels))
    if len({e.turn for e in empathy}) != len(empathy):
        raise check.fail("empathy_turns", "each turn once", [e.turn for e in empathy])
    risk = []
    for i, item in enumerate(check.array(doc["risk_mentions"], "risk_mentions")):
        # the manual shows only `[]`: a turn number, or an object with a "turn" (plus anything)
        value = item.get("turn") if isinstance(item, dict) else item
        turn = check.turn(value, f"risk_mentions[{i}]", PATIENT)
        assert turn is not None
        risk.append(turn)
    return Coding(
        id=cid,
        annotator=check.text(doc["annotator"], "annotator"),
        cues=tuple(cues),
        invitation_turn=check.turn(doc["invitation_turn"], "invitation_turn", CLINICIAN, True),
        opening_end_turn=check.turn(doc["opening_end_turn"], "opening_end_turn", PATIENT, True),
        opening_interrupted=interrupted,
        agenda_setting_turns=check.turns(
            doc["agenda_setting_turns"], "agenda_setting_turns", CLINICIAN
        ),
        ice=check.turn_kinds(doc["ice"], "ice", ICE_KINDS),
        risk_mentions=tuple(sorted(set(risk))),
        open_questions=check.turns(doc["open_questions"], "open_questions", CLINICIAN),
        reflections=check.turn_kinds(doc["reflections"], "reflections", REFLECTION_KINDS),
        empathy_turns=tuple(empathy),
        overlaps=check.turn_kinds(doc["overlaps"], "overlaps", OVERLAP_KINDS),
        notes=check.text(doc["notes"], "notes"),
        source=source,
    )


# --- files ----------------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise GoldError(str(path), f"line {error.lineno}", "valid JSON", error.msg) from None


def load_turn_tables(path: Path = TURNS_FILE) -> dict[str, TurnTable]:
    """Every consultation's turn roles and overlapping clinician turns."""
    doc = _read_json(path)
    tables = {}
    for cid, entry in doc["consultations"].items():
        roles = entry["roles"]
        if not isinstance(roles, str) or set(roles) - {CLINICIAN, PATIENT}:
            raise GoldError(str(path), f"consultations.{cid}.roles", "a string of C and P", roles)
        tables[cid] = TurnTable(roles=roles, overlaps=tuple(entry["overlaps"]))
    return tables


def load_split(path: Path = SPLIT_FILE) -> Split:
    """The fixed development/held-out split and the coder assignment (split.json)."""
    doc = _read_json(path)
    primary = dict(doc["primary"])
    double = {cid: (pair[0], pair[1]) for cid, pair in doc["double"].items()}
    split = Split(
        development=tuple(doc["development"]),
        held_out=tuple(doc["held_out"]),
        primary=primary,
        double=double,
    )
    every = split.development + split.held_out
    if len(set(every)) != len(every) or set(every) != set(primary):
        raise GoldError(
            str(path), "primary", "one primary coder for each consultation, once", sorted(primary)
        )
    for cid, pair in double.items():
        if primary[cid] not in pair:
            raise GoldError(str(path), f"double.{cid}", f"the primary coder {primary[cid]}", pair)
    return split


def coding_path(cid: str, coder: str, gold_dir: Path = GOLD_DIR) -> Path:
    return gold_dir / f"coder_{coder}" / f"{cid}.json"


def load_coding(
    cid: str,
    coder: str,
    *,
    tables: Mapping[str, TurnTable] | None = None,
    gold_dir: Path = GOLD_DIR,
) -> Coding:
    """One coder's coding of one consultation, validated against its turn table."""
    path = coding_path(cid, coder, gold_dir)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not written (yet)")
    table = (tables if tables is not None else load_turn_tables()).get(cid)
    coding = parse_coding(_read_json(path), source=str(path), table=table)
    if coding.annotator != coder:
        raise GoldError(str(path), "annotator", f"{coder!r} (the folder's coder)", coding.annotator)
    return coding


def iter_files(gold_dir: Path = GOLD_DIR) -> Iterator[tuple[str, str, Path]]:
    """(consultation id, coder, path) of every coding file present."""
    for folder in sorted(gold_dir.glob("coder_*")):
        for path in sorted(folder.glob("*.json")):
            yield path.stem, folder.name.removeprefix("coder_"), path


def primary_codings(
    ids: Sequence[str], split: Split | None = None, tables: Mapping[str, TurnTable] | None = None
) -> tuple[dict[str, Coding], list[str]]:
    """The primary coder's coding of each consultation; and the ids whose file is not there yet."""
    split = split or load_split()
    tables = tables if tables is not None else load_turn_tables()
    found, missing = {}, []
    for cid in ids:
        try:
            found[cid] = load_coding(cid, split.primary[cid], tables=tables)
        except FileNotFoundError:
            missing.append(cid)
    return found, missing


def double_codings(
    ids: Sequence[str] | None = None,
    split: Split | None = None,
    tables: Mapping[str, TurnTable] | None = None,
) -> tuple[list[tuple[Coding, Coding]], list[str]]:
    """(first, second) codings of each double-coded consultation in `ids` where both exist."""
    split = split or load_split()
    tables = tables if tables is not None else load_turn_tables()
    pairs, missing = [], []
    for cid, (one, two) in split.double.items():
        if ids is not None and cid not in ids:
            continue
        try:
            pairs.append(
                (load_coding(cid, one, tables=tables), load_coding(cid, two, tables=tables))
            )
        except FileNotFoundError:
            missing.append(cid)
    return pairs, missing


def write_turn_tables(turns_dir: Path, path: Path = TURNS_FILE) -> int:
    """Make turns.json from the PriMock57 turn tables (`<data>/primock57/turns/<id>.json`)."""
    consultations = {}
    for table in sorted(turns_dir.glob("*.json")):
        doc = json.loads(table.read_text(encoding="utf-8"))
        roles = "".join(CLINICIAN if t["speaker"] == "doctor" else PATIENT for t in doc["turns"])
        if [t["index"] for t in doc["turns"]] != list(range(len(roles))):
            raise GoldError(str(table), "turns[].index", "0, 1, 2 … in order", None)
        overlaps = sorted(o["turn"] for o in doc.get("overlaps", []))
        consultations[doc["id"]] = {"roles": roles, "overlaps": overlaps}
    document = {
        "about": (
            "Turn roles (C clinician, P patient) and the clinician turns that start while a patient "
            "turn is running, from the PriMock57 turn tables (CC BY 4.0, Papadopoulos Korfiatis et "
            "al. 2022); made by `python bench/_gold.py --write-turns`."
        ),
        "consultations": consultations,
    }
    lines = ['{"about": ' + json.dumps(document["about"]) + ',\n "consultations": {']
    items = [f"  {json.dumps(cid)}: {json.dumps(entry)}" for cid, entry in consultations.items()]
    lines.append(",\n".join(items))
    lines.append(" }\n}\n")
    path.write_text("\n".join(lines), encoding="utf-8")
    return len(consultations)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--write-turns",
        action="store_true",
        help="rewrite turns.json from <BEDSIDE_DATA_DIR>/primock57/turns",
    )
    args = parser.parse_args()
    if args.write_turns:
        data = Path(os.environ.get("BEDSIDE_DATA_DIR", ROOT.parent / "shared" / "data"))
        print(f"{write_turn_tables(data / 'primock57' / 'turns')} consultations -> {TURNS_FILE}")
    split, tables = load_split(), load_turn_tables()
    errors = 0
    per_coder: dict[str, int] = {}
    for cid, coder, _path in iter_files():
        try:
            load_coding(cid, coder, tables=tables)
            per_coder[coder] = per_coder.get(coder, 0) + 1
        except GoldError as error:
            errors += 1
            print(f"invalid: {error}")
    _found, missing = primary_codings(split.part("all"), split, tables)
    pairs, _half = double_codings(None, split, tables)
    print(
        "codings: "
        + ", ".join(f"{c} {n}" for c, n in sorted(per_coder.items()))
        + f"; primary codings missing: {len(missing)} of {len(split.primary)}"
        + f"; double-coded pairs complete: {len(pairs)} of {len(split.double)}"
    )
    if errors:
        sys.exit(f"{errors} invalid coding file(s)")


if __name__ == "__main__":
    main()
