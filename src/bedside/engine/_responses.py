"""How the clinician answered each cue, on VR-CoDES' two axes (Del Piccolo et al., PEC 2011).

A response is *explicit* when it refers to the cue's emotion or its issue and *non-explicit*
when it does not; it *provides space* when it lets the patient say more about the cue and
*reduces space* when it closes it. The nine codes of the coding manual (section B) sit on those
axes: `EP-explore`, `EP-empathy` (explicit, provide); `ER-inform`, `ER-block` (explicit, reduce);
`NP-backchannel`, `NP-info`, `NP-invite` (non-explicit, provide); `NR-switch`, `NR-ignore`
(non-explicit, reduce).

The response is the clinician's next turn(s) after the cue, up to the patient's next turn with
words. A pure backchannel ("mm-hmm") is skipped while the patient carries on the same sentence;
when the patient talks on to something new after it, the backchannel *was* the response
(`NP-backchannel`). The first clinician element decides ("I'm sorry to hear that. And how old
was he?" is `EP-empathy`), except that an explicit postponement anywhere in the response ("let's
take a good history first") makes it `ER-block`. After a reducing response, an explicit return
to the cue within the next three clinician turns is recorded as `delayed_turn`.

`response` keeps the contract's three values: `explored` for `EP-explore`, `acknowledged` for
`EP-empathy` and the `NP-` codes, `missed` for the `ER-` and `NR-` codes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Literal

from bedside.engine._clinician import ClinicianFeatures, _questions
from bedside.engine._cues import Cue
from bedside.engine._rules import RuleSet
from bedside.engine._text import (
    FILLERS,
    content_words,
    match_form,
    normalise,
    shared_words,
    words_of,
)
from bedside.engine._text import (
    is_backchannel as _is_backchannel,
)
from bedside.engine._vrcodes import DEFAULT_VRCODES, VRCodesRules
from bedside.model import EmpathyLabel, MICode, Role, Turn

__all__ = [
    "CODES",
    "CodedCue",
    "CueGroup",
    "Judgement",
    "code_responses",
    "group_cues",
    "initiative",
    "judge_response",
    "response_of_code",
    "response_window",
]

Response = Literal["explored", "acknowledged", "missed"]
CODES = (
    "EP-explore",
    "EP-empathy",
    "ER-inform",
    "ER-block",
    "NP-backchannel",
    "NP-info",
    "NP-invite",
    "NR-switch",
    "NR-ignore",
)
"""The provider-response codes of the coding manual, section B."""

_LISTENERS = (Role.PATIENT, Role.FAMILY)
_DELAY_TURNS = 3
_FRAGMENT_WORDS = 3
_FRAGMENT_CHARS = 40
_MENTION = re.compile(r"\byou (?:mentioned|said|told me|described)\b")
_REFLECTION_START = re.compile(
    r"^\W*(?:(?:okay|ok|right|and|um|uh|so|yeah|well)\W+)*(?:so|you|it's|it is|that's)\b"
)
_REFLECTION_MAX_WORDS = 20
_DANGLING = frozenset({"and", "but", "so", "the", "a", "to", "of", "with", "because", "or", "like"})
_CONJUNCTIONS = frozenset({"and", "but", "so", "because", "cause", "'cause", "or", "which", "then"})
_ANAPHOR = re.compile(r"\b(?:it|that|this|he|she|they|them|him|her)\b")
_GENERIC = frozenset(
    {
        "start",
        "started",
        "begin",
        "began",
        "long",
        "happen",
        "happened",
        "notice",
        "noticed",
        "first",
        "exactly",
        "since",
        "last",
        "time",
        "times",
        "often",
        "mean",
        "right",
        "okay",
        "tell",
        "more",
        "about",
        "now",
        "better",
        "worse",
        "still",
        "today",
    }
)


def response_of_code(code: str) -> Response:
    """The contract's `response` for a code: explored, acknowledged (EP-empathy, NP-), missed."""
    if code == "EP-explore":
        return "explored"
    return "acknowledged" if code[1] == "P" else "missed"


@dataclass(frozen=True)
class CueGroup:
    """One empathic opportunity: a cue over one or more consecutive patient turns.

    Attributes:
        turns: every turn of the cue (cue turns and the patient's turns that carry it on).
        cue: the lead cue (a concern wins over a hint).
        words: content words of the cue's evidence and topic (what an explicit response names).
        context: content words of all its turns (what a content question may pick up).
        backchannel_turn: a clinician backchannel after which the patient talked on to
            something new: the response, `NP-backchannel`.
    """

    turns: tuple[int, ...]
    cue: Cue
    words: frozenset[str]
    context: frozenset[str] = frozenset()
    backchannel_turn: int | None = None


@dataclass(frozen=True)
class Judgement:
    """The response to one opportunity on both axes, the turn that decided it, and why."""

    response: Response
    turn: int | None
    reason: str
    evidence: tuple[str, ...]
    flags: tuple[str, ...]
    code: str = "NR-ignore"
    delayed_turn: int | None = None

    @property
    def space(self) -> str:
        """`provides` for EP- and NP- codes, `reduces` for ER- and NR- codes."""
        return "provides" if self.code[1] == "P" else "reduces"

    @property
    def explicit(self) -> bool:
        """True for E- codes: the response refers to the cue's emotion or issue."""
        return self.code[0] == "E"


@lru_cache(maxsize=8192)
def is_backchannel(text: str, backchannels: frozenset[str]) -> bool:
    """`_text.is_backchannel`, remembered: the same turn is asked about several times."""
    return _is_backchannel(text, backchannels)


def _not_heard(text: str, rules: RuleSet) -> bool:
    return _not_heard_by(text, rules.not_heard)


@lru_cache(maxsize=8192)
def _not_heard_by(text: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    form = match_form(text)
    return any(pattern.search(form) for pattern in patterns)


def _fragment(text: str, rules: RuleSet) -> bool:
    """A clinician turn that does not take the floor: a backchannel, or a start broken off.

    "Mm, OK. And", "Have you been", "I'm sorry to ." (three words or fewer, no question) leave
    the patient talking; the response is what the clinician says once they have the floor.
    """
    if is_backchannel(text, rules.backchannels):
        return True
    stripped = text.strip()
    if len(stripped) > _FRAGMENT_CHARS or stripped.endswith("?"):
        return False
    words = [w for w in words_of(normalise(stripped)) if w not in FILLERS]
    return len(words) <= _FRAGMENT_WORDS and not stripped.endswith("?")


def _continues(previous: str, following: str) -> bool:
    """Whether a patient turn carries on the sentence of the one before (same cue, same floor).

    "Pain's just horrible. Just making me feel so unwell. Um" + "just want you to do something."
    is one utterance split by a listener's "Mm, OK"; "...like I have to take sick days." +
    "I need to get back to work today." starts a new one.
    """
    before = previous.strip()
    after = following.strip()
    if not before or not after:
        return False
    if before[-1] not in ".?!":
        return True
    last = before.rstrip(".?! ").split()
    if last and last[-1].lower().strip(",") in _DANGLING:
        return True  # "...when I'm bending down and." + "Know moving about..."
    first = after.split()[0].strip(",.").lower()
    return after[0].islower() or first in _CONJUNCTIONS


def response_window(
    turns: Sequence[Turn], cue_index: int, rules: RuleSet, max_turns: int
) -> list[int]:
    """Substantive clinician turns after a cue, up to the patient's next turn with words.

    "Mm-hmm" and "okay" are skipped: they neither answer nor ignore the cue. So is "Sorry, could
    you repeat that?": the clinician did not hear it, and the patient's repeat is the new cue.
    """
    window: list[int] = []
    for index in range(cue_index + 1, len(turns)):
        turn = turns[index]
        if is_backchannel(turn.text, rules.backchannels):
            continue
        if turn.role is Role.CLINICIAN and (
            _not_heard(turn.text, rules) or _fragment(turn.text, rules)
        ):
            continue
        if turn.role is Role.CLINICIAN:
            window.append(index)
            if len(window) >= max_turns:
                break
        elif turn.role in _LISTENERS and window:
            break
    return window


def _group(
    turns: Sequence[Turn],
    cues: Mapping[int, Cue],
    members: Sequence[int],
    backchannel: int | None,
    rules: RuleSet,
) -> CueGroup:
    cue_members = [cues[i] for i in members if i in cues]
    lead = next((c for c in cue_members if c.kind == "concern"), cue_members[0])
    with_topic = next((c for c in cue_members if c.bare), None)
    if with_topic is not None and lead.bare is None and with_topic.emotion == lead.emotion:
        lead = with_topic
    words: set[str] = set()
    context: set[str] = set()
    start = members[0]
    while start > 0 and (
        turns[start - 1].role in _LISTENERS or _fragment(turns[start - 1].text, rules)
    ):
        start -= 1  # the patient's whole run since the clinician last took the floor
    for index in range(start, members[-1] + 1):
        if turns[index].role in _LISTENERS:
            context |= content_words(turns[index].text)
    for index in members:
        text = turns[index].text
        cue = cues.get(index)
        if cue is None:
            continue
        for span in [text[s:e] for s, e in cue.evidence] or [text]:
            words |= content_words(span)
        if cue.bare:
            words |= content_words(cue.bare)
    return CueGroup(
        turns=tuple(members),
        cue=lead,
        words=frozenset(words),
        context=frozenset(context),
        backchannel_turn=backchannel,
    )


def group_cues(turns: Sequence[Turn], cues: Mapping[int, Cue], rules: RuleSet) -> list[CueGroup]:
    """One opportunity per cue, listing all its consecutive patient turns.

    A patient's worry is often split over several transcript segments: cue turns the clinician
    did not answer in between are one moment, not two, and a patient turn that carries on the
    sentence of a cue turn belongs to it. A clinician backchannel after which the patient talks
    on to something new closes the cue: that backchannel was the response.
    """
    groups: list[CueGroup] = []
    current: list[int] = []
    pending: int | None = None
    last_listener: int | None = None

    def close(backchannel: int | None = None) -> None:
        if current:
            groups.append(_group(turns, cues, current, backchannel, rules))
        current.clear()

    for index, turn in enumerate(turns):
        backchannel = is_backchannel(turn.text, rules.backchannels)
        if turn.role in _LISTENERS:
            if backchannel and index not in cues:
                continue
            continues = last_listener is not None and _continues(
                turns[last_listener].text, turn.text
            )
            if current and pending is not None:
                if not continues:
                    close(pending)
                pending = None
            if index in cues or (current and last_listener == current[-1] and continues):
                current.append(index)
            last_listener = index
        elif turn.role is Role.CLINICIAN:
            if backchannel:
                if current and pending is None:
                    pending = index
                continue
            if _fragment(turn.text, rules):
                continue
            if _not_heard(turn.text, rules):
                continue
            pending = None
            close()
    close(pending)
    return groups


def _grounded(
    text: str, spans: Sequence[tuple[int, int]], cue_words: frozenset[str], rules: RuleSet
) -> bool:
    """Whether the words a model label points to speak of feelings or of the cue itself."""
    pieces = [text[s:e] for s, e in spans] or [text]
    for piece in pieces:
        if not piece.strip():
            continue
        form = match_form(piece)
        if rules.empathy_grounding.search(form) or shared_words(cue_words, content_words(piece)):
            return True
    return False


def _statements(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences that are not questions: a reflection is said, not asked."""
    spans = []
    start = 0
    for index, char in enumerate(text):
        if char in ".?!" or index == len(text) - 1:
            if char != "?" and text[start : index + 1].strip():
                spans.append((start, index + 1))
            start = index + 1
    return spans or [(0, 0)]


def _questions_at(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The question sentences in which the model's exploration spans end.

    An exploration is a question; a span ending in "That must have been hard." is not one.
    """
    found = []
    for _, end in spans:
        start = max(text.rfind(mark, 0, max(end - 1, 0)) for mark in ".?!") + 1
        stops = [i for i in (text.find(mark, max(end - 1, 0)) for mark in ".?!") if i >= 0]
        stop = min(stops) if stops else len(text) - 1
        if 0 <= stop < len(text) and text[stop] == "?":
            found.append((start, stop + 1))
    return found


def _any(patterns: Sequence[re.Pattern[str]], form: str) -> str | None:
    for pattern in patterns:
        match = pattern.search(form)
        if match:
            return match.group(0)
    return None


def _first_at(form: str, phrases: Sequence[str]) -> int:
    """Where the first of the matched phrases sits in the turn."""
    places = [form.find(p) for p in phrases if p and form.find(p) >= 0]
    return min(places) if places else len(form)


def _picks_up(question: str, group: CueGroup) -> bool:
    """Whether a question is about the cue's content ("Is your brother now better?").

    It shares a content word with the cue's turns, or it points back at them with a pronoun and
    names nothing new ("When did it all start?").
    """
    asked = content_words(question)
    if shared_words(group.context, asked):
        return True
    new = {w for w in asked if w not in _GENERIC}
    return bool(_ANAPHOR.search(question)) and not new


def _turn_code(
    text: str,
    features: ClinicianFeatures,
    group: CueGroup,
    empathy: EmpathyLabel | None,
    rules: RuleSet,
    vrcodes: VRCodesRules,
) -> tuple[str | None, str, list[str]]:
    """The code one clinician turn gives the cue, or None when it does nothing to it ("OK.")."""
    form = match_form(text)
    evidence = features.evidence
    topic = _any(vrcodes.explicit_topic, form)
    empathic = _any(vrcodes.empathy, form)
    if features.explore or features.reflect:
        found = evidence.get("explore", []) + evidence.get("reflect", [])
        return "EP-explore", "explores_or_reflects", found
    if features.feeling_question:
        return "EP-explore", "question_on_feeling", evidence.get("feeling", [])
    if topic:
        return "EP-explore", "question_on_the_cue", [topic]
    if features.acknowledge or any(n in features.nurse for n in ("respect", "support")):
        found = evidence.get("acknowledge", []) + [
            phrase
            for key, phrases in evidence.items()
            if key.startswith("nurse_")
            for phrase in phrases
        ]
        return "EP-empathy", "names_or_validates", found
    if empathic:
        return "EP-empathy", "sympathy", [empathic]
    inform = _any(vrcodes.inform, form)
    closes = features.reassurance or features.advice or inform is not None
    if empathy is not None and not closes:
        # The models add only what the rules did not see, and only when grounded in feeling
        # words or the cue's own words (they were trained on Reddit support posts).
        asked = _questions_at(text, empathy.rationales.get("explorations", ()))
        about = group.words if features.question == "open" else frozenset()
        level = empathy.levels.get("explorations", 0)
        if level >= 1 and asked and _grounded(text, asked, about, rules):
            return "EP-explore", "model_exploration", [f"explorations={level}"]
        for mechanism in ("emotional_reactions", "interpretations"):
            level = empathy.levels.get(mechanism, 0)
            spans = empathy.rationales.get(mechanism, ())
            if level >= 1 and _grounded(text, spans, frozenset(), rules):
                return "EP-empathy", "model_empathy", [f"{mechanism}={level}"]
    if features.reassurance:
        return "ER-inform", "premature_reassurance", evidence.get("reassurance", [])
    if inform is not None:
        return "ER-inform", "closing_information", [inform]
    invite = _any(vrcodes.invite, form)
    if invite is not None:
        return "NP-invite", "invitation", [invite]
    questions = _questions(form)
    for question in questions:
        if _any(vrcodes.switch, question) is None and _picks_up(question, group):
            return "NP-info", "content_question", [question]
    if features.advice:
        return "ER-inform", "advice", evidence.get("advice", [])
    reflection = _reflection(form, group, vrcodes)
    if reflection is not None and (
        not questions or _first_at(form, [reflection[0]]) < _first_at(form, questions)
    ):
        # an unmarked reflection ("So it keeps you up at night.") leaves the patient the floor
        return "NP-invite", "unmarked_reflection", reflection[1]
    if questions:
        return "NR-switch", "topic_change", [questions[0]]
    return None, "no_response", []


def _reflection(form: str, group: CueGroup, vrcodes: VRCodesRules) -> tuple[str, list[str]] | None:
    """A short statement that gives the patient's own words back, and the words it echoes.

    "You mentioned X" leads a summary that moves on, so it is not one.
    """
    for sentence in re.split(r"(?<=[.!])\s+", form):
        said = words_of(sentence)
        if not said or len(said) > _REFLECTION_MAX_WORDS or _MENTION.search(sentence):
            continue
        echo = shared_words(group.context, content_words(sentence))
        if echo and _REFLECTION_START.search(sentence) and _any(vrcodes.switch, sentence) is None:
            return sentence, sorted(echo)
    return None


def _explicit_return(
    text: str, features: ClinicianFeatures, group: CueGroup, vrcodes: VRCodesRules
) -> bool:
    """Whether a later clinician turn comes back to the cue explicitly (its feeling or issue)."""
    form = match_form(text)
    if features.explore or features.reflect or features.feeling_question or features.acknowledge:
        return True
    if _any(vrcodes.empathy, form) or _any(vrcodes.explicit_topic, form):
        return True
    return bool(group.words and shared_words(group.words, content_words(form)))


def judge_response(
    group: CueGroup,
    window: Sequence[int],
    turns: Sequence[Turn],
    features: Mapping[int, ClinicianFeatures],
    empathy: Mapping[int, EmpathyLabel],
    mi: Mapping[int, MICode],
    rules: RuleSet,
    vrcodes: VRCodesRules = DEFAULT_VRCODES,
) -> Judgement:
    """The VR-CoDES code of the response to a cue among the clinician turns of its window.

    `mi` is accepted for the labeller's MITI codes; a reflection is judged by the rules here.
    """
    del mi
    if group.backchannel_turn is not None and not window:
        return Judgement(
            "acknowledged",
            group.backchannel_turn,
            "backchannel_patient_talks_on",
            (turns[group.backchannel_turn].text.strip(),),
            (),
            code="NP-backchannel",
        )
    if not window:
        return Judgement("missed", None, "no_response", (), (), code="NR-ignore")
    flags: set[str] = set()
    decided: tuple[int, str, str, list[str]] | None = None
    explicit = False
    for index in window:
        found = features[index]
        if found.reassurance:
            flags.add("premature_reassurance")
        if found.advice:
            flags.add("advice")
        form = match_form(turns[index].text)
        block = _any(vrcodes.block, form)
        code, reason, evidence = _turn_code(
            turns[index].text, found, group, empathy.get(index), rules, vrcodes
        )
        explicit = explicit or (code is not None and code.startswith("E"))
        if block is not None and (decided is None or decided[1] != "EP-explore"):
            # an explicit postponement outranks an empathic opening: "I'm sorry to hear that...
            # but let's take a good history first" (ER-block); without any reference to the cue
            # it is a plain change of subject ("let's start with your cough first")
            explicit = explicit or bool(shared_words(group.words, content_words(form)))
            blocked = "ER-block" if explicit else "NR-switch"
            decided = (index, blocked, "postpones", [block])
            break
        if decided is None and code is not None:
            decided = (index, code, reason, evidence)
    if decided is None:
        decided = (window[0], "NR-ignore", "carries_on", [])
    index, code, reason, evidence = decided
    delayed = None
    if code[1] == "R":
        later = islice(
            (
                i
                for i in range(index + 1, len(turns))
                if turns[i].role is Role.CLINICIAN
                and not is_backchannel(turns[i].text, rules.backchannels)
            ),
            _DELAY_TURNS,
        )
        delayed = next(
            (i for i in later if _explicit_return(turns[i].text, features[i], group, vrcodes)),
            None,
        )
    return Judgement(
        response_of_code(code),
        index,
        reason,
        tuple(evidence),
        tuple(sorted(flags)),
        code=code,
        delayed_turn=delayed,
    )


def initiative(
    group: CueGroup,
    turns: Sequence[Turn],
    features: Mapping[int, ClinicianFeatures],
    rules: RuleSet,
    vrcodes: VRCodesRules = DEFAULT_VRCODES,
) -> Literal["patient", "clinician"]:
    """Who initiated the cue (VR-CoDES): `clinician` when it was elicited.

    Elicited: the clinician's last substantive turn before it explored feelings or asked about
    the cue's issue ("How has work been?" -> "It's been really stressful."); otherwise the
    patient raised it.
    """
    for index in range(group.turns[0] - 1, -1, -1):
        turn = turns[index]
        if turn.role is not Role.CLINICIAN or is_backchannel(turn.text, rules.backchannels):
            continue
        found = features[index]
        form = match_form(turn.text)
        if found.explore or found.feeling_question or found.reflect:
            return "clinician"
        if _any(vrcodes.explicit_topic, form):
            return "clinician"
        asked = " ".join(_questions(form))
        if asked and shared_words(group.words, content_words(asked)):
            return "clinician"
        return "patient"
    return "patient"


@dataclass(frozen=True)
class CodedCue:
    """One opportunity coded by VR-CoDES: the cue, its type and initiative, and the response."""

    group: CueGroup
    window: tuple[int, ...]
    judged: Judgement
    cue_type: str | None
    initiative: Literal["patient", "clinician"]


def _repeats(group: CueGroup, earlier: Sequence[CueGroup], rules: RuleSet) -> bool:
    """VR-CoDES type (e): the cue's issue was raised before and not taken up.

    Feeling words themselves ("worried") do not make a repetition; the issue does ("what if it
    is a brain tumour?" after "my friend's mum died of a brain tumor" was postponed).
    """
    issue = frozenset(w for w in group.words if not rules.feeling.search(w))
    return any(shared_words(issue, other.words) for other in earlier)


def code_responses(
    turns: Sequence[Turn],
    cues: Mapping[int, Cue],
    features: Mapping[int, ClinicianFeatures],
    empathy: Mapping[int, EmpathyLabel],
    mi: Mapping[int, MICode],
    rules: RuleSet,
    max_turns: int,
    vrcodes: VRCodesRules = DEFAULT_VRCODES,
) -> list[CodedCue]:
    """Every opportunity of a consultation with its VR-CoDES cue type and response code."""
    coded: list[CodedCue] = []
    not_taken_up: list[CueGroup] = []
    for group in group_cues(turns, cues, rules):
        window = response_window(turns, group.turns[-1], rules, max_turns)
        if group.backchannel_turn is not None:
            window = []
        judged = judge_response(group, window, turns, features, empathy, mi, rules, vrcodes)
        kind_type = None if group.cue.kind == "concern" else group.cue.vrcodes
        if kind_type is not None and _repeats(group, not_taken_up, rules):
            kind_type = "e"
        if judged.space == "reduces" and judged.delayed_turn is None:
            not_taken_up.append(group)
        coded.append(
            CodedCue(
                group=group,
                window=tuple(window) if window else ((judged.turn,) if judged.turn else ()),
                judged=judged,
                cue_type=kind_type,
                initiative=initiative(group, turns, features, rules, vrcodes),
            )
        )
    return coded
