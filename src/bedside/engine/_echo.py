"""The patient's own words, cleaned and turned round, for a suggested reply to echo back.

Spoken transcripts are full of hesitations, false starts and cut-offs ("I'm, I'm a bit worried
it's just getting worse", "worried about losing-"). Echoed as they are, they read as a broken
sentence; a trainer would never say "I can hear you're worried about anything". This module
takes one clause of the patient's turn, strips the disfluencies, checks that it is a whole clause,
and turns first person into second ("I've been really stressed at work" -> "you've been really
stressed at work"). There is no parser (spaCy is not installed): the rules are small, work on
tokens, and each is tested on real PriMock57 turns. When a clause cannot be made whole, the
functions return None and the suggestion uses a template without an echo.

`echo_problems` is the checker the benchmark and the tests use: it names what would make a
suggestion's echo ungrammatical (a cut-off word, a filler, a repeated word, "you was", a stray
"my" inside the echo, "worried about anything").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bedside.engine._text import PRONOUN_SWAPS

__all__ = [
    "clause_at",
    "clean_words",
    "echo_problems",
    "second_person_clause",
    "spoken_back",
    "subject_clause",
]

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-"})
_FILLER_WORDS = frozenset(
    {
        "um",
        "uh",
        "umm",
        "uhm",
        "erm",
        "er",
        "ehm",
        "hmm",
        "mm",
        "mmm",
        "aye",
        "yeah",
        "yep",
        "oh",
        "ohh",
    }
)
_FILLER_PHRASES = re.compile(
    r"\b(?:you know|i mean|kind of|sort of|kinda|sorta|to be honest|basically|actually)\b",
    re.IGNORECASE,
)
# "like" as a filler: after a comma or at the start, before a comma, or doubled ("like, like").
_FILLER_LIKE = re.compile(
    r"(?:^|(?<=[,.;]))\s*like\b,?|\blike,|\blike(?=\s+(?:like|really|super|very|so)\b)",
    re.IGNORECASE,
)
# "I'm like worried": "like" as a filler before a describing word.
_LIKE_BEFORE_WORD = re.compile(
    r"\b(?:(?<=i'm)|(?<=i am)|(?<=i've)|(?<=been)|(?<=just)|(?<=really)|(?<=so)|(?<=super)|(?<=was)|(?<=it's))"
    r" like\b(?! (?:a|an|the|this|that|someone|something|it|i|you|he|she|they|my)\b)",
    re.IGNORECASE,
)
_LIKE_AFTER_LINK = re.compile(r"\b(and|but|so|or|then) like\b,?", re.IGNORECASE)
_REALLY_REALLY = re.compile(r"\b(really|very|so),? \1\b", re.IGNORECASE)
# "I hope it go away": the patient's slip is not echoed back.
_THIRD_PERSON = re.compile(
    r"\b(it|he|she) (go|get|come|stop|clear|settle)\b(?! (?:to|and)\b)", re.IGNORECASE
)
_THIRD_FORMS = {"go": "goes"}
_PERFECT_SLIP = re.compile(
    r"\b(i|we)('ve| have) (woke|went|came|ate|took|saw|did|fell)\b", re.IGNORECASE
)
_GONNA = re.compile(r"\b(?:gonna|wanna|gotta)\b", re.IGNORECASE)
_ABOUT_MAYBE = re.compile(r"\babout,? maybe\b", re.IGNORECASE)
# Where a patient breaks off and starts again ("that it's, you know, it's talk about").
_RESTART = re.compile(r",?\s*\b(?:you know|i mean)\b,?", re.IGNORECASE)
_STARTERS = frozenset(
    {
        "i",
        "i'm",
        "am",
        "it's",
        "it",
        "so",
        "and",
        "but",
        "is",
        "was",
        "that",
        "the",
        "my",
        "we",
        "he",
        "she",
        "they",
        "there",
        "this",
        "that's",
        "no",
        "yeah",
        "uh",
        "um",
        "i've",
        "a",
    }
)
_HEDGE = re.compile(
    r"^(?:i (?:guess|think|suppose|remember|reckon|know)|i feel like|to be honest)\s+(?=(?:i|i'm|i've|it|it's|my|that)\b)",
    re.IGNORECASE,
)
_SUBJECT_WORDS = frozenset(
    {
        "i",
        "i'm",
        "i've",
        "i'd",
        "i'll",
        "it",
        "it's",
        "this",
        "that's",
        "there's",
        "my",
        "we",
        "we're",
        "we've",
        "he",
        "she",
        "they",
        "he's",
        "she's",
        "they're",
        "work",
        "things",
        "everything",
        "nothing",
        "life",
        "that",
    }
)
_NOUN_IS = re.compile(r"^(?!what's|let's|who's|how's|where's)[a-z]+'s$")
_CONJUNCTIONS = frozenset(
    {"and", "but", "so", "because", "'cause", "cause", "then", "or", "though", "although"}
)
_CUT_WORDS = frozenset(
    {"because", "'cause", "cause", "but", "so", "which", "although", "though", "whereas", "or"}
)
_CONTINUATIONS = frozenset(
    {
        "for",
        "at",
        "in",
        "with",
        "on",
        "of",
        "to",
        "about",
        "from",
        "since",
        "every",
        "all",
        "when",
        "during",
        "after",
        "before",
        "until",
        "just",
        "especially",
        "even",
    }
)
_SENTENCE = re.compile(r"(?<=[.?!])\s+|\s*//\s*")
_LEADING = frozenset(
    {
        "so",
        "and",
        "but",
        "yeah",
        "yes",
        "well",
        "ok",
        "okay",
        "no",
        "oh",
        "right",
        "then",
        "also",
        "because",
        "'cause",
        "cause",
    }
)
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
        "'cause",
        "that",
        "is",
        "it's",
        "through",
        "over",
        "across",
        "around",
        "also",
        "onto",
        "whether",
        "gonna",
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
        "were",
        "has",
        "had",
        "have",
        "been",
        "would",
        "will",
        "like",
        "very",
        "really",
        "quite",
        "just",
        "some",
        "any",
        "this",
        "those",
        "these",
        "from",
        "by",
        "into",
        "i'm",
        "you're",
        "i've",
        "you've",
        "am",
        "not",
        "do",
        "don't",
        "did",
        "didn't",
        "could",
        "should",
        "can",
        "get",
        "getting",
        "go",
        "going",
        "more",
        "bit",
        "little",
        "such",
        "though",
        "then",
        "anyway",
        "now",
        "won't",
        "wouldn't",
        "couldn't",
        "haven't",
        "hasn't",
        "isn't",
        "wasn't",
        "there",
        "he",
        "she",
        "they",
        "we",
        "admit",
        "say",
        "tell",
        "want",
        "need",
        "think",
        "make",
        "take",
        "know",
    }
)
_CUT_AT = re.compile(
    r",?\s+\b(?:because|'cause|cause|but|so|and then|which|although|though|whereas|or|that if)\b\s+",
    re.IGNORECASE,
)
_SUBJECTS = re.compile(
    r"^(?:you(?:'re|'ve|'d|'ll)?|it(?:'s)?|this|that(?:'s)?|there(?:'s| is| are)|he(?:'s)?|"
    r"she(?:'s)?|they(?:'re|'ve)?|your \w+(?:'s \w+)?|(?:the )?\w+'s|work|everything|things)(?=\s|$)",
    re.IGNORECASE,
)
# The shared pronoun turns, but "was" only after "I" (handled where the clause is turned).
_SWAPS = {word: turned for word, turned in PRONOUN_SWAPS.items() if word != "was"}
# "my friend's mum, she recently died": the pronoun that picks up a fronted person goes.
_RESUMPTIVE = re.compile(r"^((?:my|your) [\w']+(?: [\w']+)?) (?:he|she|they) ", re.IGNORECASE)
# Words a trainer would not say back, even when the patient used them.
_COARSE = re.compile(r"\b(?:shit\w*|crap\w*|fuck\w*|bloody|bugger\w*|piss\w*)\b", re.IGNORECASE)
_ALREADY_SECOND = re.compile(r"\b(?:you|your|you're|you've|yourself)\b", re.IGNORECASE)


def _tokens(text: str) -> list[str]:
    return text.translate(_QUOTES).split()


def _is_false_start(piece: str) -> bool:
    """A comma piece that only starts a sentence the patient then restarts ("I am, I can't")."""
    words = [w.lower() for w in piece.split() if w.lower() not in _FILLER_WORDS]
    return (
        0 < len(words) <= 2 and all(w in _STARTERS for w in words) and words[0] not in _CONJUNCTIONS
    )


def _opens_clause(piece: str) -> bool:
    words = [w.lower() for w in piece.split() if w.lower() not in _FILLER_WORDS]
    return bool(words) and words[0] in _SUBJECT_WORDS


def clean_words(text: str, *, mark_restarts: bool = False, keep_commas: bool = False) -> str:
    """A stretch of speech without hesitations, false starts, repeats and cut-off words.

    Examples (PriMock57): "I'm, I'm a bit worried" -> "I'm a bit worried"; "I I have to take
    like showers" -> "I have to take showers"; "worried about losing- you're worried" -> "worried
    about you're worried" is never produced: the cut-off word and the words before it in the same
    false start are dropped ("about losing-" goes, the restart is kept).

    Commas inside a clause are pauses in these transcripts ("I haven't been feeling well, for,
    a good few days"), so they are removed once repeats across them have been found.
    """
    text = text.translate(_QUOTES)
    text = _RESTART.sub(" | ", text) if mark_restarts else text
    text = _FILLER_PHRASES.sub(" ", text)
    text = _FILLER_LIKE.sub(" ", text)
    text = _LIKE_BEFORE_WORD.sub(" ", text)
    text = _ABOUT_MAYBE.sub("maybe", text)
    text = _LIKE_AFTER_LINK.sub(r"\1", text)
    text = _REALLY_REALLY.sub(r"\1", text)
    text = _THIRD_PERSON.sub(
        lambda m: f"{m.group(1)} {_THIRD_FORMS.get(m.group(2).lower(), m.group(2) + 's')}", text
    )
    text = _PERFECT_SLIP.sub(r"\1 \3", text)
    text = _GONNA.sub(
        lambda m: {"gonna": "going to", "wanna": "want to", "gotta": "have to"}[m.group(0).lower()],
        text,
    )
    if "," in text:
        pieces = text.split(",")
        text = ",".join(
            p
            for k, p in enumerate(pieces)
            if not (_is_false_start(p) and k + 1 < len(pieces) and _opens_clause(pieces[k + 1]))
        )
    words: list[str] = []
    for raw in text.split():
        bare = raw.strip(",;:").lower()
        if not bare or bare.strip(".,;:-") in _FILLER_WORDS:
            continue
        if raw.rstrip(",;:").endswith("-") and not raw.rstrip(",;:").endswith("--"):
            # A cut-off: drop it and the unfinished words of its false start back to a comma.
            while words and not words[-1].endswith(","):
                words.pop()
            continue
        words.append(raw)
    # Repeats: "my, my father", "I I", "it's, it's", "wee bit, wee bit" (up to three words).
    changed = True
    while changed:
        changed = False
        plain = [w.strip(",;:").lower() for w in words]
        for size in (3, 2, 1):
            for i in range(len(words) - 2 * size + 1):
                if plain[i : i + size] == plain[i + size : i + 2 * size] and plain[i] not in {
                    "really",
                    "very",
                    "so",
                    "far",
                }:
                    del words[i : i + size]
                    changed = True
                    break
            if changed:
                break
    if keep_commas:
        return " ".join(words).strip(" |")
    return " ".join(w.replace(",", "") for w in words if w.replace(",", "")).strip(" |")


def clause_at(text: str, position: int) -> str:
    """The sentence of `text` that holds character `position` (a cue's evidence start)."""
    text = text.translate(_QUOTES)
    start = 0
    for piece in _SENTENCE.finditer(text):
        if piece.start() >= position:
            return text[start : piece.start()]
        start = piece.end()
    return text[start:]


def _bare(token: str) -> str:
    return token.strip(",;:.?!").lower()


def _is_subject(token: str) -> bool:
    bare = _bare(token)
    return bare in _SUBJECT_WORDS or bool(_NOUN_IS.match(bare))


def _clause_initial(tokens: Sequence[str], i: int) -> bool:
    if i == 0:
        return True
    before = tokens[i - 1]
    return before == "|" or before.endswith((",", ";", ":")) or _bare(before) in _CONJUNCTIONS


def subject_clause(sentence: str, anchor: str | None = None, *, max_words: int = 14) -> str | None:
    """A whole clause with a subject, cut from a patient's sentence, or None.

    The clause starts at the nearest subject before `anchor` (a word of the cue, "stressed") that
    opens a clause (sentence start, after a comma or a conjunction), and runs to the next
    conjunction ("because", "but", "so"), restart or a comma that is not followed by a
    continuation ("for", "at", "when"), at most `max_words` words, never ending on a word that
    needs more after it ("to", "the", "about").

    Example: "Um, so basically, I've been really stressed at work for the past few days" gives
    "I've been really stressed at work for the past few days"; "I'll try to, and drink, drink
    plenty of fluid and I hope it go away" with the anchor "hope" gives "I hope it go away".
    """
    tokens = clean_words(sentence, mark_restarts=True, keep_commas=True).split()
    if not tokens:
        return None
    if anchor:
        needle = anchor.lower()
        at = next((i for i, t in enumerate(tokens) if needle in t.lower()), None)
        if at is None:
            return None
    else:
        at = next((i for i, t in enumerate(tokens) if _is_subject(t)), 0)
    start = None
    for i in range(at, -1, -1):
        if tokens[i] == "|" or (i < at and _bare(tokens[i]) in _CUT_WORDS):
            break
        if _is_subject(tokens[i]) and _clause_initial(tokens, i):
            start = i
            break
    if start is None:
        return None
    end = at + 1
    while end < len(tokens):
        token = tokens[end]
        if token == "|" or _bare(token) in _CUT_WORDS:
            break
        if tokens[end - 1].endswith((",", ";", ":")) and _bare(token) not in _CONTINUATIONS:
            break
        end += 1
    words = [
        w
        if w.endswith(",")
        and k + 1 < end
        and _bare(tokens[k + 1]) in {"just", "especially", "even"}
        else w.strip(",;:")
        for k, w in enumerate(tokens[start:end], start=start)
        if w != "|"
    ]
    words = [w for w in words if w]
    words = _HEDGE.sub("", " ".join(words)).split()
    if len(words) > max_words:
        words = words[: max(max_words, at - start + 1)]
    while words and _bare(words[-1]) in _DANGLING:
        words.pop()
    if len(words) < 2:
        return None
    clause = " ".join(words).strip(" .,?!")
    if anchor and anchor.lower() not in clause.lower():
        return None
    return clause


def second_person_clause(clause: str) -> str | None:
    """The patient's clause spoken back to them, or None when it cannot be done cleanly.

    "I've been really stressed at work" -> "you've been really stressed at work"; "my friend's
    mum died" -> "your friend's mum died"; "I was so worried" -> "you were so worried" ("was"
    becomes "were" only after "I", with up to two adverbs between: "I really was"). A clause
    that already speaks of "you" ("you can look online") is the generic you and is not echoed.
    """
    tokens = _tokens(clause)
    if not tokens or _ALREADY_SECOND.search(clause):
        return None
    out: list[str] = []
    subject_i = -10
    for position, token in enumerate(tokens):
        bare = token.strip(",;:.?!").lower()
        if bare in {"i", "we"}:
            subject_i = position
        if bare == "was":
            out.append(token.lower().replace("was", "were") if position - subject_i <= 3 else token)
            continue
        if bare in {"wasn't"}:
            out.append("weren't" if position - subject_i <= 3 else token)
            continue
        swapped = _SWAPS.get(bare)
        out.append(token.lower().replace(bare, swapped) if swapped else token)
    text = " ".join(out)
    return text[0].lower() + text[1:]


def spoken_back(sentence: str, anchor: str | None = None, *, max_words: int = 14) -> str | None:
    """`subject_clause` then `second_person_clause`, and only a clause that starts with a subject."""
    clause = subject_clause(sentence, anchor, max_words=max_words)
    if clause is None:
        return None
    turned = second_person_clause(_RESUMPTIVE.sub(r"\1 ", clause))
    if (
        turned is None
        or not _SUBJECTS.match(turned)
        or echo_problems(turned)
        or _COARSE.search(turned)
    ):
        return None
    return turned


_PROBLEMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cut-off word", re.compile(r"\b\w+-(?=[\s,.?!;]|$)")),
    ("filler", re.compile(r"\b(?:um+|uh+|uhm|erm|er|ehm)\b", re.IGNORECASE)),
    (
        "repeated word",
        re.compile(r"\b(?!(?:really|very|so|that|had)\b)(\w+(?:'\w+)?),? \1\b", re.IGNORECASE),
    ),
    (
        "person agreement",
        re.compile(
            r"\byou (?:am|was|is|has|wasn't|isn't|hasn't)\b|\bi (?:are|is)\b", re.IGNORECASE
        ),
    ),
    (
        "empty worry",
        re.compile(
            r"\b(?:worried|concerned|scared|afraid|worry|frustrated|anxious) (?:about |of |that )?(?:anything|nothing)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "first person in echo",
        re.compile(
            r"\b(?:you said|you mentioned|you told me|sounds like|sounds as if|you're worried|you've been|you were|you're)\b"
            r"[^.?!;]*?\b(?:i|i'm|i've|my|myself|mine)\b(?! (?:can|could|would|'d|will|'ll|might|wonder|think|hear|see|imagine|understand|ask|answer)\b)",
            re.IGNORECASE,
        ),
    ),
    (
        "sentence cut short",
        re.compile(
            r"\b(?:worried|scared|afraid|frustrated|concerned|anxious)\s+(?:about|that|of|if)\s+"
            r"(?:[\w']+\s+){0,6}?(?:is|are|was|were|has|have|had|would|will|can|could|to|the|a|an|"
            r"of|for|with|and|but|just|actually|really|some|it's|kind|sort)(?=[.?!,;]|\s+(?:is|what|can|tell|that's)\b)",
            re.IGNORECASE,
        ),
    ),
    (
        "dangling word",
        re.compile(
            r"\b(?:the|a|an|and|my|your|because|but|or|than|if|that's|to)\s*[.?!;]", re.IGNORECASE
        ),
    ),
    (
        "echo without a subject",
        re.compile(
            r"\b(?:you said|you mentioned|you told me)\s+(?!(?:you|your|you're|you've|you'd|you'll|it|"
            r"it's|that|that's|this|these|there|there's|he|she|they|he's|she's|they're|the|things|work|"
            r"everything|nothing|[a-z]+'s)\b)[a-z]+",
            re.IGNORECASE,
        ),
    ),
    ("lower-case i", re.compile(r"(?<![\w'])i(?![\w'])|\bi'(?:m|ve|d|ll)\b")),
    ("broken punctuation", re.compile(r"\s[,.?!]|[,.]{2,}|,[.?!]|  ")),
)


def echo_problems(text: str) -> tuple[str, ...]:
    """What makes a suggested reply's echo of the patient ungrammatical; empty when none.

    Examples: "worried about losing- you're worried about losing your freedom" -> ("cut-off
    word",); "I can hear you're worried about anything" -> ("empty worry",); "You said you was
    scared" -> ("person agreement",).
    """
    text = text.translate(_QUOTES)
    return tuple(name for name, pattern in _PROBLEMS if pattern.search(text))
