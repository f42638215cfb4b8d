"""MITI-style question and reflection codes of a clinician turn, by transparent rules.

No labelled MI corpus can be shared, so these rules were written against the development half
of the hand-labelled gold set (`data/gold/mi/`, see GUIDE.md) and are measured on its held-out
half. Turn-level conventions follow the guide: the *last* question in a turn decides its type (it
is the one the patient is left to answer), and a turn is a reflection when any statement in it
restates what the patient said (complex when it adds feeling, meaning or emphasis).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bedside.model.labels import MICode

__all__ = ["MIRules"]

_SENTENCE = re.compile(r"[^.?!]+[.?!]*")
_FILLER = re.compile(
    r"^(?:(?:um+|uh+|er+|erm|mm+|so|and|but|okay|ok|right|alright|all right|well|now|yeah|sure|"
    r"fine|great|just|then|sorry|oh+|ah+|i see)\b[\s,]*)+",
    re.IGNORECASE,
)
_OPEN_START = re.compile(
    r"^(?:why\b|how\b(?!\s+(?:long|much|many|often|far|old|big|bad|severe|soon|frequently)\b)|"
    r"what\s+(?:happen|kind of (?:things|stuff)|do you (?:think|feel|mean|make|know|do about|"
    r"understand)|does that|brings|else|about|would|worries|concerns|are your (?:thoughts|"
    r"concerns|worries)|is your (?:main|biggest) (?:concern|worry))|"
    r"in what way|tell me|describe|explain|talk me through|walk me through)",
    re.IGNORECASE,
)
_OPEN_REQUEST = re.compile(
    r"\b(?:can|could|would|will) you (?:please )?(?:tell me|describe|explain|talk me through|"
    r"say (?:a bit )?more)|\bif you (?:can|could) tell me|\btell me (?:a bit |a little )?(?:more )?"
    r"about\b|\bgo on\b(?=.*\?)",
    re.IGNORECASE,
)
_GREETING = re.compile(r"^(?:hello|hi|hiya|hey)\W*$", re.IGNORECASE)
_TAG = re.compile(
    r"^(?:(?:is )?that (?:right|correct)|yeah|yes|right|ok|okay|isn't it|is it|aren't you|"
    r"don't you|didn't you|no)\W*$",
    re.IGNORECASE,
)
_REFLECT = re.compile(
    r"\byou(?:'ve| have)? (?:mentioned|said|told me)\b|\bsounds like\b|\bit sounds (?:like|as)\b|"
    r"\b(?:it )?seems like\b|\bif i understand\b|\bto summari[sz]e\b|\bwhat i'm hearing\b|"
    r"\bi can see (?:your|you|that you)\b|\bi know (?:you're|you are|that was)\b|"
    r"^so,? you(?:'re| are|'ve| have| can| don't| do not)\b|^you(?:'re| are|'ve| have)? "
    r"(?:still |also |just )?(?:having|been|feeling|using|worried|tried)\b|"
    r"\bthere's a lot of\b|\bso (?:last|for the last|over the)\b",
    re.IGNORECASE,
)
_ADDED = re.compile(r"\b(?:a lot of|must be|hard for you|on top of|quite (?:a|severe))\b", re.IGNORECASE)
"""Phrases that add emphasis or inference whatever the patient said."""
_FEELING = re.compile(
    r"\b(worr|concern|stress|frustrat|scar|upset|tough|difficult|overwhelm|severe|anxi|afraid|"
    r"fed up|struggl|sad|angry|embarrass|lonel|exhaust)\w*",
    re.IGNORECASE,
)
"""Feeling words: a reflection that names a feeling the patient did not name adds meaning."""
_NOT_REFLECT = re.compile(
    r"\b(?:i(?:'m| am) (?:going|gonna)|i'll|we'll|we will|i would like|i'd like|i want you|"
    r"i think (?:you|it|probably)|i'd recommend|you need to|you should|you might|you can)\b",
    re.IGNORECASE,
)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if re.search(r"\w", s)]


def _core(sentence: str) -> str:
    return _FILLER.sub("", sentence.strip(" ,")).strip()


class MIRules:
    """Rule-based MI coder; stateless, so one instance may be shared between threads."""

    def code(self, context: str, response: str) -> MICode:
        """Question type and reflection type of one clinician turn."""
        sentences = _sentences(response)
        return MICode(
            question=self._question(sentences), reflection=self._reflection(sentences, context)
        )

    def code_batch(self, contexts: Sequence[str], responses: Sequence[str]) -> list[MICode]:
        """`code` for each (context, response) pair."""
        return [self.code(c, r) for c, r in zip(contexts, responses, strict=True)]

    @staticmethod
    def _question(sentences: list[str]) -> str | None:
        last: str | None = None
        for sentence in sentences:
            core = _core(sentence)
            if sentence.endswith("?"):
                if _GREETING.match(core):
                    continue
                last = "open" if _OPEN_START.match(core) or _OPEN_REQUEST.search(sentence) else "closed"
            elif _OPEN_REQUEST.search(sentence) or re.match(r"^(?:tell me|describe)\b", core, re.I):
                last = "open"
        return last

    @staticmethod
    def _reflection(sentences: list[str], context: str) -> str | None:
        found: str | None = None
        for sentence in sentences:
            core = _core(sentence)
            if _TAG.match(core) or _NOT_REFLECT.search(core):
                continue
            if sentence.endswith("?") and not re.search(
                r",\s*(?:yeah|right|ok|okay|isn't it|is that right)\?$", sentence, re.I
            ):
                continue
            if _REFLECT.search(core):
                if _ADDED.search(core) or any(
                    stem.lower() not in context.lower() for stem in _FEELING.findall(core)
                ):
                    return "complex"
                found = "simple"
        return found
