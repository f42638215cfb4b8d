"""Patient and family cues and concerns by VR-CoDES (Zimmermann et al., PEC 2011).

A turn is a cue when a rule from `cues.v1.yaml` matches it: a *concern* names an unpleasant
emotion ("I'm really worried it's my heart"); a *cue* hints at one, by the VR-CoDES types a-g
(vague emotion words, hints such as "I googled it" or "hopefully it's nothing", intensified
physical or cognitive correlates, a life event that stands out, a repetition, a non-verbal sign
the transcript marks, a past emotion). Rules give the reason a coder can check ("scared it's
cancer" matched *explicit_fear*).

The emotion model may *support* a rule's cue (`source` "rules+model") but never makes one on its
own: on consultations its confident "sadness" and "fear" are repair talk ("Sorry, I didn't catch
that"), apologies and plain symptoms far more often than feelings. Repair talk, politeness and a
body part that is "irritated" are blanked out first (`vrcodes.v1.yaml` `not_cue`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bedside.engine._rules import RuleSet
from bedside.engine._text import match_form, second_person, words_of
from bedside.engine._vrcodes import DEFAULT_VRCODES, VRCodesRules

__all__ = ["NEGATIVE_EMOTIONS", "Cue", "cue_type", "detect_cue"]

NEGATIVE_EMOTIONS: Mapping[str, str] = {
    "fear": "fear",
    "sadness": "sadness",
    "anger": "anger",
    "disgust": "distress",
}
"""Model emotions that support a cue, and the cue emotion (template family) each maps to."""

_CLAUSE = re.compile(r"[,.;:!?]|\b(?:but|and|because|so)\b")
_TOPIC_LINKS = ("about", "of", "with", "that", "if", "whether", "because")
_MAX_TOPIC_WORDS = 8
_MAX_PHRASE_WORDS = 12
_FILLER_PHRASES = re.compile(
    r"\b(?:uh|um|umm|erm|er|you know|kind of|sort of|i mean|actually|basically|really|just)\b|"
    r"\blike,",
    re.IGNORECASE,
)
_CONJUNCTION = re.compile(r"\s+(?:because|but|so|and then|cause|'cause)\s+", re.IGNORECASE)
_DANGLING = frozenset(
    {
        "to",
        "the",
        "a",
        "an",
        "of",
        "and",
        "about",
        "because",
        "that",
        "is",
        "it's",
        "my",
        "your",
        "i",
        "you",
        "but",
        "or",
        "so",
        "if",
        "with",
        "for",
        "in",
        "on",
        "at",
        "what",
        "which",
        "who",
        "when",
        "where",
        "how",
        "as",
        "than",
        "be",
        "cannot",
        "can't",
        "are",
        "was",
        "it",
        "has",
        "had",
        "have",
        "were",
        "been",
        "would",
        "will",
        "like",
        "um",
        "uh",
    }
)
_IT_CLAUSE = re.compile(r"\bit(?:'s| is| might be| could be| may be)$")


@dataclass(frozen=True)
class Cue:
    """Why a patient or family turn is an empathic opportunity."""

    kind: str
    category: str
    vrcodes: str
    emotion: str
    source: str
    evidence: tuple[tuple[int, int], ...]
    phrase: str | None
    bare: str | None
    topic: str | None

    def to_json(self, text: str) -> dict[str, object]:
        """The cue as plain JSON for the turn's `cue_detail`."""
        return {
            "kind": self.kind,
            "category": self.category,
            "vrcodes": self.vrcodes,
            "type": cue_type(self),
            "emotion": self.emotion,
            "source": self.source,
            "evidence": [[s, e] for s, e in self.evidence],
            "evidence_text": [text[s:e] for s, e in self.evidence],
            "topic": self.bare,
        }


def cue_type(cue: Cue) -> str | None:
    """The VR-CoDES cue type a-g, or None for a concern (the coding manual gives concerns none)."""
    return None if cue.kind == "concern" else cue.vrcodes


def _blanked(form: str, vrcodes: VRCodesRules) -> str:
    """The turn with repair talk and politeness blanked out, offsets kept.

    "Sorry, I didn't catch that, you broke up" holds no cue however sad the model hears it; nor
    does "my throat is irritated from coughing" (a symptom, not irritation).
    """
    return vrcodes.not_cue_any.sub(lambda m: " " * len(m.group(0)), form)


def _negated(form: str, start: int, rules: RuleSet) -> bool:
    """True when a negation sits just before the match in the same clause ("I'm not worried")."""
    before = form[:start]
    clause = _CLAUSE.split(before)[-1] if before else ""
    window = words_of(clause)[-rules.negation_window :]
    return any(word in rules.negation_words or word.endswith("n't") for word in window)


def _trim(phrase: str) -> str:
    """A cue phrase without hesitations, cut at the first comma, at most a dozen words."""
    cleaned = _FILLER_PHRASES.sub(" ", phrase.split(",")[0])
    words = cleaned.strip(" ;:-").split()
    return " ".join(words[:_MAX_PHRASE_WORDS]).rstrip(" ,;:-")


def _clean_phrase(phrase: str) -> str | None:
    """The patient's cue phrase to quote back, or None when it trails off into nothing usable.

    Cut at the first comma when that leaves a whole phrase ("my dad died of this, so"), else
    keep up to eight words and drop words that need more after them ("...like this for").
    """
    for candidate in (phrase.split(",")[0], phrase):
        words = _FILLER_PHRASES.sub(" ", candidate).replace(" ,", ",").split()[:_MAX_TOPIC_WORDS]
        while words and words[-1].strip(",;:-").lower() in _DANGLING:
            words.pop()
        if len(words) >= 2:
            return " ".join(words).rstrip(" ,;:-")
    return None


def _clean_topic(phrase: str) -> str | None:
    """The worry in a few words, or None when the transcript is too broken to echo back.

    Spoken words trail off ("because you can't actually think about, uh, what you have to"):
    echoing that would sound odd, so a topic longer than eight words, or ending on a word that
    needs more after it ("to", "the", "about"), is dropped and a template without it is used.
    """
    words = _CONJUNCTION.split(_trim(phrase))[0].split()
    if not words or len(words) > _MAX_TOPIC_WORDS or words[-1] in _DANGLING:
        return None
    return " ".join(words)


def _topic(match: re.Match[str], text: str) -> tuple[str | None, str | None]:
    """What the worry is about, bare and with its link word, spoken back to the patient.

    "scared it's cancer" gives ("cancer", "that it's cancer"); "worried about my heart" gives
    ("your heart", "about your heart").
    """
    if "topic" not in match.re.groupindex or not match.group("topic"):
        return None, None
    bare_text = _clean_topic(text[match.start("topic") : match.end("topic")])
    if bare_text is None or not words_of(bare_text):
        return None, None
    bare = second_person(bare_text)
    lead = match.string[match.start() : match.start("topic")].strip()
    link = lead.split()[-1] if lead.split() else ""
    it_clause = _IT_CLAUSE.search(lead)
    if it_clause:
        return bare, f"that {it_clause.group(0)} {bare}"
    if link in _TOPIC_LINKS and link not in {"about", "of", "with"}:
        return bare, f"{link} {bare}"
    return bare, f"about {bare}"


def _second_person_or_none(phrase: str | None) -> str | None:
    return second_person(phrase) if phrase else None


def detect_cue(
    text: str,
    rules: RuleSet,
    *,
    emotion_scores: Mapping[str, float] | None = None,
    threshold: float = 0.5,
    min_words: int = 3,
    model_emotions: tuple[str, ...] = ("fear", "sadness", "disgust"),
    vrcodes: VRCodesRules = DEFAULT_VRCODES,
) -> Cue | None:
    """Find whether a patient or family turn is a cue or concern, and why.

    Args:
        text: the turn's words.
        rules: the compiled ruleset.
        emotion_scores: the emotion model's probabilities for the turn, when a model ran.
        threshold: the probability of a negative emotion at which the model supports a rule's cue
            (`source` becomes "rules+model"). The model never makes a cue without a rule.
        min_words: shorter turns ("Yeah.") get no model support.
        model_emotions: the model emotions that may support a cue. Not anger by default: the
            GoEmotions grouping puts "disapproval" under anger ("No, I don't smoke.").
        vrcodes: the VR-CoDES rules (what is not a cue, non-verbal signs).

    Returns:
        The cue, or None. The first category in file order that matches wins (concerns come
        first); negated feeling words ("I'm not worried") do not count.
    """
    form = _blanked(match_form(text), vrcodes)
    hits: list[tuple[int, int]] = []
    first: tuple[int, re.Match[str]] | None = None
    topic_match: re.Match[str] | None = None
    for position, category in enumerate(rules.cue_categories):
        for pattern in category.patterns:
            for match in pattern.finditer(form):
                if category.negatable and _negated(form, match.start(), rules):
                    continue
                hits.append((match.start(), match.end()))
                if first is None:
                    first = (position, match)
                same_category = first is not None and first[0] == position
                if (
                    topic_match is None
                    and same_category
                    and "topic" in pattern.groupindex
                    and match.group("topic")
                ):
                    topic_match = match
    model_emotion: str | None = None
    if emotion_scores and len(words_of(form)) >= min_words:
        best = max(model_emotions, key=lambda name: emotion_scores.get(name, 0.0))
        if emotion_scores.get(best, 0.0) >= threshold:
            model_emotion = NEGATIVE_EMOTIONS[best]
    if first is None:
        marked = any(mark in form for mark in "[(<*")
        nonverbal = (
            next((m for p in vrcodes.nonverbal for m in p.finditer(form)), None) if marked else None
        )
        if nonverbal is None:
            return None
        return Cue(
            kind="cue",
            category="nonverbal",
            vrcodes="f",
            emotion="sadness",
            source="rules+model" if model_emotion else "rules",
            evidence=((nonverbal.start(), nonverbal.end()),),
            phrase=None,
            bare=None,
            topic=None,
        )
    evidence = tuple(sorted(set(hits)))
    position, match = first
    category = rules.cue_categories[position]
    bare, topic = _topic(topic_match, text) if topic_match is not None else (None, None)
    return Cue(
        kind=category.kind,
        category=category.id,
        vrcodes=category.vrcodes,
        emotion=category.emotion,
        source="rules+model" if model_emotion else "rules",
        evidence=evidence,
        phrase=_second_person_or_none(_clean_phrase(text[match.start() : match.end()])),
        bare=bare,
        topic=topic,
    )
