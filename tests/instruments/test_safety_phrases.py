"""Safety phrases in free-text messages: sensitive on purpose, quiet on ordinary messages."""

from __future__ import annotations

import pytest

from bedside.instruments import crisis_resources, screen_message


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("Some days I just want to die.", "self_harm"),
        ("I've been thinking about suicide", "self_harm"),
        ("I\u2019ve thought about ending it all", "self_harm"),
        ("I don\u2019t want to wake up tomorrow", "self_harm"),
        ("Everyone would be better off without me", "self_harm"),
        ("I cut myself again last night", "self_harm"),
        ("I could take all my pills", "self_harm"),
        ("I KILL MYSELF WORKING", "self_harm"),
        ("I would never kill myself, but", "self_harm"),  # negated: still shown to a clinician
        ("My husband hits me when he drinks", "harm_from_others"),
        ("I'm scared to go home", "harm_from_others"),
        ("He threatened to kill me", "harm_from_others"),
        ("I want to hurt someone", "harm_to_others"),
    ],
)
def test_risk_phrases_are_found(message: str, category: str) -> None:
    screen = screen_message(message)
    assert screen.risk
    assert category in screen.categories
    match = screen.matches[0]
    assert 0 <= match.start < match.end <= len(message)


@pytest.mark.parametrize(
    "message",
    [
        "I feel a bit better this week, thanks.",
        "The cat killed a mouse in the garden.",
        "My back hurts when I lift things.",
        "I'm dying to see my grandson at Christmas",
        "Can I change my appointment?",
        "",
    ],
)
def test_ordinary_messages_are_not_flagged(message: str) -> None:
    assert not screen_message(message).risk


def test_the_ruleset_is_named() -> None:
    assert screen_message("hello").ruleset == "bedside.safety_phrases.v1"


def test_crisis_resources_are_present() -> None:
    crisis = crisis_resources()
    assert "988" in " ".join(resource.contact for resource in crisis.resources)
    assert crisis.message
