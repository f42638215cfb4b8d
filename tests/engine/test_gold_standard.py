"""The encounter gold standard (data/gold/encounters) and the benchmark that measures against it.

Every coding file must follow the coding manual (keys, codes from its lists, turns that exist and
have the role the code needs); the split and the coder assignment are fixed in split.json. These
read the repository only, so they run in a clone without ../shared. The kappa formula and the
benchmark's matching logic are checked on small cases worked by hand.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


def _bench_module(name: str) -> ModuleType:
    """A bench script as a module; its siblings (`import _gold`) resolve through sys.modules."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gold = _bench_module("_gold")
agreement = _bench_module("gold_agreement")
validity = _bench_module("encounter_validity")

FILES = list(gold.iter_files())
SPLIT = gold.load_split()
TABLES = gold.load_turn_tables()


def _coding(**changes: object) -> dict[str, object]:
    """A small valid coding of a 6-turn consultation (roles CPCPCP), with `changes` applied."""
    doc: dict[str, object] = {
        "id": "tiny",
        "annotator": "A",
        "cues": [
            {
                "turns": [3],
                "kind": "cue",
                "type": "d",
                "words": "my father died",
                "response_turns": [4],
                "response": "NR-switch",
                "delayed_turn": None,
            }
        ],
        "invitation_turn": 0,
        "opening_end_turn": 1,
        "opening_interrupted": False,
        "agenda_setting_turns": [],
        "ice": [{"turn": 2, "kind": "concerns"}],
        "risk_mentions": [],
        "open_questions": [0],
        "reflections": [{"turn": 4, "kind": "simple"}],
        "empathy_turns": [
            {"turn": 4, "emotional_reactions": 1, "interpretations": 0, "explorations": 0}
        ],
        "overlaps": [{"turn": 2, "kind": "backchannel"}],
        "notes": "",
    }
    doc.update(changes)
    return doc


TINY = gold.TurnTable(roles="CPCPCP", overlaps=(2,))


# --- the files ---------------------------------------------------------------------------------


def test_gold_files_are_there() -> None:
    coders = {coder for _cid, coder, _path in FILES}
    assert {"A", "B", "C"} <= coders
    assert len(FILES) >= len(SPLIT.primary)


@pytest.mark.parametrize(("cid", "coder"), [(cid, coder) for cid, coder, _ in FILES])
def test_every_gold_file_follows_the_manual(cid: str, coder: str) -> None:
    """Keys, codes from the manual's lists, turns in range with the role each code needs."""
    assert cid in TABLES, f"{cid}: not a shared PriMock57 consultation (turns.json)"
    coding = gold.load_coding(cid, coder, tables=TABLES)
    table = TABLES[cid]
    for cue in coding.cues:
        assert all(table.roles[t] == gold.PATIENT for t in cue.turns)
        assert cue.response in gold.RESPONSE_CODES
    if coding.invitation_turn is not None and coding.opening_end_turn is not None:
        assert coding.opening_end_turn > coding.invitation_turn, (
            "the opening follows the invitation"
        )


def test_split_is_the_fixed_one() -> None:
    """Development is day 1 (15), held out is days 2 and 3 (20); every consultation once."""
    assert SPLIT.development == tuple(f"day1_consultation{i:02d}" for i in range(1, 16))
    assert len(SPLIT.held_out) == 20
    assert all(cid.startswith(("day2_", "day3_")) for cid in SPLIT.held_out)
    assert set(SPLIT.part("all")) == set(TABLES) == set(SPLIT.primary)
    assert len(SPLIT.double) >= 8, "the issue asks for at least 8 double-coded consultations"
    for cid, (one, two) in SPLIT.double.items():
        assert one == SPLIT.primary[cid] and two != one


def test_primary_codings_exist_for_every_consultation() -> None:
    _found, missing = gold.primary_codings(SPLIT.part("all"), SPLIT, TABLES)
    assert not missing, f"primary coding not written: {missing}"
    pairs, half = gold.double_codings(None, SPLIT, TABLES)
    assert not half and len(pairs) == len(SPLIT.double)


def test_turn_tables_match_the_corpus(shared_data: Path) -> None:
    """turns.json is what `python bench/_gold.py --write-turns` makes from the PriMock57 tables."""
    for cid, table in TABLES.items():
        doc = json.loads((shared_data / "primock57" / "turns" / f"{cid}.json").read_text())
        roles = "".join("C" if t["speaker"] == "doctor" else "P" for t in doc["turns"])
        assert table.roles == roles, cid
        assert table.overlaps == tuple(sorted(o["turn"] for o in doc["overlaps"])), cid


# --- validation messages ------------------------------------------------------------------------


def test_a_valid_tiny_coding_parses() -> None:
    coding = gold.parse_coding(_coding(), source="tiny.json", table=TINY)
    assert coding.cues[0].space == "reduces" and not coding.cues[0].explicit
    assert coding.empathic_turns() == {4}
    assert TINY.first_patient_turn_after(coding.invitation_turn) == 1


@pytest.mark.parametrize(
    ("changes", "key", "expected"),
    [
        (
            {"cues": [{**_coding()["cues"][0], "response": "EP-listen"}]},
            "cues[0].response",
            "one of EP-explore",
        ),  # type: ignore[index]
        ({"cues": [{**_coding()["cues"][0], "turns": [2]}]}, "cues[0].turns[0]", "a patient turn"),  # type: ignore[index]
        ({"open_questions": [9]}, "open_questions[0]", "a turn 0..5"),
        ({"ice": [{"turn": 2, "kind": "hopes"}]}, "ice[0].kind", "one of ideas"),
        (
            {"overlaps": [{"turn": 1, "kind": "interruption"}]},
            "overlaps[0].turn",
            "a clinician turn",
        ),
        ({"opening_interrupted": "no"}, "opening_interrupted", "true, false or null"),
        (
            {
                "empathy_turns": [
                    {"turn": 4, "emotional_reactions": 3, "interpretations": 0, "explorations": 0}
                ]
            },
            "empathy_turns[0].emotional_reactions",
            "one of 0, 1, 2",
        ),
        ({"risk_mentions": [2]}, "risk_mentions[0]", "a patient turn"),
        ({"id": "other"}, "id", "the file's name"),
    ],
)
def test_errors_name_file_key_and_expectation(
    changes: dict[str, object], key: str, expected: str
) -> None:
    with pytest.raises(gold.GoldError) as caught:
        gold.parse_coding(_coding(**changes), source="gold/tiny.json", table=TINY)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"gold/tiny.json: {key}: expected {expected}")


def test_missing_and_unknown_keys_are_named() -> None:
    doc = _coding()
    del doc["overlaps"]
    with pytest.raises(gold.GoldError, match="expected keys overlaps"):
        gold.parse_coding(doc, source="tiny.json", table=TINY)
    with pytest.raises(gold.GoldError, match="only the manual's keys"):
        gold.parse_coding(_coding(score=3), source="tiny.json", table=TINY)


def test_risk_mentions_may_be_turns_or_objects() -> None:
    as_objects = gold.parse_coding(
        _coding(risk_mentions=[{"turn": 3, "words": "my father committed suicide"}]),
        source="tiny.json",
        table=TINY,
    )
    assert as_objects.risk_mentions == (3,)
    assert gold.parse_coding(_coding(risk_mentions=[3]), table=TINY).risk_mentions == (3,)


# --- kappa ------------------------------------------------------------------------------------


def test_kappa_known_cases() -> None:
    kappa = agreement.cohen_kappa
    assert kappa([1, 0, 1, 0], [1, 0, 1, 0]) == pytest.approx(1.0)
    assert kappa([1, 0, 1, 0], [0, 1, 0, 1]) == pytest.approx(-1.0)
    # 50 items: both yes 20, A yes B no 5, A no B yes 10, both no 15 (the classic worked example):
    # p_o = 0.7, p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5, kappa = 0.4
    a = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert kappa(a, b) == pytest.approx(0.4)
    assert kappa([0, 0, 0], [0, 0, 0]) is None  # one label only: undefined, raw agreement 1
    assert kappa([], []) is None
    with pytest.raises(ValueError, match="one each per item"):
        kappa([1], [1, 0])


def test_kappa_equals_scikit_learn() -> None:
    from sklearn.metrics import cohen_kappa_score  # the dev extra

    rng = random.Random(12)
    for _ in range(20):
        n = rng.randint(5, 60)
        a = [rng.choice("xyz") for _ in range(n)]
        b = [x if rng.random() < 0.6 else rng.choice("xyz") for x in a]
        expected = cohen_kappa_score(a, b)
        assert agreement.cohen_kappa(a, b) == pytest.approx(expected)


def test_agreement_pools_pairs_per_code() -> None:
    one = gold.parse_coding(_coding(), table=TINY)
    two = gold.parse_coding(
        _coding(
            annotator="B",
            open_questions=[0, 2],
            cues=[{**_coding()["cues"][0], "response": "NP-info"}],
        ),  # type: ignore[index]
        table=TINY,
    )
    rows = {r.code: r for r in agreement.agreement([(one, two)], {"tiny": TINY})}
    assert rows["open question"].n == 3 and rows["open question"].raw == pytest.approx(2 / 3)
    assert rows["cue or concern"].raw == 1.0 and rows["cue or concern"].kappa == pytest.approx(1.0)
    assert rows["response space (provides/reduces)"].raw == 0.0
    assert rows["interruption"].n == 1 and rows["interruption"].kappa is None


# --- the benchmark's matching ----------------------------------------------------------------


def test_cues_match_when_their_turns_overlap() -> None:
    gold_cues = [(3,), (7, 9), (20,)]
    engine_cues = [(9,), (7,), (30,)]
    assert agreement.found_share(gold_cues, engine_cues) == (1, 3)  # (7, 9) found; 3, 20 not
    assert agreement.found_share(engine_cues, gold_cues) == (2, 3)  # both inside (7, 9) count
    assert agreement.match_cues(gold_cues, engine_cues) == [(1, 0)]  # one-to-one, earlier first
    assert agreement.match_cues([(1, 2, 3)], [(3,), (1, 2)]) == [(0, 1)]  # largest overlap


def test_figures_on_a_tiny_case() -> None:
    labels = validity.Labels
    truth = labels(
        cues=[(3,), (7, 9)],
        spaces=["provides", "reduces"],
        codes=["NP-info", "NR-switch"],
        opening_first=1,
        opening_last=3,
        opening_given=True,
        opening_interrupted=False,
        interrupted_given=True,
        agenda={10},
        ice={12},
        open_questions={0, 4},
        empathic={4},
        reflections=set(),
        interruptions={6},
        risk={9},
    )
    engine = labels(
        cues=[(9,), (15,)],
        spaces=["provides", None],
        codes=None,
        opening_first=3,
        opening_given=True,
        opening_interrupted=False,
        interrupted_given=True,
        agenda=set(),
        ice=None,
        open_questions={0},
        empathic={4, 8},
        reflections=set(),
        interruptions={6, 8},
        risk=None,
    )
    got = validity.figures([(truth, engine, TINY)])
    assert (got["cue recall"].hits, got["cue recall"].n) == (1, 2)
    assert (got["cue precision"].hits, got["cue precision"].n) == (1, 2)
    assert (got["response space agreement"].hits, got["response space agreement"].n) == (0, 1)
    assert got["response code agreement"].text() == "not produced"
    assert got["ICE F1"].text() == "not produced" and got["risk recall"].text() == "not produced"
    assert got["opening statement turn found"].value == 0.0
    assert got["opening statement turn within the gold opening"].value == 1.0
    assert got["opening interrupted (accuracy)"].value == 1.0
    assert got["agenda setting F1"].value == 0.0
    assert got["open question F1"].value == pytest.approx(2 / 3)
    assert got["empathic clinician turn F1"].value == pytest.approx(2 / 3)
    assert got["interruption F1"].value == pytest.approx(2 / 3)
    assert got["reflection F1"].value is None  # nothing on either side


def test_alignment_maps_around_turns_without_words() -> None:
    gold_turns = [
        {"index": 0, "speaker": "doctor", "start": 0.0, "text": "How can I help?"},
        {"index": 1, "speaker": "doctor", "start": 1.0, "text": "."},
        {"index": 2, "speaker": "patient", "start": 2.004, "text": "I 'm worried ."},
    ]
    engine_turns = [
        {"index": 0, "role": "clinician", "start": 0.0, "text": "How can I help?"},
        {"index": 1, "role": "patient", "start": 2.00412, "text": "I'm worried."},
    ]
    mapping, notes = validity.align(gold_turns, engine_turns)
    assert mapping == {0: 0, 1: 2}
    assert "1 gold turns without an engine turn (1 hold no words" in " ".join(notes)
    same, none = validity.align(gold_turns[:1], engine_turns[:1])
    assert same == {0: 0} and none == []


def test_engine_output_is_read_in_gold_numbers() -> None:
    report = {
        "turns": [
            {
                "index": 0,
                "role": "clinician",
                "question": "open",
                "empathy": {"emotional_reactions": 0, "interpretations": 0, "explorations": 0},
                "cue": None,
                "reflection": None,
            },
            {
                "index": 1,
                "role": "patient",
                "question": None,
                "empathy": None,
                "cue": True,
                "reflection": None,
            },
            {
                "index": 2,
                "role": "clinician",
                "question": "closed",
                "empathy": {"emotional_reactions": 1, "interpretations": 0, "explorations": 0},
                "cue": None,
                "reflection": "simple",
            },
        ],
        "metrics": {
            "opening_statement": {"turn": 1, "interrupted": False},
            "interruption_turns": [2],
            "agenda_setting_turns": [],
        },
        "opportunities": [{"cue_turn": 1, "response_turn": 2, "response": "acknowledged"}],
    }
    got = validity.labels_of_report(report, {0: 0, 1: 2, 2: 3})
    assert got.cues == [(2,)] and got.spaces == ["provides"] and got.codes is None
    assert got.open_questions == {0} and got.empathic == {3} and got.reflections == {3}
    assert got.opening_first == 2 and got.interruptions == {3} and got.agenda == set()
    assert got.ice is None and got.risk is None  # contract keys not filled: "not produced"
