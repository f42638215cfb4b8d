"""Small text helpers shared by the rules: normalising, words, backchannels, echoing pronouns."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "FILLERS",
    "PRONOUN_SWAPS",
    "content_words",
    "is_backchannel",
    "match_form",
    "normalise",
    "second_person",
    "shared_words",
    "words_of",
]

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-"})
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")

FILLERS = frozenset({"um", "uh", "er", "erm", "hmm", "mm", "ah", "uhm", "umm"})
"""Hesitation sounds: not words for readability, not content for matching."""

_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "so",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "about",
        "from",
        "into",
        "over",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "it's",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "i",
        "i'm",
        "i've",
        "me",
        "my",
        "mine",
        "you",
        "your",
        "you're",
        "we",
        "our",
        "us",
        "they",
        "them",
        "their",
        "he",
        "she",
        "his",
        "her",
        "him",
        "do",
        "does",
        "did",
        "done",
        "have",
        "has",
        "had",
        "having",
        "not",
        "no",
        "yes",
        "yeah",
        "okay",
        "ok",
        "just",
        "really",
        "very",
        "quite",
        "bit",
        "little",
        "more",
        "most",
        "some",
        "any",
        "all",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "how",
        "there",
        "here",
        "then",
        "than",
        "too",
        "also",
        "like",
        "get",
        "got",
        "go",
        "going",
        "went",
        "thing",
        "things",
        "something",
        "anything",
        "one",
        "well",
        "um",
        "uh",
        "er",
        "erm",
    ]
)


def normalise(text: str) -> str:
    """Lower case, straight quotes, single spaces: the form every rule is matched against."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip().lower()


def match_form(text: str) -> str:
    """Lower case with straight quotes, same length as `text`: match offsets are text offsets."""
    form = text.translate(_QUOTES).lower()
    return form if len(form) == len(text) else text.translate(_QUOTES)


def words_of(text: str) -> list[str]:
    """The words of a normalised text (apostrophes and hyphens kept inside words)."""
    return _WORD.findall(text)


def content_words(text: str) -> set[str]:
    """Words that carry meaning (no stop words, at least four letters), for topic overlap."""
    return {w for w in words_of(normalise(text)) if len(w) >= 4 and w not in _STOP}


def shared_words(first: set[str] | frozenset[str], second: set[str] | frozenset[str]) -> set[str]:
    """Words of `first` that `second` also uses, allowing for word endings.

    Two words match when they share a beginning of at least four letters that leaves at most
    two letters over in the shorter word: "stressed" and "stress", "worried" and "worry",
    "pain" and "painful" match; "heart" and "health" do not.
    """
    found = set()
    for word in first:
        for other in second:
            shortest = min(len(word), len(other))
            need = max(4, shortest - 2)
            if shortest >= 4 and word[:need] == other[:need]:
                found.add(word)
                break
    return found


def is_backchannel(text: str, backchannels: Iterable[str] | frozenset[str]) -> bool:
    """True when a turn says nothing but listener tokens ("mm-hmm", "yeah, okay", "right").

    A turn with no words at all (only transcription tags were in it) also counts: it cannot take
    the floor. Example: "Yeah. Okay." is a backchannel; "Okay, and how long?" is not.
    """
    lowered = normalise(text)
    pieces = [p.strip() for p in re.split(r"[,.!?;:…]+|\.\.\.", lowered) if p.strip()]
    bank = backchannels if isinstance(backchannels, frozenset) else frozenset(backchannels)
    for piece in pieces:
        if piece in bank:
            continue
        tokens = words_of(piece)
        if not all(token in bank or token in FILLERS for token in tokens):
            return False
    return True


# First person to second, for echoing a patient's words back to them.
PRONOUN_SWAPS = {
    "i": "you",
    "i'm": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "am": "are",
    "we": "you",
    "we're": "you're",
    "we've": "you've",
    "our": "your",
    "us": "you",
    "was": "were",
}


def second_person(phrase: str) -> str:
    """Turn a patient's words round to speak them back ("my dad died of it" -> "your dad ...").

    Case is kept except in the swapped words, so names stay capitalised ("in March"). "was"
    becomes "were" only after "I" or "we" ("I was scared" -> "you were scared").
    """
    tokens = phrase.translate(_QUOTES).strip(" ,;:-").split()
    out: list[str] = []
    for position, token in enumerate(tokens):
        bare = token.strip(",;:").lower()
        previous = tokens[position - 1].lower() if position else ""
        if bare == "was" and previous not in {"i", "we"}:
            out.append(token)
            continue
        swapped = PRONOUN_SWAPS.get(bare)
        out.append(token.lower().replace(bare, swapped) if swapped else token)
    return " ".join(out)
