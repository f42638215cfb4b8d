"""Risk turns and input warnings: what must never be lost, and what the input cannot support.

A *risk turn* is a patient, family or unattributed turn that mentions suicide, self-harm, a wish
to die or not to be here, harm to or from others, or a safeguarding concern, about the speaker or
someone else (`coding-manual.md` C, `risk_mentions`). The lexicon is `rules/en/risk.v1.yaml`:
phrase rules only, so it works without any model weights, and recall comes first (a denial or a
relative's suicide is still a risk turn; `negated` and `about` say so). Clinician turns are not
risk turns: a clinician asking "any thoughts of harming yourself?" is screening, and the patient's
answer is what counts.

*Warnings* say in plain words when the input cannot be a whole consultation: one speaker only
(one side of a recorded pair), no clinician or no patient turns. The score of such an input is
not assessable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bedside.engine._rules import RiskRules
from bedside.engine._text import match_form
from bedside.model import Role, Turn

__all__ = ["RISK_ROLES", "input_warnings", "not_assessable_reason", "risk_turns"]

RISK_ROLES = (Role.PATIENT, Role.FAMILY, Role.OTHER)
"""Whose turns can be risk turns: patients, family, and speakers whose role is unknown."""

_SENTENCE = re.compile(r"[.!?;]+")
_WORD = re.compile(r"[a-z']+")


def _masked(form: str, rules: RiskRules) -> str:
    """The text with every exclusion idiom blanked out (same length, so offsets still hold)."""
    for pattern in rules.exclusions:
        form = pattern.sub(lambda m: " " * len(m.group(0)), form)
    return form


def _sentence(form: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence (or clause ended by ; ! ?) holding `form[start:end]`."""
    left = max((m.end() for m in _SENTENCE.finditer(form, 0, start)), default=0)
    right = next((m.start() for m in _SENTENCE.finditer(form, end)), len(form))
    return left, right


def _negated(form: str, start: int, rules: RiskRules) -> bool:
    before = _WORD.findall(form[:start])[-rules.negation_window :]
    return any(w in rules.negation_words or w.endswith("n't") for w in before)


def _match_json(
    form: str, masked: str, match: re.Match[str], category: str, rules: RiskRules
) -> dict[str, Any]:
    start, end = match.span()
    words = form[start:end].strip()
    left, right = _sentence(masked, start, end)
    others = bool(rules.others.search(masked[left:right]))
    # "I'm scared of my partner", "I told my mum I want to die": the speaker, in the match or
    # in the three words before it, is the one at risk
    lead = " ".join(_WORD.findall(masked[left:start])[-3:])
    first_person = rules.first_person.search(words) or rules.first_person.search(lead)
    about = "other" if others and not first_person else "speaker"
    return {
        "category": category,
        "words": words,
        "span": [start, end],
        "about": about,
        "negated": _negated(masked, start, rules),
    }


def find_risk(text: str, rules: RiskRules) -> list[dict[str, Any]]:
    """Every risk match in one turn's text, in category order then position."""
    form = match_form(text)
    masked = _masked(form, rules)
    found: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    for category in rules.categories:
        for pattern in category.patterns:
            for match in pattern.finditer(masked):
                start, end = match.span()
                if end <= start or any(s < end and start < e for s, e in taken):
                    continue
                taken.append((start, end))
                found.append(_match_json(form, masked, match, category.id, rules))
    return found


def risk_turns(turns: Sequence[Turn], rules: RiskRules) -> list[dict[str, Any]]:
    """`metrics.risk_turns`: one entry per patient, family or unattributed turn with a risk match.

    Each entry holds the turn, who spoke, its main `category` (the first in the rule file's
    order: suicide before self-harm before wish to die ...), every category found, the matched
    words, whether the mention is about the speaker or someone else (`about`), whether every
    match was denied (`negated`), and a plain-language `label` for the reports.
    """
    labels = {c.id: (c.label, c.other_label) for c in rules.categories}
    found_turns: list[dict[str, Any]] = []
    for index, turn in enumerate(turns):
        if turn.role not in RISK_ROLES:
            continue
        matches = find_risk(turn.text, rules)
        if not matches:
            continue
        first = matches[0]
        categories = list(dict.fromkeys(m["category"] for m in matches))
        own, other = labels[first["category"]]
        found_turns.append(
            {
                "turn": index,
                "speaker": turn.speaker.name,
                "role": turn.role.value,
                "category": first["category"],
                "categories": categories,
                "words": [m["words"] for m in matches],
                "about": first["about"],
                "negated": all(m["negated"] for m in matches),
                "label": other if first["about"] == "other" else own,
                "matches": matches,
            }
        )
    return found_turns


_LISTENERS = (Role.PATIENT, Role.FAMILY)


def input_warnings(turns: Sequence[Turn]) -> list[str]:
    """`metrics.warnings`: plain-language warnings about what the input can and cannot support."""
    if not turns:
        return ["no speech turns were found"]
    speakers = list(dict.fromkeys(t.speaker.name for t in turns))
    warnings: list[str] = []
    if len(speakers) == 1:
        warnings.append(
            f"only one speaker found ({speakers[0]}): if this is one side of a recorded pair, "
            "analyse both files with --merge; the compassion score is not assessable"
        )
    roles = {t.role for t in turns}
    if Role.CLINICIAN not in roles:
        warnings.append(
            "no clinician turns found: name the clinician with --role \"NAME=clinician\" "
            "(speakers named Doctor, Dr, GP, Nurse … are found by themselves)"
        )
    if not roles & set(_LISTENERS):
        warnings.append(
            "no patient or family turns found: name the patient with --role \"NAME=patient\" "
            "(speakers named Patient, Client or Pt are found by themselves)"
        )
    return warnings


def not_assessable_reason(turns: Sequence[Turn]) -> str | None:
    """Why no compassion score can be given for these turns (None when it can).

    The score rates how a clinician met a patient: it needs both voices. One side of a pair
    (the `_doctor` TextGrid alone) has no patient to respond to and would otherwise score high.
    """
    speakers = {t.speaker.name for t in turns}
    roles = {t.role for t in turns}
    if len(speakers) <= 1:
        return "only one speaker: a consultation needs both the clinician's and the patient's turns"
    if Role.CLINICIAN not in roles:
        return "no clinician turns"
    if not roles & set(_LISTENERS):
        return "no patient or family turns"
    return None
