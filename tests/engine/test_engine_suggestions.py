"""Suggested replies (issue 12 item 9): the situation, the patient's words, grammar, variety.

Cue turns are real PriMock57 day1 patient turns (development part of the gold split) unless a
situation does not occur there (urgent symptoms, thoughts of self-harm): those are written in the
same style and say so.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from engine_helpers import read_pair

from bedside.engine import DEFAULT_RULES, analyse
from bedside.engine._cues import Cue, detect_cue
from bedside.engine._echo import (
    clean_words,
    echo_problems,
    second_person_clause,
    spoken_back,
    subject_clause,
)
from bedside.engine._suggestions import DEFAULT_SUGGESTIONS, suggest, suggestion_for
from bedside.model import Conversation, Role, Speaker, Turn

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples" / "primock57"


def _suggestion(text: str) -> tuple[str, str]:
    cue = detect_cue(text, DEFAULT_RULES)
    assert cue is not None, f"no cue in {text!r}"
    found = suggestion_for(cue, [text])
    assert found is not None
    return found.situation, found.text


def _cue(category: str, text: str, words: str, *, emotion: str = "distress") -> Cue:
    start = text.index(words)
    return Cue(
        kind="cue",
        category=category,
        vrcodes="b",
        emotion=emotion,
        source="rules",
        evidence=((start, start + len(words)),),
        phrase=None,
        bare=None,
        topic=None,
    )


# --- the patient's words, spoken back with correct grammar -------------------------------------

ECHOES = [
    # (day1 turn, words the suggestion must hold)
    (
        "Um, so basically, I've been really stressed at work for the past few days.",
        "you've been really stressed at work for the past few days",
    ),
    (
        "Um, and I got a bit breathless when I was first diagnosed, and put on some medicine that, "
        "that um, that helped, but I'm a bit worried it's just getting worse.",
        "you're worried that it's just getting worse",
    ),
    ("Uh, my, my father died of a, uh, of a heart attack.", "your father died of a heart attack"),
    (
        "My, my friend's mum, she she recently died of a brain tumor. So, it's really concerning me actually.",
        "your friend's mum recently died of a brain tumor",
    ),
    (
        "And I remember saying to her, it was like you know what? I'm, I'm, I'm not feeling, great.",
        "you're not feeling great",
    ),
    (
        "Uh, yeah like the past three days, I haven't been able to go to work.",
        "you haven't been able to go to work",
    ),
    (
        "Yeah I mean, it's gotten to a point where, where it hurts a lot. And I can't really do my "
        "job. So, I thought I should probably get it checked out.",
        "you thought you should probably get it checked out",
    ),
    (
        "I need to get back to work today. But you know, what if it is a brain tumour? What's gonna "
        "happen with my future and my career?",
        "it might be a brain tumour",
    ),
    (
        "thank you, uh thanks so much. I was so worried that I had cancer.",
        "you were worried that you had cancer",
    ),
    ("Well, it's been a bit stressful, kicking off a new project.", "it's been a bit stressful"),
    (
        "I don't feel down, just a little bit stressed.",
        "you don't feel down, just a little bit stressed",
    ),
]


@pytest.mark.parametrize(("turn", "words"), ECHOES, ids=[w for _, w in ECHOES])
def test_echo_of_a_real_cue_turn_is_whole_and_grammatical(turn: str, words: str) -> None:
    _, text = _suggestion(turn)
    assert words in text
    assert echo_problems(text) == ()
    assert not any(f in text.lower().split() for f in ("um", "uh", "um,", "uh,"))


def test_a_broken_turn_gets_no_broken_echo() -> None:
    """Trailing off mid-thought: no echo rather than "you're worried that if you get sick"."""
    turn = "Um, I guess I'm a bit worried, that if I get sick I won't, if I get more sick then, I won't be able to work properly."
    _, text = _suggestion(turn)
    assert "if you get sick" not in text
    assert echo_problems(text) == ()


def test_the_issues_broken_echoes_are_found_by_the_checker() -> None:
    assert "cut-off word" in echo_problems(
        "It sounds like you're worried about losing- you're worried about losing your freedom."
    )
    assert "empty worry" in echo_problems(
        "I can hear you're worried about anything. Can you tell me more?"
    )
    assert "person agreement" in echo_problems("You said you was scared.")
    assert "first person in echo" in echo_problems("You said you've been worried about my heart.")
    assert "repeated word" in echo_problems("You said your, your father died.")
    assert "filler" in echo_problems("You said you're um worried.")
    assert (
        echo_problems(
            "You said you've been really stressed at work. I can hear that. What's been hardest?"
        )
        == ()
    )


def test_disfluencies_are_stripped() -> None:
    assert clean_words("I'm, I'm, I'm not feeling, great") == "I'm not feeling great"
    assert clean_words("So I I smoked, uh this is quite bad") == "So I smoked this is quite bad"
    assert clean_words("worried about losing- you're worried about losing your freedom") == (
        "you're worried about losing your freedom"
    )
    assert clean_words("it's it's super annoying") == "it's super annoying"
    assert clean_words("I am, I can't really do it anymore") == "I can't really do it anymore"


def test_a_clause_starts_at_its_subject_and_stops_at_a_conjunction() -> None:
    assert subject_clause("Um, so basically, I've been really stressed at work.", "stressed") == (
        "I've been really stressed at work"
    )
    assert subject_clause(
        "I'll try to, and drink, drink plenty of fluid and I hope it go away.", "hope"
    ) == ("I hope it goes away")
    assert subject_clause("there was one thing I think just, 'cause I can panic", "xyz") is None


@pytest.mark.parametrize(
    ("said", "spoken"),
    [
        ("I'm worried about my heart", "you're worried about your heart"),
        ("I was so worried that I had cancer", "you were so worried that you had cancer"),
        ("it was really bad", "it was really bad"),
        ("I've been stressed", "you've been stressed"),
        ("it really scares me", "it really scares you"),
        ("I am not sure", "you are not sure"),
        ("I'd like to sort it out myself", "you'd like to sort it out yourself"),
        ("my dad's cancer came back", "your dad's cancer came back"),
        ("I wasn't sleeping", "you weren't sleeping"),
        ("I'll manage", "you'll manage"),
    ],
)
def test_first_person_turns_into_second(said: str, spoken: str) -> None:
    assert second_person_clause(said) == spoken


def test_the_generic_you_is_not_echoed() -> None:
    """'you can look online' is the patient's generic you: turned round it would be nonsense."""
    assert second_person_clause("you can look online and get frantic") is None
    assert spoken_back("I feel shit about it all", "shit") is None  # not said back by a trainer


# --- never for repair talk ----------------------------------------------------------------------


def test_repair_talk_gets_no_suggestion() -> None:
    """The old model-only cue on "Sorry, I didn't catch that" got "It sounds like things have been
    really hard for you lately"; whatever marks such a turn, no suggestion comes of it."""
    text = "Sorry, I didn't catch that."
    model_only = Cue(
        kind="cue",
        category="model_emotion",
        vrcodes="a",
        emotion="sadness",
        source="model",
        evidence=(),
        phrase=None,
        bare=None,
        topic=None,
    )
    assert suggestion_for(model_only, [text]) is None
    assert suggestion_for(_cue("explicit_sadness", text, "Sorry"), [text]) is None
    assert (
        suggestion_for(
            _cue("explicit_distress", "You broke up, sorry.", "sorry"), ["You broke up, sorry."]
        )
        is None
    )
    assert suggest(model_only, DEFAULT_RULES, turn_index=3, texts=[text]) is None


def test_repair_talk_in_a_consultation_is_never_a_suggestion() -> None:
    def turn(role: Role, text: str) -> Turn:
        return Turn(speaker=Speaker(name=role.value.title(), role=role), text=text)

    conv = Conversation(
        id="repair",
        turns=(
            turn(Role.CLINICIAN, "And how long has the cough been going on?"),
            turn(Role.PATIENT, "Sorry, I didn't catch that, you broke up."),
            turn(Role.CLINICIAN, "How long have you had the cough?"),
            turn(Role.PATIENT, "About a week."),
        ),
    )
    document = analyse(conv).to_json()
    assert all(o["cue_turn"] != 1 for o in document["opportunities"])


# --- each situation gets its own kind of reply --------------------------------------------------

SITUATIONS = [
    # (turn, situation, words every phrasing of it holds, one of)
    (
        "I'm just really worried. Like I've just been googling and like I've read, you know if your "
        "headache gets worse if you move, it could be a sign of brain cancer.",
        "looked_up",
        ("read", "come across"),
    ),
    ("Uh, my, my father died of a, uh, of a heart attack.", "loss", ("sorry",)),
    (
        "I need to get back to work today. But you know, what if it is a brain tumour?",
        "worry_question",
        ("honest", "straight"),
    ),
    (
        "Yeah I mean, it's gotten to a point where, where it hurts a lot. And I can't really do my "
        "job. So, I thought I should probably get it checked out.",
        "change_talk",
        ("you thought you should probably get it checked out",),
    ),
    (
        "Um, and I got a bit breathless when I was first diagnosed, and put on some medicine that, "
        "that um, that helped, but I'm a bit worried it's just getting worse.",
        "named_worry",
        ("worried that it's just getting worse",),
    ),
    (
        "And I remember saying to her, I'm, I'm, I'm not feeling, great.",
        "vague_emotion",
        ("you're not feeling great",),
    ),
    (
        "Um, so basically, I've been really stressed at work for the past few days.",
        "named_feeling",
        ("stressed",),
    ),
    ("Kind of. Um, yeah, both ankles. Yeah, it's a bit embarrassing.", "shame", ("embarrassing",)),
    (
        "Uh, yeah like the past three days, I haven't been able to go to work.",
        "impact",
        ("go to work",),
    ),
    ("I feel very weak though.", "correlate", ("weak",)),
    # Not in day1; written in the style of the PriMock57 turns:
    (
        "Um, I woke up and I, I couldn't move my left arm, and I'm a bit worried.",
        "urgent",
        ("straight away", "today", "now"),
    ),
    (
        "I've had, um, crushing chest pain since this morning and I'm really scared.",
        "urgent",
        ("straight away", "today", "now"),
    ),
]


@pytest.mark.parametrize(
    ("turn", "situation", "words"), SITUATIONS, ids=[s for _, s, _ in SITUATIONS]
)
def test_each_situation_gets_its_own_template(
    turn: str, situation: str, words: tuple[str, ...]
) -> None:
    found_situation, text = _suggestion(turn)
    assert found_situation == situation
    assert any(w in text for w in words), text
    assert echo_problems(text) == ()


def test_thoughts_of_self_harm_are_asked_about_directly() -> None:
    text = "Honestly some days I just want to die, I can't see the point."
    found = suggestion_for(_cue("explicit_sadness", text, "want to die", emotion="sadness"), [text])
    assert found is not None
    assert found.situation == "risk_self"
    assert "?" in found.text


def test_urgency_wins_over_the_worry_and_is_honest() -> None:
    """A worry with an arm that cannot move is not a moment to explore the worry first."""
    _, text = _suggestion(
        "Uh so I'm a bit worried 'cause I woke up this morning and I couldn't move my left arm any more."
    )
    assert "you couldn't move your left arm" in text
    assert any(w in text for w in ("honest", "straight", "seriously"))


# --- variety and determinism --------------------------------------------------------------------


def test_two_cues_of_one_kind_get_different_suggestions() -> None:
    first = _suggestion("Well, it's been a bit stressful, kicking off a new project.")
    second = _suggestion("Um, work's kind of, um, a bit stressful at the moment.")
    assert first[0] == second[0] == "named_feeling"
    assert first[1] != second[1]


def test_phrasings_vary_across_cues_without_an_echo() -> None:
    """Even the templates that quote nothing are spread by the hash, not one for all."""
    texts = {
        suggestion_for(_cue("physiological_correlate", t, "so"), [t]).text  # type: ignore[union-attr]
        for t in (
            "it's so so bad.",
            "it's so very bad, uh.",
            "oh it's so, so bad",
            "it's so bad, like, so bad",
        )
    }
    assert len(texts) >= 2


def test_the_same_cue_always_gets_the_same_suggestion() -> None:
    turn = "Um, so basically, I've been really stressed at work for the past few days."
    assert len({_suggestion(turn)[1] for _ in range(3)}) == 1


def test_every_situation_has_several_phrasings_and_known_categories() -> None:
    known = {c.id for c in DEFAULT_RULES.cue_categories} | {"nonverbal"}
    for situation in DEFAULT_SUGGESTIONS.situations:
        assert len(situation.templates) >= 2, situation.id
        assert situation.categories <= known, (situation.id, situation.categories - known)


def test_bundled_consultations_get_distinct_grammatical_suggestions() -> None:
    suggestions = []
    for doctor in sorted(SAMPLES.glob("day1_*_doctor.TextGrid")):
        document = analyse(read_pair(doctor)).to_json()
        suggestions += [o["suggestion"] for o in document["opportunities"] if o["suggestion"]]
    assert suggestions
    assert all(echo_problems(s) == () for s in suggestions)
    assert len(set(suggestions)) == len(suggestions)


# --- the rating script --------------------------------------------------------------------------


def _load_ratings_module():  # type: ignore[no-untyped-def]
    path = ROOT / "bench" / "suggestion_ratings.py"
    spec = importlib.util.spec_from_file_location("suggestion_ratings", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["suggestion_ratings"] = module
    spec.loader.exec_module(module)
    return module


def test_rating_summary_means_and_agreement(tmp_path: Path) -> None:
    ratings = _load_ratings_module()
    (tmp_path / "rating_key.json").write_text(
        json.dumps({"key": {"a": "old", "b": "new", "c": "old", "d": "new"}})
    )
    (tmp_path / "ratings_ann.json").write_text(
        json.dumps({"ratings": {"a": 2, "b": 4, "c": 1, "d": 5}})
    )
    (tmp_path / "ratings_bob.json").write_text(
        json.dumps({"ratings": {"a": 2, "b": 4, "c": 1, "d": 5}})
    )
    summary = ratings.summarise(tmp_path)
    assert summary["means"]["old"] == pytest.approx(1.5)
    assert summary["means"]["new"] == pytest.approx(4.5)
    assert summary["pairs"][0]["weighted_kappa"] == pytest.approx(1.0)
    assert summary["pairs"][0]["spearman"] == pytest.approx(1.0)
    (tmp_path / "ratings_bob.json").write_text(
        json.dumps({"ratings": {"a": 5, "b": 1, "c": 4, "d": 2}})
    )
    disagreeing = ratings.summarise(tmp_path)["pairs"][0]
    assert disagreeing["weighted_kappa"] < 0
    assert disagreeing["spearman"] < 0


def test_rating_summary_rejects_an_out_of_scale_rating(tmp_path: Path) -> None:
    ratings = _load_ratings_module()
    (tmp_path / "rating_key.json").write_text(json.dumps({"key": {"a": "old"}}))
    (tmp_path / "ratings_ann.json").write_text(json.dumps({"ratings": {"a": 7}}))
    with pytest.raises(ValueError, match="1-5"):
        ratings.summarise(tmp_path)
