"""The real PriMock57 consultations end to end: merged pairs against praatio's own reading.

The three bundled pairs always run; all 35 shared consultations run when the corpora are
present (`shared_data` fixture). A merged consultation must hold exactly the non-empty
intervals of both TextGrids (less those holding only tags, such as a lone `<UNIN/>`), with
their times, in start-time order.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from praatio import textgrid

from bedside.io import clean_text, discover, merge_conversations, read_conversation
from bedside.io._tags import has_words
from bedside.model import Role

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def pairs(folder: Path) -> list[tuple[Path, Path]]:
    doctors = sorted(p for p in discover([folder]) if p.name.endswith("_doctor.TextGrid"))
    return [(d, d.with_name(d.name.replace("_doctor", "_patient"))) for d in doctors]


def praatio_turns(path: Path) -> list[tuple[float, float, str]]:
    grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    intervals = [entry for name in grid.tierNames for entry in grid.getTier(name).entries]
    return [(start, end, label) for start, end, label in intervals]


def check_pair(doctor: Path, patient: Path) -> tuple[int, int]:
    merged = merge_conversations([read_conversation(doctor), read_conversation(patient)])
    assert merged.id == doctor.name.removesuffix("_doctor.TextGrid")
    expected = []
    dropped = 0
    for path, role in ((doctor, Role.CLINICIAN), (patient, Role.PATIENT)):
        for start, end, label in praatio_turns(path):
            text, tags = clean_text(label)
            if has_words(text):
                expected.append((start, end, role, text, tags))
            else:
                dropped += 1
    expected.sort(key=lambda item: item[0])
    got = [(t.start, t.end, t.role, t.text, t.tags) for t in merged.turns]
    assert got == expected
    assert [t.start for t in merged.turns] == sorted(t.start for t in merged.turns)
    assert all(isinstance(t.line, int) for t in merged.turns)
    return len(got), dropped


@pytest.mark.parametrize("pair", pairs(SAMPLES / "primock57"), ids=lambda p: p[0].stem)
def test_bundled_pairs(pair: tuple[Path, Path]) -> None:
    turns, _ = check_pair(*pair)
    assert turns > 20


@pytest.mark.slow
def test_all_shared_consultations(shared_data: Path) -> None:
    found = pairs(shared_data / "primock57" / "transcripts")
    assert len(found) == 35
    totals = [check_pair(*pair) for pair in found]
    turns = sum(t for t, _ in totals)
    assert turns > 3000
    # 274 intervals hold only a tag (244 a lone <INAUDIBLE_SPEECH/>): not turns, by contract;
    # check_pair has shown that every other interval became a turn
    assert sum(d for _, d in totals) < turns * 0.1


def test_first_bundled_turns_read_as_expected() -> None:
    folder = SAMPLES / "primock57"
    merged = merge_conversations(
        [
            read_conversation(folder / "day1_consultation01_doctor.TextGrid"),
            read_conversation(folder / "day1_consultation01_patient.TextGrid"),
        ]
    )
    first = merged.turns[0]
    assert (first.speaker.name, first.role, first.tags) == ("Doctor", Role.CLINICIAN, ("UNSURE",))
    assert first.text.startswith("Hello? Hi. Um, should we start? Yeah, okay. Hello how um.")
    assert first.line == 22
