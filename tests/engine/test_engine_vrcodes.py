"""VR-CoDES cues and provider responses (coding manual sections A and B), on real PriMock57 turns.

Every fixture below is a run of consecutive turns quoted verbatim from the PriMock57 turn tables
(`../shared/data/primock57/turns/<id>.txt`) of the gold standard's *development* part (day1; the
held-out day2/day3 consultations are never used here). The expected code is the coding manual's
definition; it agrees with the development coder unless a comment says otherwise.
"""

from __future__ import annotations

import pytest

from bedside.engine import analyse
from bedside.engine._cues import detect_cue
from bedside.engine._rules import load_ruleset
from bedside.model import Conversation, Speaker, Turn, infer_role

RULES = load_ruleset()

Row = tuple[str, str]


def _conv(*rows: Row) -> Conversation:
    """Turns one second apart, in order, from (D|P, text) rows."""
    turns = tuple(
        Turn(
            speaker=Speaker(name=name, role=infer_role(name)),
            text=text,
            start=float(2 * i),
            end=float(2 * i + 1.5),
        )
        for i, (code, text) in enumerate(rows)
        for name in ["Doctor" if code == "D" else "Patient"]
    )
    return Conversation(id="primock", turns=turns)


def _only(*rows: Row) -> dict[str, object]:
    (opportunity,) = analyse(_conv(*rows)).to_json()["opportunities"]
    return opportunity


# One fixture per response code: (source, rows, code).
RESPONSES = [
    (
        "day1_consultation06 11-13",
        [
            ("P", "And uh, it's got me kind of worried, don't really know what's going on."),
            ("D", "OK. OK. Is there anything you're particularly worried about?"),
        ],
        "EP-explore",
    ),
    (
        "day1_consultation06 86-87",
        [
            ("P", "Uh , my, my father died of a, uh, of a heart attack."),
            ("D", "I'm sorry to hear that. And, um, how old was your father when he passed away?"),
        ],
        "EP-empathy",
    ),
    (
        "day1_consultation14 114-115",
        [
            ("P", "OK. But otherwise, I don't need to worry."),
            ("D", "No no no , nothing to worry about otherwise."),
        ],
        "ER-inform",
    ),
    (
        "day1_consultation13 41-42",
        [
            (
                "P",
                "No, it's hard to focus though. So, I I had to take a couple of days off work, "
                "actually.",
            ),
            (
                "D",
                "Ohh really? OK. OK, yeah probably , well I'll, I'll ask you a bit more about "
                "your work later on. Um, any recent head injuries at all?",
            ),
        ],
        "ER-block",
    ),
    (
        "day1_consultation03 53-55",
        [
            (
                "P",
                "couple days off work, and I work in the fashion industry. And you know, "
                "they're wondering what's going on, like I have to take sick days.",
            ),
            ("D", "Yeah. Yeah ."),
            ("P", "I need to get back to work today."),
        ],
        "NP-backchannel",
    ),
    (
        "day1_consultation11 64-65",
        [
            (
                "P",
                "Um so I , so my um my brother has had, actually had something like this for um "
                "he has it as well for five days, as well.",
            ),
            ("D", "Is your, is your brother now better?"),
        ],
        "NP-info",
    ),
    (
        "day1_consultation14 9-10 (the coder: NP-info, on the question in the next turn)",
        [
            (
                "P",
                "Uh, it's just so continuous. It's really, really frustrating. It's quite dry. "
                "And it's just all day, it like keeps me up at night as well, which is really "
                "annoying.",
            ),
            ("D", "No, OK. So it keeps you up at night."),
        ],
        "NP-invite",
    ),
    (
        "day1_consultation12 36-37",
        [
            ("P", "I feel very weak though."),
            ("D", "OK. Alright. Any headaches or muscle pains?"),
        ],
        "NR-switch",
    ),
    (
        "day1_consultation06 17-20 (a summary of the breathlessness that passes over the worry)",
        [
            (
                "P",
                "Um, and I got a bit breathless when I was first diagnosed, and put on some "
                "medicine that, that um, that helped, but I'm a bit worried it's just getting worse.",
            ),
            ("D", "OK."),
            (
                "D",
                "Right, OK. So you mentioned you're feeling, uh, short of breath for the last "
                "couple of weeks, but mainly the last couple of days it's got a bit worse.",
            ),
        ],
        "NR-ignore",
    ),
]


@pytest.mark.parametrize(("source", "rows", "code"), RESPONSES, ids=[c for _, _, c in RESPONSES])
def test_each_response_code_on_real_turns(source: str, rows: list[Row], code: str) -> None:
    opportunity = analyse(_conv(*rows)).to_json()["opportunities"][0]
    assert opportunity["response_code"] == code, source
    provides = code[1] == "P"
    assert opportunity["response_space"] == ("provides" if provides else "reduces")
    assert opportunity["response_explicit"] is (code[0] == "E")
    expected = "explored" if code == "EP-explore" else "acknowledged" if provides else "missed"
    assert opportunity["response"] == expected


def test_every_code_has_a_fixture() -> None:
    from bedside.engine._responses import CODES

    assert sorted(c for _, _, c in RESPONSES) == sorted(CODES)


# Cue types and concerns: (source, patient text, kind, type).
CUES = [
    (
        "day1_consultation03 23",
        "I'm just really worried. Like I've just been googling and like "
        "I've read, you know if your headache gets worse if you move, it could be a sign of brain "
        "cancer.",
        "concern",
        None,
    ),
    (
        "day1_consultation01 60",
        "Uh, yeah, I've been going to work. Yeah. Yeah, it's been quite difficult.",
        "concern",
        None,
    ),
    (
        "day1_consultation11 13",
        "Um so I've just um, been having some troubles, basically in the "
        "uh, I guess it's been a little while now. And I've just been feeling not so great. And",
        "cue",
        "a",
    ),
    (
        "day1_consultation07 7",
        "And I haven't been feeling well, for, a good few days, now, and, "
        "I'm really hoping you can do something about it, because it's been, bugging me, for a "
        "while now.",
        "cue",
        "a",
    ),
    (
        "day1_consultation12 94",
        "Um, no I think that's fine. Uh, yeah I'll, I'll try to , and "
        "drink , drink plenty of fluid and I hope it go away .",
        "cue",
        "b",
    ),
    (
        "day1_consultation03 4",
        "Um on the left side. It's just making me feel so ill. I just feel like I need to vomit.",
        "cue",
        "c",
    ),
    ("day1_consultation06 86", "Uh , my, my father died of a, uh, of a heart attack.", "cue", "d"),
    (
        "day1_consultation15 84",
        "Uh, yeah like the past three days, I haven't been able to go to work.",
        "cue",
        "d",
    ),
]


@pytest.mark.parametrize(("source", "text", "kind", "type_"), CUES, ids=[s for s, *_ in CUES])
def test_cue_types_on_real_turns(source: str, text: str, kind: str, type_: str | None) -> None:
    cue = detect_cue(text, RULES)
    assert cue is not None, source
    assert cue.kind == kind
    assert (None if cue.kind == "concern" else cue.vrcodes) == type_


@pytest.mark.parametrize(
    "text",
    [
        "Sorry?",  # day1_consultation04 30: repair talk
        "Um, so . Sorry?",  # day1_consultation11 23
        "Sorry, I didn't catch that.",
        "Yeah. Yeah but isn't, sorry.",  # day1_consultation15 37: the model heard sadness
        "Uh, no.",  # plain answer
        "Uh, on the left side.",  # day1_consultation01 13: plain symptom
        # day1_consultation14 12: a plain symptom, "irritated" is the throat
        "I mean the coughing is giving me a sore throat. You know just, just my throat is "
        "irritated from coughing.",
        "Not myself, I've never had a migraine.",  # day1_consultation13 57: "not me"
    ],
)
def test_repair_talk_politeness_and_plain_symptoms_are_not_cues(text: str) -> None:
    assert detect_cue(text, RULES, emotion_scores={"sadness": 0.95, "fear": 0.9}) is None


def test_a_cue_over_consecutive_turns_is_one_cue_listing_all_its_turns() -> None:
    """day1_consultation03 9-12: the patient's sentence runs on over the doctor's "Mm, OK. And"."""
    opportunity = _only(
        ("P", "I, yeah. Pain's just horrible. Just making me feel so unwell. Um"),
        ("D", "Mm, OK. And"),
        ("P", "just want you to do something."),
        (
            "D",
            "Well, let's try our best. Let's try and get you, let's try and get you well, soon. "
            "Um you mentioned it's on your left hand side. Is that right?",
        ),
    )
    assert opportunity["cue_turns"] == [0, 2]
    assert opportunity["cue_type"] == "c"
    assert opportunity["response_code"] == "ER-inform"  # as the coder coded it
    assert opportunity["response_turn"] == 3


def test_sorry_to_hear_that_is_empathy_and_acknowledged() -> None:
    """day1_consultation12 58-59: "Sorry to hear that ... what about your mother?"."""
    opportunity = _only(
        (
            "P",
            "Um, so, my father has, high uh, well used to have high blood pressure. He actually,"
            " so he actually died, of, bowel cancer, like ten years ago.",
        ),
        ("D", "OK. Sorry to hear that. Um, OK. And uh what about your mother?"),
    )
    assert (opportunity["response_code"], opportunity["response"]) == ("EP-empathy", "acknowledged")
    assert opportunity["cue_type"] == "d"


def test_a_backchannel_the_patient_talks_on_after_provides_space() -> None:
    opportunity = analyse(
        _conv(*RESPONSES[4][1])  # day1_consultation03 53-55
    ).to_json()["opportunities"][0]
    assert opportunity["response_code"] == "NP-backchannel"
    assert opportunity["response_turn"] == 1
    assert opportunity["response"] == "acknowledged"


def test_a_closed_question_on_the_cue_content_is_np_info() -> None:
    """day1_consultation14 4-5: "When did it all start?" after "super annoying" (the cough)."""
    opportunity = _only(
        (
            "P",
            "Well I've just been having this like, cough, for quite a few days. And my nose is "
            "running. Um and it's just been super annoying, and it's not going away.",
        ),
        ("D", ", OK. When did it all start?"),
    )
    assert opportunity["response_code"] == "NP-info"
    assert opportunity["response_space"] == "provides"


def test_delayed_return_after_a_reducing_response() -> None:
    """A postponement, then an explicit return within three clinician turns (delayed_turn)."""
    opportunity = _only(
        (
            "P",
            "No, it's hard to focus though. So, I I had to take a couple of days off work, "
            "actually.",
        ),
        (
            "D",
            "Ohh really? OK. OK, well I'll ask you a bit more about your work later on. Um, any "
            "recent head injuries at all?",
        ),
        ("P", "No."),
        ("D", "OK. And tell me about your work, what do you do?"),
    )
    assert opportunity["response_code"] == "ER-block"
    assert opportunity["delayed_turn"] == 3


def test_elicited_cue_is_marked_as_clinician_initiated() -> None:
    """day1_consultation04 98-99 reversed: the doctor's question on stress elicits the cue."""
    document = analyse(
        _conv(
            ("D", "Mm, OK. Is that stress, is that affecting your um, your mood at all?"),
            ("P", "I don't feel down, just a little bit stressed."),
            (
                "D",
                "OK, alright. And what kind of things do you do to alleviate your stress, "
                "normally?",
            ),
        )
    ).to_json()
    (opportunity,) = document["opportunities"]
    assert opportunity["cue_initiative"] == "clinician"
    assert opportunity["response_code"] == "EP-explore"
