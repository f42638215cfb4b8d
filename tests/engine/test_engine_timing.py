"""Timing metrics: talk-time share, interruptions, backchannels, overlap, the opening, pauses."""

from __future__ import annotations

import pytest
from engine_helpers import timed

from bedside.engine import analyse
from bedside.model import Conversation, Speaker, Turn


def metrics_of(conv: Conversation) -> dict:
    return analyse(conv).to_json()["metrics"]


def test_share_in_seconds_counts_overlap_for_each_speaker() -> None:
    conv = timed(
        ("Doctor", "How can I help you today?", 0.0, 4.0),
        ("Patient", "I have had a cough for a week and it keeps me awake.", 4.0, 10.0),
        ("Doctor", "Okay, and any fever with it?", 9.0, 12.0),  # 1 s of overlap
    )
    m = metrics_of(conv)
    assert m["talk_time_basis"] == "seconds"
    # clinician 4 + 3 = 7 s, patient 6 s; overlap counted for both: 7 / 13 and 6 / 13
    assert m["talk_time_share"] == {"clinician": round(7 / 13, 4), "patient": round(6 / 13, 4)}
    assert m["talk_time"] == {"clinician": 7.0, "patient": 6.0}
    assert m["turns"] == {"clinician": 2, "patient": 1}
    assert m["words"] == {"clinician": 12, "patient": 13}


def test_share_falls_back_to_words_when_any_turn_lacks_times() -> None:
    turns = (
        Turn(
            speaker=Speaker(name="Dr Lee", role="clinician"), text="one two three", start=0, end=9
        ),
        Turn(speaker=Speaker(name="Patient", role="patient"), text="one"),
    )
    m = metrics_of(Conversation(id="words", turns=turns))
    assert m["talk_time_basis"] == "words"
    assert m["talk_time_share"] == {"clinician": 0.75, "patient": 0.25}
    assert m["interruptions"] is None
    assert m["first_interruption_s"] is None
    assert m["pauses"] is None


def test_clinician_starting_while_patient_speaks_is_an_interruption() -> None:
    conv = timed(
        ("Doctor", "What brings you in?", 0.0, 2.0),
        (
            "Patient",
            "Well it started a few weeks ago when I noticed a pain in my side and",
            2.5,
            14.0,  # the patient stops under the clinician's question, mid-sentence
        ),
        ("Doctor", "Which side is it?", 13.5, 15.0),
    )
    m = metrics_of(conv)
    assert m["interruptions"] == 1
    assert m["interruption_turns"] == [2]
    assert m["first_interruption_s"] == 11.0  # 13.5 - 2.5
    assert m["opening_statement"]["interrupted"] is True
    assert m["opening_statement"]["turn"] == 1


def test_short_backchannel_is_not_an_interruption() -> None:
    conv = timed(
        ("Doctor", "What brings you in?", 0.0, 2.0),
        ("Patient", "Well it started a few weeks ago when I noticed a pain in my side.", 2.5, 20.0),
        ("Doctor", "Mm-hmm.", 8.0, 8.6),
        ("Doctor", "Yeah, okay.", 12.0, 12.9),
        ("Doctor", "Right. How long has it been there?", 20.2, 23.0),
    )
    m = metrics_of(conv)
    assert m["interruptions"] == 0
    assert m["first_interruption_s"] is None
    assert m["opening_statement"] == {
        "turn": 1,
        "end_turn": 1,
        "interrupted": False,
        "seconds": 17.5,
        "start": 2.5,
        "duration_s": 17.5,
        "first_interruption_s": None,
        "ended_by_turn": 4,
        "why": "the clinician spoke after the patient",
    }


def test_long_backchannel_is_still_not_an_interruption() -> None:
    """A drawn-out "okay" over the patient is a listener token, not taking the floor (coding
    manual D; issue 12: backchannels are never interruptions, however long)."""
    conv = timed(
        ("Patient", "It started a few weeks ago when I noticed a pain in my side.", 0.0, 10.0),
        ("Doctor", "Okay.", 4.0, 7.0),
    )
    m = metrics_of(conv)
    assert m["interruptions"] == 0
    assert m["overlaps"] == [
        {
            "turn": 1,
            "kind": "backchannel",
            "patient_turn": 0,
            "overlap_s": 3.0,
            "reason": "listener tokens only",
        }
    ]


def test_latching_is_not_an_interruption() -> None:
    """Turn ends that touch by a fraction of a second (transcriber timing) are not talk-over."""
    conv = timed(
        ("Patient", "It started a few weeks ago when I noticed a pain in my side.", 0.0, 10.0),
        ("Doctor", "I see. And does it hurt now?", 9.8, 12.0),
    )
    assert metrics_of(conv)["interruptions"] == 0


def test_patient_talking_over_the_clinician_is_not_a_clinician_interruption() -> None:
    conv = timed(
        ("Doctor", "I will explain the results of the blood tests to you now.", 0.0, 10.0),
        ("Patient", "Sorry, can I ask something first please?", 3.0, 6.0),
    )
    assert metrics_of(conv)["interruptions"] == 0


def test_opening_skips_greetings_and_questions() -> None:
    conv = timed(
        ("Doctor", "Hello?", 0.0, 1.0),
        ("Patient", "Hello, can you hear me all right there?", 1.5, 3.0),
        ("Doctor", "Yes. How can I help?", 3.5, 5.0),
        ("Patient", "I have had headaches every morning for about a month now.", 5.5, 11.0),
        ("Doctor", "Every morning?", 11.5, 12.5),
    )
    opening = metrics_of(conv)["opening_statement"]
    assert opening["turn"] == 3
    assert opening["duration_s"] == 5.5
    assert opening["interrupted"] is False


def test_longest_patient_stretch_joins_turns_across_backchannels() -> None:
    conv = timed(
        ("Doctor", "Tell me what happened.", 0.0, 2.0),
        ("Patient", "I was at work and felt dizzy.", 2.0, 6.0),
        ("Doctor", "Mm.", 6.0, 6.5),
        ("Patient", "Then I fell and hit my head on the desk.", 6.5, 12.0),
        ("Doctor", "Did you lose consciousness?", 12.5, 14.0),
        ("Patient", "No.", 14.5, 15.0),
    )
    stretch = metrics_of(conv)["longest_patient_stretch"]
    assert stretch == {"turn": 1, "seconds": 10.0, "words": 17}


def test_stretch_is_cut_where_the_clinician_breaks_in() -> None:
    conv = timed(
        ("Patient", "It started a few weeks ago when I noticed a pain in my side.", 0.0, 20.0),
        ("Doctor", "Which side?", 5.0, 6.0),
    )
    assert metrics_of(conv)["longest_patient_stretch"]["seconds"] == 5.0


def test_pauses_are_silences_where_nobody_speaks() -> None:
    conv = timed(
        ("Doctor", "How are you?", 0.0, 2.0),
        ("Patient", "Not great.", 4.0, 5.0),  # 2 s pause
        ("Doctor", "I see.", 5.5, 6.0),  # 0.5 s: too short to count
        ("Patient", "I lost my job last week.", 10.0, 12.0),  # 4 s pause
    )
    pauses = metrics_of(conv)["pauses"]
    assert pauses == {
        "count": 2,
        "mean_s": 3.0,
        "longest_s": 4.0,
        "total_s": 6.0,
        "min_pause_s": 1.0,
    }


def test_overlapping_turns_leave_no_pause() -> None:
    conv = timed(
        ("Doctor", "How are you?", 0.0, 10.0),
        ("Patient", "Fine.", 2.0, 3.0),
        ("Doctor", "Good.", 10.5, 11.0),
    )
    assert metrics_of(conv)["pauses"]["count"] == 0


def test_empty_conversation_analyses() -> None:
    report = analyse(Conversation(id="empty"))
    document = report.to_json()
    assert document["turns"] == []
    assert document["metrics"]["talk_time_share"] == {}
    assert document["score"]["compassion"] is None


@pytest.mark.parametrize("family_name", ["Mother", "Husband"])
def test_family_speech_counts_as_the_patient_side(family_name: str) -> None:
    conv = timed(
        (
            family_name,
            "She has been so unwell this week, she cannot keep anything down and",
            0.0,
            5.5,
        ),
        ("Doctor", "Has she been drinking?", 5.0, 7.0),
    )
    m = metrics_of(conv)
    assert m["interruptions"] == 1
    assert set(m["talk_time_share"]) == {"family", "clinician"}


def test_starting_together_is_not_an_interruption() -> None:
    conv = timed(
        ("Patient", "It started a few weeks ago when I noticed a pain in my side.", 10.0, 20.0),
        ("Doctor", "So tell me what happened.", 10.2, 12.0),
    )
    assert metrics_of(conv)["interruptions"] == 0
