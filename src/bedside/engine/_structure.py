"""Consultation structure as the coding manual defines it (section C, and D's `overlaps`).

- The **invitation**: the clinician's first invitation to give the reason for the visit ("What
  can I do for you?", "How can I help?"); identity and privacy checks ("Can you confirm your
  name and date of birth?") and greetings are not it.
- The **opening statement**: the patient's answer to the invitation, from its first turn to the
  last patient turn before the clinician takes the floor; whether the clinician took the floor
  before the patient had finished (Marvel et al., JAMA 1999; Singh Ospina et al., JGIM 2019).
- **Overlaps**: every clinician turn that starts while a patient turn is running is an
  `interruption` (the patient had not finished and stops or is talked over), a `transition`
  (the overlap is only in the timing), a `backchannel` ("mm-hmm", "go ahead", "that must be
  hard" while the patient keeps the floor) or `simultaneous` (both start together).
- **Agenda setting** (asking for the patient's whole list of concerns for this visit), **ICE**
  (the patient's ideas, concerns, expectations) and **safety-netting** (Calgary-Cambridge).

Everything here is rules from `structure.v1.yaml`; no model weights.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bedside.engine._rules import StructureRules
from bedside.engine._text import is_backchannel, match_form, words_of
from bedside.model import Role, Turn

__all__ = [
    "Overlap",
    "agenda_request",
    "classify_overlaps",
    "consultation_agenda",
    "ice_request",
    "invitation_turn",
    "is_listener_turn",
    "listener_turns",
    "looks_unfinished",
    "opening_statement",
    "safety_net",
]

IceKind = Literal["ideas", "concerns", "expectations"]
OverlapKind = Literal["interruption", "transition", "backchannel", "simultaneous"]

_LISTENERS = (Role.PATIENT, Role.FAMILY)
_FALLBACK_TURNS = 40  # an invitation by an open question only near the start
_SENTENCES = re.compile(r"[^.?!]+[.?!]*")
_CLAUSES = re.compile(r"[,.!?;:…]+|\s-\s|\.\.\.")
_CUT_OFF = re.compile(r"\w-\s*$|--\s*$|[-–—]\s*$")
_TELL = re.compile(
    r"^\W*(?:(?:and|so|okay|ok|right|well|um|uh|now)\W+)*(?:tell me|i wonder|i was wondering|i'd like to know|i would like to know|i'm wondering)\b"
)
_TELL_ANYWHERE = re.compile(r"\b(?:tell me|wonder|like to know)\b")
_CONDITION = re.compile(r"\b(?:if|when|whenever|in case|should you)\b")


@dataclass(frozen=True)
class _Timed:
    index: int
    turn: Turn
    start: float
    end: float


@dataclass(frozen=True)
class Overlap:
    """A clinician turn that starts while a patient turn runs, and what kind of overlap it is."""

    turn: int
    kind: OverlapKind
    patient_turn: int
    overlap_s: float
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The `metrics.overlaps` entry (coding manual D: turn and kind, plus why)."""
        return {
            "turn": self.turn,
            "kind": self.kind,
            "patient_turn": self.patient_turn,
            "overlap_s": round(self.overlap_s, 2),
            "reason": self.reason,
        }


def _sentences(form: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.findall(form) if s.strip()]


def _asks(sentence: str) -> bool:
    """A question ("...?") or a request to tell ("Tell me what you think is going on")."""
    return sentence.rstrip().endswith("?") or bool(_TELL.match(sentence))


def _any(patterns: Sequence[re.Pattern[str]], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            return found
    return None


def _conditional_before(sentence: str, position: int) -> bool:
    """ "If you're worried about anything, call us" is safety-netting, not an ICE question."""
    return bool(_CONDITION.search(sentence[:position]))


# --- per turn --------------------------------------------------------------------------------


def is_invitation(text: str, rules: StructureRules) -> bool:
    """Does this clinician turn invite the reason for the visit? Not an identity check."""
    form = match_form(text)
    for sentence in _sentences(form):
        if _any(rules.invitation, sentence) and not _any(rules.identity_checks, sentence):
            return True
    return False


def agenda_request(text: str, rules: StructureRules) -> str | None:
    """The words that ask for the patient's list of concerns for this visit, or None.

    "Is there anything else you wanted to talk about today?" asks for the agenda; "Anything
    else in the family?" and "Any other symptoms?" are history questions, so a sentence that
    names a history topic counts only with a sign that it is about this visit ("today").
    A bare "Anything else?" is left to `consultation_agenda`, which knows where it was asked.
    """
    form = match_form(text)
    if not rules.agenda_first_look.search(form):  # most turns: no need to look further
        return None
    for sentence in _sentences(form):
        found = _any(rules.agenda_setting, sentence)
        if found is None:
            continue
        if _any(rules.history_topics, sentence) and not _any(rules.agenda_visit, sentence):
            continue
        return found.group(0)
    return None


def _bare_agenda(text: str, rules: StructureRules) -> bool:
    form = match_form(text)
    return any(
        _any(rules.agenda_bare, sentence) and not _any(rules.history_topics, sentence)
        for sentence in _sentences(form)
    )


def ice_request(text: str, rules: StructureRules) -> tuple[IceKind, str] | None:
    """The first ICE question of a clinician turn: its kind and the words, or None.

    Ideas: "What do you think might be causing it?"; concerns: "Is there anything you're
    particularly worried it could be?"; expectations: "What were you hoping we could do today?".
    Only questions (or "Tell me ..."), never statements or conditionals: "If you're worried,
    call us" is safety-netting. A sentence that asks for the agenda ("anything else that's
    worrying you?") is agenda setting, not an ICE concern.
    """
    form = match_form(text)
    if "?" not in form and not _TELL_ANYWHERE.search(form):
        return None
    for sentence in _sentences(form):
        if not _asks(sentence) or _any(rules.agenda_setting, sentence):
            continue
        earliest: tuple[int, IceKind, str] | None = None
        for kind, patterns in rules.ice.items():
            found = _any(patterns, sentence)
            if found is None or _conditional_before(sentence, found.start()):
                continue
            if earliest is None or found.start() < earliest[0]:
                earliest = (found.start(), kind, found.group(0))
        if earliest is not None:
            return earliest[1], earliest[2]
    return None


def safety_net(text: str, rules: StructureRules) -> str | None:
    """Safety-netting words ("If it gets worse or you notice blood, call us"), or None."""
    form = match_form(text)
    if not rules.safety_first_look.search(form):
        return None
    for sentence in _sentences(form):
        if sentence.rstrip().endswith("?"):
            continue
        found = _any(rules.safety_netting, sentence)
        if found:
            return found.group(0)
    return None


def is_listener_turn(text: str, rules: StructureRules, backchannels: frozenset[str]) -> bool:
    """True when every clause is a listener token: "mm-hmm", "thank you", "sorry, go ahead",
    "oh dear, that must be hard". Such a turn never takes the floor, however long it lasts."""
    if is_backchannel(text, backchannels):
        return True
    form = match_form(text)
    clauses = [c.strip() for c in _CLAUSES.split(form) if c and c.strip()]
    for clause in clauses:
        words = [w for w in words_of(clause) if w not in rules.fillers]
        if not words:
            continue
        bare = " ".join(words)
        if bare in backchannels or all(w in backchannels for w in words):
            continue
        if not rules.listener.match(bare):
            return False
    return True


def looks_unfinished(text: str, rules: StructureRules) -> str | None:
    """Why a patient turn looks unfinished, or None when it ends at a possible completion.

    With trailing hesitations set aside ("um", "uh"), the turn ends on a word that cannot close
    a clause ("...which is why I tried it. But", "...a bit of", "I think it's maybe a"), or on
    a cut-off word ("I was compl-"). "I don't think so." and "...it hurts. So" are complete.
    """
    form = match_form(text).rstrip()
    if _CUT_OFF.search(form):
        return "ends on a cut-off word"
    words = words_of(form)
    while words and words[-1] in rules.fillers:
        words.pop()
    if not words:
        return None
    # the last sentence mark after the last word closes it ("No, the ." is unfinished, "the
    # pain." is not): find the tail after the last word
    last = words[-1]
    if last in rules.unfinished_last_words:
        return f"ends on {last!r}"
    if len(words) >= 2 and (words[-2], last) in rules.unfinished_last_pairs:
        return f"ends on {words[-2]} {last!r}"
    return None


# --- over the consultation -------------------------------------------------------------------


def invitation_turn(
    turns: Sequence[Turn],
    rules: StructureRules,
    *,
    is_open: Callable[[str], bool] | None = None,
) -> int | None:
    """The clinician's first invitation to give the reason for the visit.

    By its words ("How can I help you this afternoon?"). Where no turn says so, the first open
    question (`is_open`) before the patient has said 20 words in one turn counts ("So, tell
    me."), unless it checks identity ("What's your date of birth?") or greets ("How are you?").
    """
    for index, turn in enumerate(turns):
        if turn.role is Role.CLINICIAN and is_invitation(turn.text, rules):
            return index
    if is_open is None:
        return None
    for index, turn in enumerate(turns[:_FALLBACK_TURNS]):
        if turn.role in _LISTENERS and len(words_of(match_form(turn.text))) >= 20:
            break
        if turn.role is not Role.CLINICIAN or not is_open(turn.text):
            continue
        form = match_form(turn.text)
        if _any(rules.identity_checks, form) or _any(rules.greetings, form):
            continue
        return index
    return None


def _timed(turns: Sequence[Turn]) -> list[_Timed] | None:
    if not turns or any(t.start is None or t.end is None for t in turns):
        return None
    return [
        _Timed(index=i, turn=t, start=float(t.start or 0.0), end=float(t.end or 0.0))
        for i, t in enumerate(turns)
    ]


def listener_turns(
    turns: Sequence[Turn], rules: StructureRules, backchannels: frozenset[str]
) -> frozenset[int]:
    """The clinician turns made only of listener tokens (see `is_listener_turn`)."""
    return frozenset(
        i
        for i, t in enumerate(turns)
        if t.role is Role.CLINICIAN and is_listener_turn(t.text, rules, backchannels)
    )


def classify_overlaps(
    turns: Sequence[Turn],
    rules: StructureRules,
    backchannels: frozenset[str],
    *,
    simultaneous_start_s: float,
    listening: frozenset[int] | None = None,
) -> list[Overlap]:
    """Every clinician turn that starts while a patient turn is running, with its kind.

    In order: starting within `simultaneous_start_s` of the patient is `simultaneous`; a turn
    of listener tokens ("okay", "go ahead", "thank you", "that must be hard") is a
    `backchannel`; the patient ending within `min_overlap_s` is a `transition` (latching); a
    patient who talks on past the end of the clinician's turn kept the floor (`backchannel`);
    then the patient's words decide: an unfinished turn ("... and", "a bit of") that stops
    under the clinician's is an `interruption`, a finished one a `transition`.
    """
    timed = _timed(turns)
    if timed is None:
        return []
    if listening is None:
        listening = listener_turns(turns, rules, backchannels)
    found: list[Overlap] = []
    order = sorted(timed, key=lambda t: t.start)
    active: list[_Timed] = []  # listener turns begun and not yet ended, in start order
    for current in order:
        if current.turn.role in _LISTENERS:
            active.append(current)
            continue
        if current.turn.role is not Role.CLINICIAN:
            continue
        active = [p for p in active if p.end > current.start]
        running = [p for p in active if p.start < current.start]
        if not running:
            continue
        substantive = [p for p in running if not is_backchannel(p.turn.text, backchannels)]
        if not substantive:
            patient = running[-1]
            found.append(_overlap(current, patient, "transition", "over a patient backchannel"))
            continue
        patient = substantive[-1]
        kind, reason = _kind(
            current, patient, rules, current.index in listening, simultaneous_start_s
        )
        found.append(_overlap(current, patient, kind, reason))
    found.sort(key=lambda o: o.turn)
    return found


def _overlap(clinician: _Timed, patient: _Timed, kind: OverlapKind, reason: str) -> Overlap:
    return Overlap(
        turn=clinician.index,
        kind=kind,
        patient_turn=patient.index,
        overlap_s=max(0.0, min(patient.end, clinician.end) - clinician.start),
        reason=reason,
    )


def _kind(
    clinician: _Timed,
    patient: _Timed,
    rules: StructureRules,
    listener: bool,
    simultaneous_start_s: float,
) -> tuple[OverlapKind, str]:
    if clinician.start - patient.start < simultaneous_start_s:
        return "simultaneous", "both started together"
    if listener:
        return "backchannel", "listener tokens only"
    if patient.end - clinician.start < rules.min_overlap_s:
        return "transition", "the patient was ending (latching)"
    if patient.end > clinician.end + rules.keeps_floor_s:
        return "backchannel", "the patient kept the floor"
    unfinished = looks_unfinished(patient.turn.text, rules)
    if unfinished:
        return "interruption", f"the patient had not finished ({unfinished}) and stopped"
    return "transition", "the patient had finished"


def _takes_floor(
    index: int, turns: Sequence[Turn], rules: StructureRules, listening: frozenset[int]
) -> bool:
    """Does this clinician turn end the patient's stretch of talk?

    Not when it is listener tokens only, nor when it is a short non-question the patient talks
    through ("I'm sorry to-" while the patient goes on).
    """
    turn = turns[index]
    if index in listening:
        return False
    if turn.start is None or turn.end is None or turn.text.rstrip().endswith("?"):
        return True
    if len(words_of(match_form(turn.text))) > 6:
        return True
    for other in turns[index + 1 : index + 4]:
        if (
            other.role in _LISTENERS
            and other.start is not None
            and other.end is not None
            and other.start <= turn.end + 0.2
            and other.end > turn.end + rules.keeps_floor_s
        ):
            return False
    return True


def _answers(turn: Turn, rules: StructureRules, backchannels: frozenset[str]) -> bool:
    """Could this patient turn be the answer to the invitation? Not a greeting, a backchannel,
    an identity answer ("My name's Laura and I'm forty-five") or a short question back."""
    form = match_form(turn.text)
    if is_backchannel(turn.text, backchannels) or _any(rules.greetings, form):
        return False
    if _any(rules.identity_answers, form) and len(words_of(form)) < 20:
        return False
    return not (form.rstrip().endswith("?") and len(words_of(form)) < 8)


def opening_statement(
    turns: Sequence[Turn],
    invitation: int | None,
    overlaps: Sequence[Overlap],
    rules: StructureRules,
    backchannels: frozenset[str],
    *,
    min_words: int,
    listening: frozenset[int] | None = None,
) -> dict[str, Any] | None:
    """The patient's opening statement after the invitation, and whether it was cut into.

    Returns the `metrics.opening_statement` object: `turn` and `end_turn` (its first and last
    patient turns), `interrupted`, `seconds` (how long the patient spoke before the clinician
    took the floor), and the older keys `start`, `duration_s`, `first_interruption_s`.
    Without an invitation, the first patient turn of `min_words` words or more that is not an
    identity answer stands in. Null when there is no such turn.
    """
    first: int | None = None
    after = invitation + 1 if invitation is not None else 0
    for index in range(after, len(turns)):
        turn = turns[index]
        if turn.role not in _LISTENERS or not _answers(turn, rules, backchannels):
            continue
        if invitation is None and turn.words < min_words:
            continue
        inviting = turns[invitation] if invitation is not None else None
        if (
            inviting is not None
            and inviting.end is not None
            and turn.end is not None
            and turn.end <= inviting.end
        ):
            continue  # said entirely inside the invitation: not an answer to it
        first = index
        break
    if first is None:
        return None
    if listening is None:
        listening = listener_turns(turns, rules, backchannels)
    last = first
    ender: int | None = None
    for index in range(first + 1, len(turns)):
        turn = turns[index]
        if turn.role in _LISTENERS:
            last = index
            continue
        if turn.role is Role.CLINICIAN and _takes_floor(index, turns, rules, listening):
            ender = index
            break
    by_turn = {o.turn: o for o in overlaps}
    cut = by_turn.get(ender) if ender is not None else None
    interrupted = cut is not None and cut.kind == "interruption"
    opening = turns[first]
    stretch = turns[first : last + 1]
    seconds: float | None = None
    first_interruption: float | None = None
    if opening.start is not None and all(t.end is not None for t in stretch):
        spoken_until = max(float(t.end or 0.0) for t in stretch if t.role in _LISTENERS)
        taken = turns[ender].start if ender is not None else None
        if taken is not None and taken < spoken_until:
            spoken_until = max(float(opening.start), taken)
        seconds = round(spoken_until - float(opening.start), 2)
        if interrupted and taken is not None:
            first_interruption = round(taken - float(opening.start), 2)
    return {
        "turn": first,
        "end_turn": last,
        "interrupted": interrupted,
        "seconds": seconds,
        "start": round(float(opening.start), 2) if opening.start is not None else None,
        "duration_s": seconds,
        "first_interruption_s": first_interruption,
        "ended_by_turn": ender,
        "why": (cut.reason if cut is not None else "the clinician spoke after the patient")
        if ender is not None
        else "the patient's turns run to the end",
    }


def consultation_agenda(
    turns: Sequence[Turn],
    per_turn: Mapping[int, bool],
    opening: dict[str, Any] | None,
    invitation: int | None,
    rules: StructureRules,
) -> list[int]:
    """Agenda-setting clinician turns: those whose words ask for the list (`per_turn`), and a
    bare "Anything else?" asked during the opening (from the invitation to the clinician turn
    that closes the opening statement), where it can only mean "anything else today?"."""
    found = {index for index, asks in per_turn.items() if asks}
    if invitation is not None:
        close = opening.get("ended_by_turn") if opening else None
        stop = close if isinstance(close, int) else invitation
        for index in range(invitation, min(stop, len(turns) - 1) + 1):
            turn = turns[index]
            if turn.role is Role.CLINICIAN and _bare_agenda(turn.text, rules):
                found.add(index)
    return sorted(found)
