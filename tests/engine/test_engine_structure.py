"""Consultation structure by the coding manual (C, and D's overlaps), on real PriMock57 turns.

Every fixture row below is a turn of the development part of PriMock57 (day1, CC BY 4.0,
Papadopoulos Korfiatis et al. 2022) with its words and times from
`../shared/data/primock57/turns/<id>.txt`; where a consultation has no example of a kind (no
PriMock57 doctor says "go ahead"), the clinician's line is written for the test and the patient
turn it overlaps stays real. Each bad case of issue 12 is a regression test here.
"""

from __future__ import annotations

from typing import Any

import pytest
from engine_helpers import timed

from bedside.engine import DEFAULT_RULES, analyse
from bedside.engine._clinician import clinician_features
from bedside.engine._structure import ice_request, is_listener_turn, looks_unfinished
from bedside.model import Conversation

STRUCTURE = DEFAULT_RULES.structure
BACKCHANNELS = DEFAULT_RULES.backchannels


def metrics_of(conv: Conversation) -> dict[str, Any]:
    metrics: dict[str, Any] = analyse(conv).to_json()["metrics"]
    return metrics


# day1_consultation13, turns 2-7: the doctor checks name and age first
IDENTITY_FIRST = (
    (
        "Doctor",
        "Hello there. Um, thanks for, thanks for, being here. Um, before I go any further, "
        "can I uh, confirm your name and your age please?",
        6.32,
        14.06,
    ),
    ("Patient", "Yes, it's um Adriana Katherine . And I'm twenty six year old.", 14.45, 21.23),
    ("Doctor", "OK, Adriana, and how can I help you this afternoon?", 20.22, 22.60),
    (
        "Patient",
        "Well, I have this like really crazy headache that's been going on for a few days. "
        "And it really annoys me.",
        21.23,
        31.92,
    ),
    ("Doctor", "Ohh dear, OK. , when, when did it exactly start, this headache?", 30.76, 35.83),
    ("Patient", "Eh, around three days ago, maybe.", 35.49, 39.11),
)


def test_identity_check_is_neither_invitation_nor_opening() -> None:
    """Issue 12: the name-and-age answer was taken as the opening statement."""
    m = metrics_of(timed(*IDENTITY_FIRST))
    assert m["invitation_turn"] == 2
    opening = m["opening_statement"]
    assert opening["turn"] == 3
    assert opening["end_turn"] == 3
    assert opening["interrupted"] is False  # the doctor came in as the patient finished
    assert opening["seconds"] == pytest.approx(30.76 - 21.23, abs=0.01)
    # the older keys stay (the contract only grows)
    assert {"start", "duration_s", "first_interruption_s"} <= set(opening)


# day1_consultation07, turns 4-8: "I'm sorry to-" said while the patient goes on
OPENING_WITH_INTERJECTION = (
    ("Doctor", ". Great. Right, how can I help you this afternoon sir?", 8.93, 12.22),
    ("Patient", "Uh, I am not feeling, very well.", 12.87, 16.72),
    ("Doctor", "I'm sorry to .", 17.22, 17.99),
    (
        "Patient",
        "And I haven't been feeling well, for, a good few days, now, and, I'm really hoping "
        "you can do something about it, because it's been, bugging me, for a while now.",
        17.58,
        28.03,
    ),
    (
        "Doctor",
        "Well I will certainly try my best, for you. Um, can you tell me a bit more about "
        "what's been going on?",
        27.91,
        32.70,
    ),
)


def test_short_empathic_interjection_does_not_end_the_opening() -> None:
    m = metrics_of(timed(*OPENING_WITH_INTERJECTION))
    assert m["invitation_turn"] == 0
    assert m["opening_statement"]["turn"] == 1
    assert m["opening_statement"]["end_turn"] == 3
    assert m["opening_statement"]["interrupted"] is False
    assert m["interruption_turns"] == []


@pytest.mark.parametrize(
    "text",
    [
        "What can I do for you?",
        "Right, what can I do for you today?",
        "OK. And how can I help you this afternoon?",  # day1_consultation08, turn 5
        "What's brought you in today?",
        "So what seems to be the problem?",
    ],
)
def test_what_can_i_do_for_you_is_the_invitation(text: str) -> None:
    """Issue 12: "What can I do for you?" was never found; it is the invitation, not agenda."""
    conv = timed(
        # day1_consultation12, turns 9-12, with the invitation's words varied
        ("Doctor", "OK. Great.", 20.20, 21.77),
        ("Doctor", text, 22.81, 25.74),
        (
            "Patient",
            "Right, so, uh, I've been having, uh, diarrhoea, for like, let's say past three "
            "days, more or less.",
            25.99,
            34.19,
        ),
        (
            "Doctor",
            "OK, well I'm sorry to hear that. Uh can you tell me a bit more about your diarrhoea?",
            34.61,
            40.13,
        ),
    )
    m = metrics_of(conv)
    assert m["invitation_turn"] == 1
    assert m["opening_statement"]["turn"] == 2
    assert m["agenda_setting_turns"] == []


@pytest.mark.parametrize(
    "text",
    [
        "Before I go any further, can I confirm your name and your age please?",
        "Can you hear me OK?",
        "Are you in a private place where you can talk?",
        "Hello, how are you?",
    ],
)
def test_checks_and_greetings_are_not_invitations(text: str) -> None:
    conv = timed(("Doctor", text, 0.0, 2.0), ("Patient", "Yes.", 2.5, 3.0))
    assert metrics_of(conv)["invitation_turn"] is None


@pytest.mark.parametrize(
    ("text", "agenda"),
    [
        # day1_consultation03, turn 77: a family-history question that says "anything else"
        (
            "Right, my next question was that of family history. Is there anything in the family? "
            "So apart from migraines, is there anything else? Is there anything related to brain, "
            "for example?",
            False,
        ),
        # day1_consultation01, turn 30
        (
            "No, okay. Um, and um, any any other symptoms at all? So you mentioned tummy pain, you "
            "mentioned diarrhea, you mentioned your vomiting, uh, anything else that comes to mind?",
            False,
        ),
        # day1_consultation08, turn 50
        (
            "OK, all right. Um, so just moving on. In terms of your other medical history, is there "
            "anything else I should be aware of?",
            False,
        ),
        ("Any other symptoms at all?", False),
        ("Have you had anything else happen?", False),
        ("Or is it something else going on?", False),
        # day1_consultation05, turn 54 and day1_consultation03, turn 26
        (
            "Is there anything else, perhaps, that you feel like you should share with me at this "
            "stage, anything that might be important?",
            True,
        ),
        ("Is that, is that all your main worries today?", True),
        ("Is there anything else you wanted to talk about today?", True),
        ("Any other concerns you'd like to raise?", True),
        ("Apart from the pain, is there anything else you wanted to talk about today?", True),
    ],
)
def test_agenda_setting_asks_for_the_list_not_the_history(text: str, agenda: bool) -> None:
    """Issue 12: "anything else in the family?" was agenda setting."""
    assert clinician_features(text, DEFAULT_RULES).agenda_setting is agenda


def test_bare_anything_else_counts_only_in_the_opening() -> None:
    """ "Something else?" right after the opening asks for the list; "Diabetes, OK. Anything
    else?" in the history (day1_consultation15, turn 57) is a history question."""
    conv = timed(
        ("Doctor", "Alright Laura, well how can I help you this afternoon?", 18.58, 21.85),
        (
            "Patient",
            "Uh yeah. So I have uh soreness in my fingers, my finger, like, the skin on my "
            "hands is kind of cracked.",
            22.68,
            31.32,
        ),
        ("Doctor", "OK. Something else?", 31.9, 33.0),
        ("Patient", "No, that's it really.", 33.5, 35.0),
        ("Doctor", "Do you know if that's type one or type two?", 238.78, 240.74),
        ("Patient", "Type two.", 241.15, 242.15),
        ("Doctor", "Diabetes, OK. Anything else?", 242.83, 244.73),
        ("Patient", "Um no.", 245.53, 247.58),
    )
    assert metrics_of(conv)["agenda_setting_turns"] == [2]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # day1_consultation02, turn 61; day1_consultation13, turn 83
        (
            "It's always good to know. So, I mean, do you have any ideas as to what could be causing "
            "your symptoms?",
            "ideas",
        ),
        (
            "Right. Now um, Adriana, do you have any ideas as to what could be causing your "
            "symptoms? Have you, have you read anything online, or spoken to people?",
            "ideas",
        ),
        # day1_consultation08, turn 91
        ("Do you think that might have any correlation to your symptoms?", "ideas"),
        # day1_consultation06, turn 13; day1_consultation03, turn 24
        ("OK. OK. Is there anything you're particularly worried about?", "concerns"),
        ("OK. Is that all you're worried about?", "concerns"),
        # day1_consultation13, turn 90
        (
            "OK. Is it anything in particular you were hoping I could do for you today?",
            "expectations",
        ),
        ("What were you hoping we could do today?", "expectations"),
        ("What do you think might be causing it?", "ideas"),
    ],
)
def test_ice_questions_by_kind(text: str, kind: str) -> None:
    found = ice_request(text, STRUCTURE)
    assert found is not None
    assert found[0] == kind
    assert clinician_features(text, DEFAULT_RULES).ice == kind


@pytest.mark.parametrize(
    "text",
    [
        "Um, take the antibiotics, uh, and give me a call, you know, if you are worried about "
        "anything else.",  # day1_consultation05, turn 101: safety-netting, not ICE
        "I think it's probably just a viral infection.",
        "Are you aware of any allergies?",
        "How many times a day are you going?",
    ],
)
def test_statements_and_history_questions_are_not_ice(text: str) -> None:
    assert ice_request(text, STRUCTURE) is None


def test_ice_turns_reach_the_metrics() -> None:
    conv = timed(
        # day1_consultation13, turns 89-90
        (
            "Patient",
            "And it's really annoying. So I I really don't want to have that. And I know "
            "it's genetic. So I've researched that. Um but I don't know if that is the case. So, "
            "yeah.",
            446.42,
            456.13,
        ),
        (
            "Doctor",
            "OK. Is it anything in particular you were hoping I could do for you today?",
            455.72,
            459.76,
        ),
    )
    m = metrics_of(conv)
    assert m["ice_turns"] == [{"turn": 1, "kind": "expectations"}]
    assert m["interruption_turns"] == []  # "So, yeah." had finished


def test_that_must_be_difficult_over_the_patient_is_a_backchannel() -> None:
    """Issue 12: "That must be hard" counted as an interruption. day1_consultation01, 59-62."""
    conv = timed(
        (
            "Doctor",
            "Okay. Have you been going into work the last three days, or have you been at home?",
            298.31,
            301.19,
        ),
        (
            "Patient",
            "Uh, yeah, I've been going to work. Yeah. Yeah, it's been quite difficult.",
            301.35,
            307.53,
        ),
        ("Doctor", "okay . That must be difficult for you then.", 303.26, 305.62),
        (
            "Doctor",
            "fine . And you said, you mentioned you live with your wife and two children, "
            "is that right?",
            307.10,
            311.19,
        ),
    )
    m = metrics_of(conv)
    assert m["interruption_turns"] == []
    assert m["interruptions"] == 0
    kinds = {o["turn"]: o["kind"] for o in m["overlaps"]}
    assert kinds[2] == "backchannel"
    assert kinds[3] == "transition"  # latching at the end of the patient's turn


def test_okay_okay_over_a_long_patient_turn_is_a_backchannel() -> None:
    """day1_consultation15, turns 30-34: "OK. OK." for 2.3 s while the patient keeps going."""
    conv = timed(
        ("Patient", "Uh, I mean I am a, I do work as a housekeeper. Um", 146.60, 152.41),
        (
            "Patient",
            "And to be honest, I'm not always very good about wearing gloves. So that "
            "could be related. Um, I switched jobs, uh four months ago. Uh",
            152.41,
            164.19,
        ),
        ("Doctor", "OK . OK.", 156.23, 158.50),
        ("Doctor", "OK.", 162.84, 164.12),
        (
            "Patient",
            "I've been working for, as a housekeeper for, for a while now, but um, that's "
            "the only thing I can think of.",
            164.19,
            170.29,
        ),
    )
    m = metrics_of(conv)
    assert m["interruption_turns"] == []
    assert [o["kind"] for o in m["overlaps"]] == ["backchannel", "backchannel"]


@pytest.mark.parametrize(
    "clinician",
    ["Sorry, go ahead.", "Oh sorry, go on.", "Thank you.", "Thank you, go ahead.", "Thanks."],
)
def test_go_ahead_and_thank_you_are_not_interruptions(clinician: str) -> None:
    """Issue 12: "Go ahead" and "Thank you" counted as interruptions, however long they last.
    The patient turn is day1_consultation10, turn 6; the clinician's words are the test's."""
    conv = timed(
        (
            "Patient",
            "Um, so it's being going on for a few days now. Um, it's not happened before "
            "and I'm bit worried. I've uh it quite hurts when I kind of pee.",
            20.30,
            28.16,
        ),
        ("Doctor", clinician, 23.0, 24.6),
    )
    m = metrics_of(conv)
    assert m["interruption_turns"] == []
    assert m["overlaps"][0]["kind"] == "backchannel"


@pytest.mark.parametrize(
    ("rows", "turn"),
    [
        # day1_consultation13, turns 24-25: the patient's "But" is left hanging
        (
            (
                (
                    "Patient",
                    "But it doesn't really help, no. In in the past it did help me, which "
                    "is why I decided to try it. But",
                    135.90,
                    141.99,
                ),
                (
                    "Doctor",
                    "OK, all right. And except for the headaches, any other symptoms at all?",
                    141.78,
                    145.38,
                ),
            ),
            1,
        ),
        # day1_consultation12, turns 49-50: "... only when I have, uh, a bit of"
        (
            (
                (
                    "Patient",
                    "Um, so I, I do suffer of asthma. So, I do have my inhalers, uh, that "
                    "I you know, I need , I use infrequently, let's say only when I have, uh, a bit "
                    "of .",
                    242.85,
                    257.76,
                ),
                ("Doctor", "Is that, is that inhaler?", 256.48, 258.54),
            ),
            1,
        ),
    ],
)
def test_cutting_in_before_the_patient_has_finished_is_an_interruption(
    rows: tuple[tuple[str, str, float, float], ...], turn: int
) -> None:
    m = metrics_of(timed(*rows))
    assert m["interruption_turns"] == [turn]
    assert m["overlaps"][0]["kind"] == "interruption"


def test_ordinary_turn_change_with_overlapping_times_is_a_transition() -> None:
    """day1_consultation01, turns 4-5: the patient has finished; the times overlap by 0.6 s."""
    conv = timed(
        (
            "Patient",
            "Yeah, so it's like loose and watery stool, going to the toilet quite often, "
            "uh and like some pain in my, like, lower stomach?",
            34.36,
            44.28,
        ),
        (
            "Doctor",
            "Okay. And how many times a day are you going, let's say, in the last couple of days?",
            43.70,
            48.02,
        ),
    )
    m = metrics_of(conv)
    assert m["interruption_turns"] == []
    assert m["overlaps"][0]["kind"] == "transition"


def test_starting_together_is_simultaneous() -> None:
    conv = timed(
        ("Patient", "a particularly hard time at work that way. Um", 476.0, 484.35),
        ("Doctor", "The reason I ask is sometimes", 476.2, 478.0),
    )
    m = metrics_of(conv)
    assert m["overlaps"][0]["kind"] == "simultaneous"
    assert m["interruption_turns"] == []


@pytest.mark.parametrize(
    ("text", "unfinished"),
    [
        ("Do you think I should keep going to work? Or do you think I should just", True),
        ("What do you mean by, uh pain? So I, I think it's maybe a", True),
        (
            "Uh, well I haven't been able to work in the past few days, but yes, like given, uh, "
            "my uh.",
            True,
        ),
        ("I was getting compl-", True),
        ("No, I don't think so.", False),
        ("Yeah, yeah. It hurts. So", False),
        ("I'm not sure what I'm worried about.", False),
        ("It just makes me feel weak. Um", False),
    ],
)
def test_turn_completion(text: str, unfinished: bool) -> None:
    assert (looks_unfinished(text, STRUCTURE) is not None) is unfinished


@pytest.mark.parametrize(
    ("text", "listener"),
    [
        ("Mm-hmm. OK.", True),
        ("Sorry to hear that .", True),
        ("Oh dear, that must be really hard.", True),
        ("Sorry, go ahead.", True),
        ("Thank you very much.", True),
        ("Your brother?", False),
        ("OK. Um and you're eating and drinking, uh you're eating OK otherwise.", False),
    ],
)
def test_listener_turns(text: str, listener: bool) -> None:
    assert is_listener_turn(text, STRUCTURE, BACKCHANNELS) is listener


def test_typed_transcript_still_finds_the_opening_but_not_whether_it_was_cut() -> None:
    from bedside.model import Speaker, Turn

    rows = [(name, text) for name, text, _, _ in IDENTITY_FIRST]
    turns = tuple(
        Turn(
            speaker=Speaker(name=name, role="clinician" if name == "Doctor" else "patient"),
            text=text,
        )
        for name, text in rows
    )
    m = metrics_of(Conversation(id="typed", turns=turns))
    assert m["invitation_turn"] == 2
    assert m["opening_statement"]["turn"] == 3
    assert m["opening_statement"]["interrupted"] is None
    assert m["interruption_turns"] is None
    assert m["overlaps"] is None


def test_safety_netting_turns() -> None:
    conv = timed(
        # day1_consultation08, turn 109
        (
            "Doctor",
            "And if it's still not getting better, come back and see me next week, and we "
            "can have another look again, at your symptoms.",
            400.0,
            406.0,
        ),
        ("Patient", "OK, thank you.", 406.5, 407.5),
    )
    m = metrics_of(conv)
    assert m["safety_netting_turns"] == [0]
    assert analyse(conv).to_json()["turns"][0]["safety_netting"] is True
