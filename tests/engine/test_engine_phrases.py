"""The phrase rules on single turns: cues, questions, reflections, NURSE, structure, responses."""

from __future__ import annotations

import pytest
from engine_helpers import timed

from bedside.engine import DEFAULT_RULES, analyse
from bedside.engine._clinician import clinician_features
from bedside.engine._cues import detect_cue
from bedside.engine._text import second_person, shared_words


@pytest.mark.parametrize(
    ("text", "category", "kind"),
    [
        ("I'm scared it's cancer.", "explicit_fear", "concern"),
        ("I don't know, I'm scared.", "explicit_fear", "concern"),
        ("I've been so down lately.", "explicit_sadness", "concern"),
        ("I'm fed up with the waiting.", "explicit_anger", "concern"),
        ("It's so embarrassing.", "explicit_shame", "concern"),
        (
            "I don't feel really comfortable asking about these questions.",
            "explicit_shame",
            "concern",
        ),
        ("It's been really hard since Christmas.", "explicit_distress", "concern"),
        ("I'm just not myself.", "vague_emotion", "cue"),
        ("Could it be something serious?", "worry_question", "cue"),
        ("My dad died of this.", "illness_life_event", "cue"),
        ("My mum had a stroke at my age.", "illness_life_event", "cue"),
        ("I looked it up online.", "looked_up", "cue"),  # VR-CoDES (b), not a life event
        ("I can't sleep at night.", "physiological_correlate", "cue"),
        ("I've lost my job and I can't afford the rent.", "stressful_life_event", "cue"),
        ("So, it's really concerning me.", "explicit_fear", "concern"),
        ("Hopefully nothing so serious I will die from it.", "explicit_fear", "concern"),
        ("It really annoys me.", "explicit_anger", "concern"),
        ("I'm thirty five. That's gonna be difficult now.", "explicit_distress", "concern"),
        ("So my dad actually has um colon cancer at the moment.", "illness_life_event", "cue"),
        ("He actually died, of, bowel cancer, ten years ago.", "illness_life_event", "cue"),
    ],
)
def test_cues_are_found(text: str, category: str, kind: str) -> None:
    cue = detect_cue(text, DEFAULT_RULES)
    assert cue is not None
    assert (cue.category, cue.kind) == (category, kind)
    assert cue.evidence and all(0 <= s < e <= len(text) for s, e in cue.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "I'm not worried about it really.",
        "I've had diarrhoea for three days.",
        "My mum has hay fever and my sister has eczema.",  # family history asked for
        "The pain is in my lower back.",
        "No, nothing like that.",
        "It begins with an M, it's pretty hard to pronounce.",
        "But we don't think I'm dying of lung cancer.",
    ],
)
def test_plain_history_is_not_a_cue(text: str) -> None:
    assert detect_cue(text, DEFAULT_RULES) is None


def test_topic_is_echoed_in_the_second_person() -> None:
    cue = detect_cue("I'm really worried about my heart, Doctor.", DEFAULT_RULES)
    assert cue is not None
    assert (cue.bare, cue.topic) == ("your heart", "about your heart")
    cue = detect_cue("I'm scared it's cancer.", DEFAULT_RULES)
    assert cue is not None
    assert cue.topic == "that it's cancer"


def test_broken_speech_gives_no_topic() -> None:
    cue = detect_cue("I'm worried about, um, you know, because it's, like, the", DEFAULT_RULES)
    assert cue is not None
    assert cue.bare is None


def test_second_person_keeps_names_and_turns_pronouns() -> None:
    assert second_person("my wife passed away in March") == "your wife passed away in March"
    assert second_person("I was scared I'm dying") == "you were scared you're dying"
    assert second_person("it was bad") == "it was bad"


def test_word_endings_match_in_topic_overlap() -> None:
    assert shared_words({"stressed", "worried"}, {"stress", "worry"}) == {"stressed", "worried"}
    assert shared_words({"heart"}, {"health"}) == set()


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("What's been worrying you?", "open"),
        ("Tell me more about that.", "open"),
        ("How long have you had it?", "closed"),
        ("What side is it on?", "closed"),
        ("Do you smoke?", "closed"),
        ("Is the pain sharp or dull?", "closed"),
        ("You measure your temperature then?", "closed"),
        ("We'll get some bloods done, OK?", None),
        ("And how are you sleeping, yeah?", "open"),
        ("Take one tablet twice a day.", None),
    ],
)
def test_question_types(text: str, question: str | None) -> None:
    assert clinician_features(text, DEFAULT_RULES).question == question


@pytest.mark.parametrize(
    ("text", "reflects"),
    [
        ("It sounds like you're really worried about this.", True),
        ("You feel like nobody is listening.", True),
        ("Do you feel sick?", False),
        ("It sounds like a viral infection.", False),
        ("Give us a call if you are worried about anything else.", False),
    ],
)
def test_reflections_are_statements_about_feelings(text: str, reflects: bool) -> None:
    assert clinician_features(text, DEFAULT_RULES).reflect is reflects


@pytest.mark.parametrize(
    ("text", "nurse"),
    [
        ("It sounds like you're frightened.", ("name",)),
        ("That's completely understandable.", ("understand",)),
        ("You've coped really well with all of this.", ("respect",)),
        ("We'll work through this together.", ("support",)),
        ("Tell me more.", ("explore",)),
        ("What we'll do is book a scan.", ()),
        ("Tell me a bit more about your home situation.", ()),
        ("No other fevers, if I understand correctly.", ()),
        ("Thank you for coming in today.", ()),
        ("We'll try our very best to get this sorted.", ("support",)),
    ],
)
def test_nurse_statements(text: str, nurse: tuple[str, ...]) -> None:
    assert clinician_features(text, DEFAULT_RULES).nurse == nurse


@pytest.mark.parametrize(
    ("text", "agenda"),
    [
        ("Is there anything else you wanted to talk about today?", True),
        ("Something else you wanted to talk about today?", True),
        ("Any other concerns you'd like to raise?", True),
        ("Any other symptoms at all?", False),
        ("Have you had anything else happen?", False),
        ("Or is it something else going on?", False),
    ],
)
def test_agenda_setting_is_about_concerns_not_symptoms(text: str, agenda: bool) -> None:
    assert clinician_features(text, DEFAULT_RULES).agenda_setting is agenda


def test_not_heard_turn_is_skipped_and_the_repeat_is_one_opportunity() -> None:
    conv = timed(
        ("Patient", "I'm scared it's cancer.", 0.0, 2.0),
        ("Doctor", "Sorry, could you repeat that?", 2.5, 4.0),
        ("Patient", "I said I'm scared it's cancer.", 4.5, 6.0),
        ("Doctor", "That sounds frightening. What makes you think so?", 6.5, 9.0),
    )
    (opportunity,) = analyse(conv).to_json()["opportunities"]
    assert opportunity["cue_turns"] == [0, 2]
    assert (opportunity["response"], opportunity["response_turn"]) == ("explored", 3)


def test_question_about_the_feeling_explores_it() -> None:
    conv = timed(
        ("Patient", "Work has been really stressful.", 0.0, 2.0),
        ("Doctor", "Is that stress affecting your mood at all?", 2.5, 4.0),
    )
    (opportunity,) = analyse(conv).to_json()["opportunities"]
    assert (opportunity["response"], opportunity["reason"]) == ("explored", "question_on_feeling")


def test_acknowledgement_with_reassurance_is_acknowledged_and_flagged() -> None:
    conv = timed(
        ("Patient", "I'm so stressed about all this.", 0.0, 2.0),
        ("Doctor", "I know you're stressed, but don't worry, it's nothing serious.", 2.5, 5.0),
    )
    (opportunity,) = analyse(conv).to_json()["opportunities"]
    assert opportunity["response"] == "acknowledged"
    assert opportunity["flags"] == ["premature_reassurance"]


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        ("You should drink plenty of fluids.", True),
        ("Try some paracetamol for the pain.", True),
        ("You could try a warm compress.", True),
        ("We'll try our very best to get this sorted.", False),
    ],
)
def test_advice(text: str, advice: bool) -> None:
    assert clinician_features(text, DEFAULT_RULES).advice is advice


def test_noticing_the_toll_acknowledges() -> None:
    assert clinician_features(
        "I'm certain this is obviously affecting you.", DEFAULT_RULES
    ).acknowledge
