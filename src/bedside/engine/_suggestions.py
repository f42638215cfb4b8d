"""A better reply for a missed cue, fitted to the situation and in the patient's own words.

Templates, not a language model, by default: the wording is reviewed once by people, the same cue
always gets the same suggestion, and nothing leaves the machine. `bedside.services.rewrite` may
add a model's rewrite on top when one is configured.

`suggestions.v2.yaml` first decides the situation (an urgent symptom gets honesty about urgency,
a patient who looked something up gets ICE questions, change talk gets a reflection, a
relative's death gets condolence, a named worry is named and explored, a vague feeling word gets
a gentle invitation), then fills one of its phrasings with slots cut from the cue turn by
`bedside.engine._echo`. The phrasing is chosen by a stable hash of the cue's words, so two cues
of one kind read differently while a re-run gives the same text. Repair talk and politeness
("Sorry, I didn't catch that") never get a suggestion, whatever marked them as a cue.

The v1 templates (`suggestions.v1.yaml`, by emotion) stay loaded by the ruleset for reports and
benchmarks that compare against them.
"""

from __future__ import annotations

import re
import string
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import Field

from bedside.engine._cues import Cue
from bedside.engine._echo import (
    clause_at,
    clean_words,
    echo_problems,
    second_person_clause,
    spoken_back,
)
from bedside.engine._rules import RuleSet, _check, _compile, _expect_schema, _read, _Strict
from bedside.engine._vrcodes import DEFAULT_VRCODES, VRCodesRules

__all__ = [
    "DEFAULT_SUGGESTIONS",
    "Situation",
    "SuggestionRules",
    "load_suggestions",
    "suggest",
    "suggestion_for",
]


class _SituationFile(_Strict, frozen=True):
    id: str
    categories: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    templates: tuple[str, ...] = Field(min_length=1)


class _SuggestionsV2File(_Strict, frozen=True):
    schema_: str = Field(alias="schema")
    feelings: dict[str, str]
    situations: tuple[_SituationFile, ...] = Field(min_length=1)


_SLOTS = frozenset({"echo", "feeling", "worry", "question", "relative", "event"})


@dataclass(frozen=True)
class Situation:
    """One kind of moment and its phrasings (a `situations` entry of suggestions.v2.yaml)."""

    id: str
    categories: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    templates: tuple[str, ...]
    any_pattern: re.Pattern[str] | None = None
    """All of `patterns` as one alternation, compiled once at load (no cache at call time)."""


@dataclass(frozen=True)
class SuggestionRules:
    """Compiled `suggestions.v2.yaml`; picklable, so it travels to Dask workers."""

    name: str
    feelings: Mapping[str, str]
    situations: tuple[Situation, ...]


def _slots_of(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def load_suggestions(language: str = "en", version: str = "v2") -> SuggestionRules:
    """Load and check the shipped suggestion rules (unknown keys and slots are rejected).

    Raises:
        FormatError: the file is missing, not YAML, has unknown keys, a bad pattern or slot.
    """
    from bedside.errors import FormatError

    package = f"bedside.engine.rules.{language}"
    source, document = _read(package, f"suggestions.{version}.yaml")
    found = _check(_SuggestionsV2File, source, document)
    _expect_schema(found.schema_, f"bedside.suggestions.{version}", source)
    situations = []
    for entry in found.situations:
        for template in entry.templates:
            unknown = _slots_of(template) - _SLOTS
            if unknown:
                raise FormatError(
                    f"situation {entry.id}: unknown slot(s) {sorted(unknown)} in {template!r}; "
                    f"use {sorted(_SLOTS)}",
                    source=source,
                )
        situations.append(
            Situation(
                id=entry.id,
                categories=frozenset(entry.categories),
                patterns=_compile(entry.patterns, source),
                any_pattern=_compile(("|".join(f"(?:{p})" for p in entry.patterns),), source)[0]
                if entry.patterns
                else None,
                templates=entry.templates,
            )
        )
    if situations[-1].categories or situations[-1].patterns:
        raise FormatError(
            "the last situation must match any cue (no categories, no patterns)", source=source
        )
    return SuggestionRules(
        name=found.schema_,
        feelings={k.lower(): v for k, v in found.feelings.items()},
        situations=tuple(situations),
    )


DEFAULT_SUGGESTIONS: SuggestionRules = load_suggestions()
"""The shipped English suggestion rules, compiled once when the engine is imported."""


_NEGATION = re.compile(
    r"\b(?:no|not|never|without|don't|haven't|hasn't|didn't|isn't|wasn't|any)\b[^.?!,]{0,12}$",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    r"\bmy,? (?:(?:late|poor) )?((?:\w+'s )?(?:dad|father|mum|mom|mother|brother|sister|husband|wife|partner|"
    r"son|daughter|friend|uncle|aunt|auntie|grandad|grandfather|grandma|grandmother|nan|cousin|"
    r"neighbour|neighbor|boyfriend|girlfriend|baby))\b",
    re.IGNORECASE,
)
_PICKED_UP = re.compile(
    r"^my,? ((?:\w+'s )?\w+),? (?:um,? |uh,? )?(?:he|she|they)(?:,? (?:he|she|they))?\b,?",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"\b(?:died|passed|killed|suicide|cancer|tumou?r|heart attack|stroke|dementia|has|had|have|"
    r"diagnosed|ill|illness|like this|the same|similar)\b",
    re.IGNORECASE,
)
_DISLOCATED = re.compile(r"^(your [\w']+(?: [\w']+)?) (?:he|she|they) ", re.IGNORECASE)
_WORRY = re.compile(
    r"\b(?:worried|worrying|scared|afraid|frightened|concerned|anxious|nervous|terrified),?\s+"
    r"(that|about|of|if|whether|it's|it)\s+([^,;.?!]+)",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"\b(?:is it|is this|could it be|might it be|could this be|do you think it's|do you think it is|"
    r"what if it's|what if it is)\s+(.+)$",
    re.IGNORECASE,
)
_STOP_AT = re.compile(r"\s+(?:or|and|because|'cause|but|like|so|which)\b.*$", re.IGNORECASE)
_ENDS_BADLY = frozenset(
    {
        "a",
        "an",
        "the",
        "to",
        "of",
        "and",
        "or",
        "my",
        "your",
        "is",
        "it",
        "that",
        "with",
        "for",
        "in",
        "on",
        "at",
        "about",
        "be",
        "been",
        "something",
        "anything",
        "like",
        "very",
        "really",
        "just",
        "getting",
        "bit",
        "though",
        "then",
        "actually",
        "anyway",
        "won't",
        "can't",
        "don't",
        "will",
        "would",
        "can",
        "could",
        "should",
        "have",
        "has",
        "had",
        "am",
        "are",
        "was",
        "were",
        "i",
        "you",
        "he",
        "she",
        "they",
        "we",
    }
)
_REPAIR_ONLY = 2  # a turn with fewer words than this outside its repair talk holds no cue


def _sentence(texts: Sequence[str], pattern: re.Pattern[str]) -> tuple[str, str] | None:
    """The sentence and matched words of the first un-negated match of `pattern` in `texts`."""
    for text in texts:
        for match in pattern.finditer(text):
            if _NEGATION.search(text[: match.start()]):
                continue
            return clause_at(text, match.start()), match.group(0)
    return None


_NOT_ANCHORS = frozenset(
    {
        "i",
        "i'm",
        "i've",
        "i'd",
        "me",
        "my",
        "the",
        "and",
        "but",
        "not",
        "been",
        "that",
        "this",
        "it",
        "it's",
        "to",
        "of",
        "a",
        "an",
        "is",
        "was",
        "so",
        "or",
        "because",
        "about",
        "with",
        "for",
        "if",
        "really",
        "very",
        "quite",
        "bit",
        "just",
        "can't",
        "cannot",
        "don't",
        "am",
        "are",
        "be",
        "like",
    }
)


def _anchor_word(matched: str) -> str | None:
    """The word of a cue match that the echo must hold: its last meaningful word ("bad")."""
    words = [
        w
        for w in re.findall(r"[A-Za-z'-]+", matched.lower())
        if w not in _NOT_ANCHORS and len(w) >= 3
    ]
    return words[-1] if words else None


def _short(phrase: str, max_words: int) -> str | None:
    phrase = _STOP_AT.sub("", clean_words(phrase).strip(" .?!,"))
    words = phrase.split()[:max_words]
    while words and words[-1].lower() in _ENDS_BADLY:
        words.pop()
    return " ".join(words) if words else None


def _feeling(texts: Sequence[str], cue: Cue, lead: str, rules: SuggestionRules) -> str | None:
    """The feeling named in the cue ("worried" -> "you're worried"), past tense kept."""
    spans = [lead[s:e] for s, e in cue.evidence if e <= len(lead)] or list(texts)
    for span in spans:
        lowered = span.lower()
        for word, clause in sorted(rules.feelings.items(), key=lambda kv: -len(kv[0])):
            found = re.search(rf"\b{re.escape(word)}\b", lowered)
            if not found:
                continue
            before = lowered[: found.start()]
            if clause.startswith("you're ") and re.search(
                r"\b(?:i|we) (?:was|were)\b[^.?!]{0,25}$", before
            ):
                return "you were " + clause.removeprefix("you're ")
            return clause
    return None


def _unfilled(sentence: str) -> str:
    """The sentence without fillers and repeats, commas kept (they end a worry's topic)."""
    return " ".join(clean_words(piece) + "," for piece in sentence.split(",")).rstrip(",")


def _worry(sentence: str) -> str | None:
    """What the worry is about, with its link word: "that it's getting worse"."""
    found = _WORRY.search(_unfilled(sentence))
    if not found:
        return None
    link, rest = found.group(1).lower(), found.group(2)
    if rest.lower().startswith("if ") or (link == "that" and rest.lower().startswith("if")):
        return None  # "worried that if I get sick I won't...": a condition without its clause
    body = _short(rest, 9)
    if body is None or len(body.split()) < 1:
        return None
    turned = second_person_clause(body)
    if turned is None:
        return None
    if link in {"it's", "it"}:
        return f"that {link} {turned}"
    if link == "whether":
        link = "about whether"
    return f"{link} {turned}"


def _question(texts: Sequence[str]) -> str | None:
    """What the patient asks it might be ("is it something dangerous?" -> "something dangerous")."""
    for text in texts:
        for sentence in re.split(r"(?<=[.?!])\s+", text):
            found = _QUESTION.search(clean_words(sentence))
            if not found:
                continue
            body = _short(found.group(1), 6)
            if body is None:
                continue
            turned = second_person_clause(body)
            if (
                turned
                and not re.match(r"^(?:it|this|that|like|is)\b", turned, re.IGNORECASE)
                and not re.search(
                    r"\b(?:worried|worry|concerned|should|need)\b", turned, re.IGNORECASE
                )
            ):
                return turned
    return None


def _relative_event(texts: Sequence[str]) -> tuple[str | None, str | None]:
    """Who the life event is about ("your father") and the event as a clause."""
    for text in texts:
        found = _RELATIVE.search(text.replace("\u2019", "'"))
        if not found:
            continue
        relative = "your " + found.group(1).lower()
        sentence = clause_at(text, found.start())
        at = sentence.lower().replace("\u2019", "'").find(found.group(0).lower())
        from_relative = _PICKED_UP.sub(r"my \1 ", sentence[max(at, 0) :])
        event = spoken_back(from_relative, None, max_words=12)
        if event is not None and not _EVENT.search(event):
            event = None
        if event is not None:
            event = _DISLOCATED.sub(r"\1 ", event)
            if not event.lower().startswith("your ") or echo_problems(event):
                event = None
        return relative, event
    return None, None


_REPAIR = re.compile(
    r"\byou (?:broke|keep breaking|are breaking|cut|keep cutting) (?:up|out)\b|"
    r"\b(?:can|could) you (?:say|repeat) (?:that|it) again\b|\bsay (?:that|it) again\b|"
    r"\bsorry,? what\b|\bpardon\b|\bi (?:can't|cannot|couldn't) hear you\b|\byou(?:'re| are) muted\b",
    re.IGNORECASE,
)


def _is_repair(texts: Sequence[str], vrcodes: VRCodesRules) -> bool:
    """True when the cue's words are all repair talk or politeness ("Sorry, I didn't catch that").

    The not-cue patterns of vrcodes.v1.yaml, and a few more ways a line drops ("you broke up").
    """
    for text in texts:
        form = _REPAIR.sub(" ", text.lower().replace("\u2019", "'"))
        for pattern in vrcodes.not_cue:
            form = pattern.sub(" ", form)
        words = [
            w
            for w in re.findall(r"[a-z']+", form)
            if w
            not in {
                "um",
                "uh",
                "sorry",
                "yeah",
                "okay",
                "ok",
                "so",
                "oh",
                "thanks",
                "thank",
                "you",
                "pardon",
                "what",
                "again",
            }
        ]
        if len(words) >= _REPAIR_ONLY:
            return False
    return True


def _slots(
    cue: Cue,
    texts: Sequence[str],
    lead: str,
    situation: Situation,
    rules: SuggestionRules,
) -> dict[str, str]:
    """Every slot the cue can fill for this situation, each a clean, second-person phrase."""
    slots: dict[str, str] = {}
    located = _sentence(texts, situation.any_pattern) if situation.any_pattern else None
    if located is None and cue.evidence and cue.evidence[0][1] <= len(lead):
        start, end = cue.evidence[0]
        located = clause_at(lead, start), lead[start:end]
    sentence, matched = located if located else (lead, "")
    anchor = _anchor_word(matched)
    echo = spoken_back(sentence, anchor) if matched else None
    if echo is None and matched:
        echo = spoken_back(sentence, None, max_words=10)
        if echo is not None and anchor and anchor not in echo.lower():
            echo = None
    if echo:
        slots["echo"] = echo
    feeling = _feeling(texts, cue, lead, rules)
    if feeling:
        slots["feeling"] = feeling
    worry = _worry(sentence) or next((w for t in texts if (w := _worry(t))), None)
    if worry and feeling and feeling.startswith(("you're", "you were")):
        slots["worry"] = worry
    question = _question(texts)
    if question:
        slots["question"] = question
    relative, event = _relative_event(texts)
    if relative:
        slots["relative"] = relative
    if event:
        slots["event"] = event
    return slots


def _matches(situation: Situation, cue: Cue, texts: Sequence[str]) -> bool:
    in_category = cue.category in situation.categories
    by_pattern = situation.any_pattern is not None and _sentence(texts, situation.any_pattern)
    if situation.categories and situation.patterns:
        return bool(in_category or by_pattern)
    if situation.categories:
        return in_category
    if situation.patterns:
        return bool(by_pattern)
    return True


_RANKS = {"event": 4, "worry": 3, "question": 3, "relative": 3, "echo": 2, "feeling": 1}


def _rank(template: str) -> int:
    """How much of the patient's own words a template carries: the most specific slot wins."""
    return max((_RANKS[slot] for slot in _slots_of(template)), default=0)


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    return text[0].upper() + text[1:] if text else text


@dataclass(frozen=True)
class Suggestion:
    """A suggested reply and why it reads as it does (for tests and the benchmark)."""

    text: str
    situation: str
    slots: Mapping[str, str]


def suggestion_for(
    cue: Cue,
    texts: Sequence[str],
    *,
    lead_text: str | None = None,
    rules: SuggestionRules = DEFAULT_SUGGESTIONS,
    vrcodes: VRCodesRules = DEFAULT_VRCODES,
) -> Suggestion | None:
    """The suggested reply for one cue, its situation and the patient's words it uses.

    Args:
        cue: the lead cue of the opportunity.
        texts: the words of every patient turn of the cue, in order.
        lead_text: the text of the turn the cue was found in (its evidence offsets point into
            it); the first of `texts` when not given.
        rules: the compiled suggestion rules.
        vrcodes: what is not a cue (repair talk and politeness get no suggestion).

    Returns:
        None for repair talk, politeness, or a cue with no rule evidence (nothing the patient
        said to answer); else the suggestion.
    """
    texts = [t for t in texts if t.strip()]
    lead = lead_text if lead_text is not None else (texts[0] if texts else "")
    if not texts or _is_repair(texts, vrcodes):
        return None
    if not cue.evidence and cue.category != "nonverbal":
        return None  # no words of the patient's to answer (a model-only cue)
    seed = zlib.crc32(" ".join(clean_words(t).lower() for t in texts).encode("utf-8"))
    for situation in rules.situations:
        if not _matches(situation, cue, texts):
            continue
        slots = _slots(cue, texts, lead, situation, rules)
        usable = [t for t in situation.templates if _slots_of(t) <= set(slots)]
        if not usable:
            continue
        rank = max(_rank(t) for t in usable)
        preferred = [t for t in usable if _rank(t) == rank]
        template = preferred[(seed + zlib.crc32(situation.id.encode())) % len(preferred)]
        used = {name: slots[name] for name in _slots_of(template)}
        return Suggestion(text=_tidy(template.format(**used)), situation=situation.id, slots=used)
    return None


def suggest(
    cue: Cue,
    rules: RuleSet,
    *,
    turn_index: int,
    texts: Sequence[str] = (),
    lead_text: str | None = None,
    suggestion_rules: SuggestionRules = DEFAULT_SUGGESTIONS,
) -> str | None:
    """A plain-words reply fitted to the cue's situation, or None where none is due.

    Example: for "I'm a bit worried it's just getting worse" the suggestion may read "It sounds
    like you're worried that it's getting worse. What worries you most about it?"; for
    "Sorry, I didn't catch that" there is none.

    `rules` and `turn_index` are kept for callers of the v1 signature; the phrasing now depends on
    the cue's words, not its turn number. Without `texts` there are no words to answer: None.
    """
    del rules, turn_index
    found = (
        suggestion_for(cue, texts, lead_text=lead_text, rules=suggestion_rules) if texts else None
    )
    return found.text if found else None
