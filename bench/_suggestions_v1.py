"""Today's suggestion function (v1), kept for bench/suggestions.py to measure beside v2.

A copy of `bedside.engine._suggestions.suggest` as of commit f5057f3 (before issue 12 item 9):
the template is picked by the cue's emotion or category and the turn number, from
`suggestions.v1.yaml` (still loaded by the ruleset as `suggestions_by_emotion` and
`suggestions_by_category`). Not part of the package.

Original docstring: a better response for a missed cue, from the templates of `suggestions.v1.yaml`.

Templates, not a language model, by default: the wording is reviewed once by people, the same cue
always gets the same suggestion, and nothing leaves the machine. `bedside.services.rewrite` may
add a model's rewrite on top when one is configured.
"""

from __future__ import annotations

from bedside.engine._cues import Cue
from bedside.engine._rules import RuleSet

__all__ = ["suggest_v1"]


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    return text[0].upper() + text[1:] if text else text


def suggest_v1(cue: Cue, rules: RuleSet, *, turn_index: int) -> str:
    """A plain-words response that names the cue's feeling and invites the patient to say more.

    Example: for "I'm scared it's cancer" the suggestion reads "It sounds like you're worried
    that it's cancer. That's an understandable worry. What is it that concerns you most?"
    """
    by_emotion = rules.suggestions_by_emotion.get(
        cue.emotion, rules.suggestions_by_emotion["distress"]
    )
    family = rules.suggestions_by_category.get(cue.category, by_emotion)
    has_topic = cue.bare is not None and cue.topic is not None
    if family is not by_emotion and cue.phrase is None:
        family = by_emotion  # a category template quotes the patient; nothing usable to quote
    templates = family["with_topic"] if has_topic else family["without_topic"]
    template = templates[turn_index % len(templates)]
    return _tidy(
        template.format(
            bare=cue.bare or "",
            topic=cue.topic or "",
            phrase=cue.phrase or "",
        )
    )
