"""What a clinician turn does, by rule: explores, reflects, acknowledges, reassures, advises,
structures the consultation (agenda, ICE, safety-netting, summary, teach-back), NURSE
statements, jargon, questions.

These rules need no model, so the engine gives a useful analysis of a typed transcript on any
machine; the models of `bedside.nlp` add EPITOME levels and MITI codes on top.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bedside.engine._readability import readability_grade
from bedside.engine._rules import RuleSet
from bedside.engine._structure import agenda_request, ice_request, safety_net
from bedside.engine._text import FILLERS, match_form, words_of

__all__ = ["ClinicianFeatures", "clinician_features", "question_type"]

_SENTENCES = re.compile(r"(?<=[.?!])")  # split after each end mark: linear, whatever the length
_TAG_QUESTION = re.compile(
    r"(?:^|,)\s*(?:ok|okay|yeah|yes|right|alright|all right|isn't it|aren't they|don't you|"
    r"you know|no|eh)\s*\?$"
)
_LEADING = re.compile(
    r"^(?:\s|,|-|\b(?:okay|ok|and|so|right|well|now|fine|alright|um|uh|er|erm|good|great|yeah|"
    r"yes|sure|then|also|just|but)\b)+"
)
_ASKS = re.compile(
    r"(?:what|how|why|where|when|which|who|do|does|did|is|are|was|were|have|has|had|can|could|"
    r"will|would|should|any|tell me)\b"
)
_IMPERATIVE_OPEN = re.compile(
    r"(?:^|[.!?]\s*)(?:tell me|describe|talk me through|walk me through)\b"
)
_EXPLAINED = re.compile(
    r"^\W{0,3}(?:which|that|this)? ?(?:means|is|are|meaning|in other words|i\.e\.)\b"
)
_MIN_GRADED_WORDS = 5
_SENTENCE_END = re.compile(r"[.?!]")
_CONDITIONAL = re.compile(r"\b(?:if|when|whether|unless|in case)\b(?:\s+\w+){0,3}\s*$")


@dataclass(frozen=True)
class ClinicianFeatures:
    """Rule findings for one clinician turn; `evidence` keeps the matched phrases per finding."""

    explore: bool
    reflect: bool
    acknowledge: bool
    reassurance: bool
    advice: bool
    nurse: tuple[str, ...]
    agenda_setting: bool
    ice: Literal["ideas", "concerns", "expectations"] | None
    safety_netting: bool
    teach_back: bool
    summary: bool
    question: Literal["open", "closed"] | None
    feeling_question: bool
    jargon: tuple[dict[str, Any], ...]
    readability_grade: float | None
    evidence: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The turn-level keys this adds to the analysis (flattened into the turn's JSON)."""
        return {
            "nurse": list(self.nurse),
            "agenda_setting": self.agenda_setting,
            "ice": self.ice,
            "safety_netting": self.safety_netting,
            "teach_back": self.teach_back,
            "summary": self.summary,
            "premature_reassurance": self.reassurance,
            "advice": self.advice,
            "question_rule": self.question,
            "jargon": [dict(j) for j in self.jargon],
            "readability_grade": self.readability_grade,
        }


def _find(patterns: Sequence[re.Pattern[str]], form: str) -> list[str]:
    found = []
    for pattern in patterns:
        match = pattern.search(form)
        if match:
            found.append(match.group(0))
    return found


def _questions(form: str) -> list[str]:
    """The question sentences of a turn; a tag ("..., OK?", "..., right?") does not make one.

    "We've got an ambulance coming, OK?" is a statement; "How are you feeling, okay?" is
    still a question once its tag is set aside.
    """
    found = []
    for raw in _SENTENCES.split(form):
        sentence = raw.strip()
        if not sentence.endswith("?"):
            continue
        tag = _TAG_QUESTION.search(sentence)
        if tag is None:
            found.append(sentence)
            continue
        rest = _LEADING.sub("", sentence[: tag.start()]).strip()
        if _ASKS.match(rest):
            found.append(rest + "?")
    return found


def _find_statements(patterns: Sequence[re.Pattern[str]], form: str) -> list[str]:
    """Matches in plain statements: "You feel low." reflects; "Do you feel sick?" asks, and
    "Call us if you are worried" is safety-netting, not a reflection."""
    found = []
    for pattern in patterns:
        for match in pattern.finditer(form):
            end = _SENTENCE_END.search(form, match.end())
            conditional = _CONDITIONAL.search(form[max(0, match.start() - 24) : match.start()])
            if (end is None or end.group(0) != "?") and not conditional:
                found.append(match.group(0))
                break
    return found


def _starts(sentence: str, starts: Sequence[str]) -> bool:
    return any(sentence == s or sentence.startswith((s + " ", s + "'")) for s in starts)


def question_type(text: str, rules: RuleSet) -> Literal["open", "closed"] | None:
    """Open or closed question, by how the question begins (MITI 4.2 idea).

    Open questions invite the patient to talk ("What's been worrying you?", "Tell me more");
    closed ones ask for a yes, a no or a fact ("Do you smoke?"). A turn with any open question
    is open. Rules cannot tell that "What side is it?" wants one word; the MI model can.
    """
    form = match_form(text)
    if _IMPERATIVE_OPEN.search(form):
        return "open"
    found: Literal["open", "closed"] | None = None
    for raw in _questions(form):
        sentence = _LEADING.sub("", raw.strip().rstrip("?")).strip()
        if not sentence:
            continue
        if (
            _starts(sentence, rules.open_starts)
            and not _starts(sentence, rules.closed_overrides)
            and " or " not in sentence
        ):
            return "open"
        found = "closed"
    return found


def _jargon(text: str, form: str, rules: RuleSet) -> tuple[dict[str, Any], ...]:
    """Medical terms, one pattern each (faster in Python's `re` than one big alternation)."""
    found: list[dict[str, Any]] = []
    for term in rules.jargon:
        for match in term.pattern.finditer(form):
            after = form[match.end() : match.end() + 40]
            found.append(
                {
                    "term": term.term,
                    "text": text[match.start() : match.end()],
                    "span": [match.start(), match.end()],
                    "plain": term.plain,
                    "explained": term.plain.lower() in form or bool(_EXPLAINED.match(after)),
                }
            )
    found.sort(key=lambda j: j["span"][0])
    return tuple(found)


def clinician_features(text: str, rules: RuleSet) -> ClinicianFeatures:
    """Everything the rules find in one clinician turn."""
    form = match_form(text)
    evidence = {
        "explore": _find(rules.explore, form),
        "reflect": _find_statements(rules.reflect, form),
        "acknowledge": _find(rules.acknowledge, form),
        "reassurance": _find(rules.reassurance, form),
        "advice": _find(rules.advice, form),
        "agenda_setting": [found] if (found := agenda_request(text, rules.structure)) else [],
        "safety_netting": [net] if (net := safety_net(text, rules.structure)) else [],
        "teach_back": _find(rules.teach_back, form),
        "summary": _find(rules.summary, form),
    }
    ice = ice_request(text, rules.structure)
    if ice is not None:
        evidence["ice"] = [ice[1]]
    feeling = [m.group(0) for q in _questions(form) for m in rules.feeling.finditer(q)]
    if feeling:
        evidence["feeling"] = feeling
    nurse = tuple(name for name, patterns in rules.nurse.items() if _find(patterns, form))
    for name in nurse:
        evidence[f"nurse_{name}"] = _find(rules.nurse[name], form)
    spoken = [w for w in words_of(form) if w not in FILLERS]
    return ClinicianFeatures(
        explore=bool(evidence["explore"]),
        reflect=bool(evidence["reflect"]),
        acknowledge=bool(evidence["acknowledge"])
        or any(n in nurse for n in ("name", "understand")),
        reassurance=bool(evidence["reassurance"]),
        advice=bool(evidence["advice"]),
        nurse=nurse,
        agenda_setting=bool(evidence["agenda_setting"]),
        ice=ice[0] if ice is not None else None,
        safety_netting=bool(evidence["safety_netting"]),
        teach_back=bool(evidence["teach_back"]),
        summary=bool(evidence["summary"]),
        question=question_type(text, rules),
        feeling_question=bool(feeling),
        jargon=_jargon(text, form, rules),
        readability_grade=readability_grade(text) if len(spoken) >= _MIN_GRADED_WORDS else None,
        evidence={k: v for k, v in evidence.items() if v},
    )
