"""Risk turns (`metrics.risk_turns`) and input warnings (`metrics.warnings`): issue 12 items 6, 10.

Recall first: every way of saying suicide, self-harm, a wish to die, harm to or from others or a
safeguarding concern that the coding manual names is found, about the speaker or a relative,
affirmed or denied, without any model. The false-positive guards are idioms with the same words.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import read_pair

from bedside.engine import DEFAULT_RULES, analyse
from bedside.engine._risk import find_risk
from bedside.io import read_conversation
from bedside.model import Conversation, Speaker, Turn, infer_role

RISK = DEFAULT_RULES.risk
SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "primock57"


def make_conversation(*lines: tuple[str, str]) -> Conversation:
    turns = tuple(Turn(speaker=Speaker(name=n, role=infer_role(n)), text=t) for n, t in lines)
    return Conversation(id="risk", turns=turns)

# (patient words, main category, about)
MENTIONS = [
    ("My father committed suicide when I was twelve.", "suicide", "other"),
    ("my brother self-harms, he has for years", "self_harm", "other"),
    ("Sometimes I think everyone would be better off without me.", "wish_to_die", "speaker"),
    ("He hits me when he's been drinking.", "harm_from_others", "speaker"),
    ("I've been cutting.", "self_harm", "speaker"),
    ("I was thinking about killing myself.", "suicide", "speaker"),  # AnnoMI, self-harm session
    ("I cut myself the first time I called you", "self_harm", "speaker"),  # AnnoMI, same session
    ("I've been feeling suicidal on and off", "suicide", "speaker"),
    ("I just want to die, honestly.", "wish_to_die", "speaker"),
    ("I don't want to be here any more.", "wish_to_die", "speaker"),
    ("There's no point in living like this.", "wish_to_die", "speaker"),
    ("Life isn't worth living.", "wish_to_die", "speaker"),
    ("I wish I could go to sleep and not wake up.", "wish_to_die", "speaker"),
    ("I can't go on like this.", "wish_to_die", "speaker"),
    ("My mum took an overdose last month.", "self_harm", "other"),
    ("I took all my tablets at once.", "self_harm", "speaker"),
    ("My husband pushed me down the stairs.", "harm_from_others", "speaker"),
    ("I'm scared of my partner.", "harm_from_others", "speaker"),
    ("I don't feel safe at home.", "harm_from_others", "speaker"),
    ("She was abused as a child.", "harm_from_others", "other"),
    ("I'm worried I'll hurt my baby.", "harm_to_others", "speaker"),
    ("Honestly I could kill him.", "harm_to_others", "speaker"),
    ("Social services have been round about the kids.", "safeguarding", "other"),
    ("He leaves the kids home alone all night.", "safeguarding", "other"),
    ("Nobody looks after my dad since mum died.", "safeguarding", "other"),
    ("I'm going to end it.", "suicide", "speaker"),
    ("I just don't see the point any more.", "wish_to_die", "speaker"),
    ("I've been having dark thoughts again.", "wish_to_die", "speaker"),
    ("I OD'd last year.", "self_harm", "speaker"),
    # AnnoMI, self-harm session: the generic "you" still counts
    ("have you ever been to an ER when you cut yourself", "self_harm", "speaker"),
]

# Same words, no risk: each is guarded by an exclusion or by needing a person.
IDIOMS = [
    "I've got a killer headache.",
    "I'm dying for a cup of tea.",
    "This pain is killing me.",
    "They gave me a harm reduction leaflet.",
    # a real PriMock57 patient turn (day1_consultation07, development part)
    "Yeah I've got, I got, I got myself one of those, so I've been, I've been cutting down on the "
    "cigarettes.",
    "Could I die from that?",
    "you start coughing up blood and you think you're, gonna, die of lung cancer, so.",
    "I don't want to die.",
    "My heart starts beating and I can't really breathe.",
    "I'll really fall and hurt myself.",  # AnnoMI, accidental injury
    "it's very itchy if I scratch myself, but there's no scratch mark.",
    "The pain hits me in the morning.",
    "I hit my head on the cupboard.",
    "I got hit by a car on my bike.",
    "She was violently sick all night.",
    "My dad had alcohol abuse problems.",
    "I don't want to go on the tablets.",
    "I don't want to live in London any more.",
    "Is it life-threatening?",
    "I want to become a social worker.",
    "Well, I don't think it's going to hurt me.",
    "It hurts when I pee.",
    "I had to take painkillers.",
    "I've been cutting carbs and sugar.",
    "I'm going to end it with him.",
]


@pytest.mark.parametrize(("text", "category", "about"), MENTIONS)
def test_every_kind_of_risk_mention_is_found(text: str, category: str, about: str) -> None:
    found = find_risk(text, RISK)
    assert found, text
    assert found[0]["category"] == category
    assert found[0]["about"] == about
    assert found[0]["words"].lower() in text.lower()


@pytest.mark.parametrize("text", IDIOMS)
def test_idioms_with_the_same_words_are_not_risk(text: str) -> None:
    assert find_risk(text, RISK) == []


def test_a_denial_is_still_a_risk_turn_marked_negated() -> None:
    conv = make_conversation(
        ("Doctor", "Have you ever hurt yourself?"),
        ("Patient", "No, I've never self-harmed."),
    )
    [risk] = analyse(conv).to_json()["metrics"]["risk_turns"]
    assert risk["turn"] == 1
    assert risk["category"] == "self_harm"
    assert risk["negated"] is True


def test_risk_turns_in_the_analysis_without_models() -> None:
    conv = make_conversation(
        ("Doctor", "What brings you in? Any thoughts of suicide or harming yourself?"),
        ("Patient", "I've been low since my father committed suicide."),
        ("Doctor", "I'm so sorry."),
        ("Patient", "Sometimes I think everyone would be better off without me."),
        ("Doctor", "Thank you for telling me."),
        ("Patient", "I've got a killer headache too."),
    )
    document = analyse(conv).to_json()
    risks = document["metrics"]["risk_turns"]
    assert [r["turn"] for r in risks] == [1, 3]  # never the clinician's screening question
    first = risks[0]
    assert first["category"] == "suicide"
    assert first["categories"] == ["suicide"]
    assert first["words"] == ["suicide"]
    assert first["about"] == "other"
    assert first["label"] == "suicide of a relative or someone else"
    assert first["speaker"] == "Patient"
    assert risks[1]["category"] == "wish_to_die"
    assert [t["risk"] for t in document["turns"]] == [None, "suicide", None, "wish_to_die", None, None]
    assert document["metrics"]["warnings"] == []


def test_family_and_unattributed_speakers_count_too() -> None:
    conv = make_conversation(
        ("Dr Lee", "How has he been?"),
        ("Mother", "He says he wants to die."),
        ("Speaker 3", "I've been hitting myself."),  # role other: unknown speakers are not dropped
    )
    risks = analyse(conv).to_json()["metrics"]["risk_turns"]
    assert [(r["turn"], r["role"], r["about"]) for r in risks] == [
        (1, "family", "other"),
        (2, "other", "speaker"),
    ]


def test_a_whole_consultation_has_no_warnings_and_no_risk() -> None:
    document = analyse(read_pair(SAMPLES / "day1_consultation01_doctor.TextGrid")).to_json()
    assert document["metrics"]["warnings"] == []
    assert document["metrics"]["risk_turns"] == []
    assert document["metrics"]["score_not_assessable"] is None
    assert document["score"]["compassion"] is not None


def test_the_doctor_textgrid_alone_is_not_scored() -> None:
    """issue 12: a single-speaker file was scored as a whole consultation, higher than pairs."""
    document = analyse(read_conversation(SAMPLES / "day1_consultation01_doctor.TextGrid")).to_json()
    warnings = document["metrics"]["warnings"]
    assert any(w.startswith("only one speaker found") and "--merge" in w for w in warnings)
    assert any(w.startswith("no patient or family turns") for w in warnings)
    assert document["score"]["compassion"] is None
    assert set(document["score"]["components"].values()) == {None}
    assert all(
        part["why"].startswith("not assessable") for part in document["score"]["breakdown"].values()
    )
    assert document["metrics"]["score_not_assessable"].startswith("only one speaker")


def test_no_clinician_and_no_patient_turns_are_warned() -> None:
    conv = make_conversation(("A", "Hello there."), ("B", "Hi, how are you?"))
    warnings = analyse(conv).to_json()["metrics"]["warnings"]
    assert any(w.startswith("no clinician turns") for w in warnings)
    assert any(w.startswith("no patient or family turns") for w in warnings)
    assert not any(w.startswith("only one speaker") for w in warnings)


def test_the_patient_textgrid_alone_warns_of_no_clinician() -> None:
    document = analyse(
        read_conversation(SAMPLES / "day1_consultation01_patient.TextGrid")
    ).to_json()
    warnings = document["metrics"]["warnings"]
    assert any(w.startswith("only one speaker found (Patient)") for w in warnings)
    assert any(w.startswith("no clinician turns") for w in warnings)
    assert document["score"]["compassion"] is None
