"""PriMock57 consultations end to end: every one analyses and keeps the `bedside.analysis/1` contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis_contract import check_analysis
from engine_helpers import read_pair
from keyword_labeller import KeywordLabeller
from praatio import textgrid

from bedside.engine import analyse

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "primock57"
SAMPLE_PAIRS = sorted(SAMPLES.glob("*_doctor.TextGrid"))


def _tier_seconds(path: Path) -> float:
    """Spoken seconds straight from the TextGrid intervals (non-empty labels), as a check."""
    grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    tier = grid.getTier(grid.tierNames[0])
    return sum(e.end - e.start for e in tier.entries if e.label.strip())


@pytest.mark.parametrize("doctor", SAMPLE_PAIRS, ids=[p.stem for p in SAMPLE_PAIRS])
def test_bundled_samples_keep_the_contract(doctor: Path) -> None:
    conv = read_pair(doctor)
    for labeller in (None, KeywordLabeller()):
        document = analyse(conv, labeller=labeller).to_json()
        assert check_analysis(document, models=labeller is not None) == []
        json.dumps(document)  # plain JSON all the way down
        assert document["ruleset"] == "bedside.en.v1"
        assert document["bedside_version"]


@pytest.mark.parametrize("doctor", SAMPLE_PAIRS, ids=[p.stem for p in SAMPLE_PAIRS])
def test_talk_time_shares_agree_with_the_textgrid_intervals(doctor: Path) -> None:
    """Shares are each speaker's summed interval durations over the sum for both.

    Intervals whose words are all transcription tags (`<UNIN/>`) are not turns (contract), so
    the check sums only intervals that keep words; the tolerance covers those tag-only ones.
    """
    conv = read_pair(doctor)
    metrics = analyse(conv).to_json()["metrics"]
    spoken = {
        "clinician": sum(t.duration or 0 for t in conv.turns if t.role.value == "clinician"),
        "patient": sum(t.duration or 0 for t in conv.turns if t.role.value == "patient"),
    }
    total = sum(spoken.values())
    assert metrics["talk_time_basis"] == "seconds"
    for role, seconds in spoken.items():
        assert metrics["talk_time_share"][role] == pytest.approx(seconds / total, abs=1e-4)
    grid = {
        "clinician": _tier_seconds(doctor),
        "patient": _tier_seconds(doctor.with_name(doctor.name.replace("_doctor", "_patient"))),
    }
    for role in grid:
        assert metrics["talk_time_share"][role] == pytest.approx(
            grid[role] / sum(grid.values()), abs=0.02
        )


def test_day1_consultation01_known_figures() -> None:
    """Figures checked by hand against the TextGrids of the first PriMock57 consultation."""
    conv = read_pair(SAMPLES / "day1_consultation01_doctor.TextGrid")
    document = analyse(conv).to_json()
    metrics = document["metrics"]
    assert metrics["turns"] == {"clinician": 51, "patient": 51}
    assert metrics["talk_time_share"]["clinician"] == pytest.approx(0.58, abs=0.01)
    # The patient's opening ("I've just had some diarrhea for the last three days...") runs
    # 12.6 s to 25.6 s and the doctor waits for it to end: no interruption of the opening.
    assert metrics["opening_statement"]["turn"] == 2
    assert metrics["opening_statement"]["interrupted"] is False
    assert metrics["first_interruption_s"] is None
    # The opening "...it's been affecting my day-to-day activities." (VR-CoDES d) answered with
    # "Sorry to hear that. And when you say diarrhea...": explicit, provides space; "...it's
    # been quite difficult." answered with "That must be difficult for you then." (EP-empathy).
    first, second = document["opportunities"]
    assert first["cue_turns"] == [2]
    assert (first["response_space"], first["response_explicit"]) == ("provides", True)
    assert second["response"] == "acknowledged"
    assert second["response_code"] == "EP-empathy"
    assert "difficult" in conv.turns[second["response_turn"]].text


def test_labeller_is_called_once_per_method_per_conversation() -> None:
    conv = read_pair(SAMPLE_PAIRS[0])
    labeller = KeywordLabeller()
    analyse(conv, labeller=labeller)
    assert labeller.calls == {"emotions": 1, "empathy": 1, "mi_codes": 1}


@pytest.mark.slow
def test_all_shared_primock57_consultations(shared_data: Path) -> None:
    doctors = sorted((shared_data / "primock57" / "transcripts").glob("*_doctor.TextGrid"))
    assert len(doctors) == 35
    problems = {}
    for doctor in doctors:
        conv = read_pair(doctor)
        for labeller in (None, KeywordLabeller()):
            found = check_analysis(
                analyse(conv, labeller=labeller).to_json(), models=labeller is not None
            )
            if found:
                problems[doctor.stem] = found[:3]
    assert problems == {}
