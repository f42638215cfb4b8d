"""What the reports show, computed from an `AnalysisReport`: pure geometry and text, no markup.

The HTML template and the terminal summary both read this view, so the two never disagree about
a number. Chart geometry is in SVG user units: the plot spans x = `PLOT_LEFT` … `PLOT_RIGHT`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bedside.model import MECHANISMS, AnalysisReport, Opportunity, TurnAnalysis
from bedside.report._honesty import (
    Chip,
    emotion_chips,
    empathy_chips,
    load_honesty,
    mechanism_word,
    not_assessable,
    validity_line,
)

__all__ = ["RISK_ACTION", "ROLE_ORDER", "ReportView", "RiskRow", "build_view", "clock"]

ROLE_ORDER = ("clinician", "patient", "family", "other")
ROLE_LABEL = {"clinician": "Clinician", "patient": "Patient", "family": "Family", "other": "Other"}
MECHANISM_LABEL = {
    "emotional_reactions": "Emotional reaction",
    "interpretations": "Interpretation",
    "explorations": "Exploration",
}
MECHANISM_SHORT = {"emotional_reactions": "ER", "interpretations": "IN", "explorations": "EX"}
RESPONSE_LABEL = {
    "explored": "Explored",
    "acknowledged": "Acknowledged",
    "missed": "Missed",
}
RISK_ACTION = "follow your organisation's safety procedure"
"""What every risk line asks of the reader: the engine flags, the clinician assesses."""
PLOT_LEFT, PLOT_RIGHT = 92.0, 990.0
LANE_HEIGHT, LANE_GAP = 26.0, 8.0


def clock(seconds: float | None) -> str:
    """`83.4` -> `1:23`; `3725` -> `1:02:05`; None -> `–`."""
    if seconds is None or math.isnan(seconds):
        return "–"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class Segment:
    """A run of turn text, highlighted (`mark` is a mechanism key) or plain (`mark` None)."""

    text: str
    mark: str | None = None


@dataclass(frozen=True)
class TurnRow:
    """One transcript line with its badges."""

    index: int
    speaker: str
    role: str
    when: str
    segments: tuple[Segment, ...]
    cue: bool
    emotions: tuple[str, ...]
    empathy: tuple[tuple[str, int], ...]
    question: str | None
    reflection: str | None
    responds_to: tuple[tuple[int, str], ...]
    tags: tuple[str, ...]
    notes: tuple[str, ...]
    chips: tuple[str, ...] = ()
    emotion_chips: tuple[Chip, ...] = ()
    empathy_chips: tuple[Chip, ...] = ()
    not_assessable: str | None = None
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bar:
    """A rectangle of the timeline or a chart."""

    x: float
    y: float
    width: float
    height: float
    role: str
    title: str
    index: int = -1


@dataclass(frozen=True)
class Marker:
    """A cue or response marker on the timeline: `kind` is cue|explored|acknowledged|missed."""

    x: float
    y: float
    kind: str
    title: str


@dataclass(frozen=True)
class Link:
    """A dashed line from a cue to the turn that answered it."""

    x1: float
    y1: float
    x2: float
    y2: float
    kind: str


@dataclass(frozen=True)
class Tick:
    """An axis tick."""

    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    """Who speaks when, with overlaps, cues and responses marked."""

    basis: str
    height: float
    lanes: tuple[tuple[str, str, float], ...]
    bars: tuple[Bar, ...]
    overlaps: tuple[Bar, ...]
    overlap_y: float
    markers: tuple[Marker, ...]
    links: tuple[Link, ...]
    ticks: tuple[Tick, ...]
    axis_y: float


@dataclass(frozen=True)
class Share:
    """One role's slice of the talk-time bar."""

    role: str
    label: str
    share: float
    x: float
    width: float
    turns: int
    words: int | None = None


@dataclass(frozen=True)
class EmpathyCell:
    """One mechanism of one clinician turn in the empathy strip."""

    x: float
    y: float
    width: float
    level: int | None
    mechanism: str
    index: int
    title: str


@dataclass(frozen=True)
class OpportunityCard:
    """A cue, the reply it got, and (when missed) a better reply, side by side."""

    cue_turn: int
    cue_speaker: str
    cue_when: str
    cue_text: str
    cue_emotions: tuple[str, ...]
    response: str
    response_turn: int | None
    response_speaker: str | None
    response_text: str | None
    suggestion: str | None
    notes: tuple[tuple[str, str], ...]
    cue_chips: tuple[Chip, ...] = ()
    check: str | None = None


@dataclass(frozen=True)
class Component:
    """One line of the score breakdown: its points, how full its bar is, why, and which turns."""

    name: str
    value: str
    fraction: float | None
    details: tuple[tuple[str, str], ...]
    why: str | None = None
    turns: tuple[int, ...] = ()
    applies: bool = True


@dataclass(frozen=True)
class RiskRow:
    """A risk turn, for the block that leads every report (never hidden, never thresholded)."""

    turn: int
    speaker: str
    label: str
    words: tuple[str, ...]
    negated: bool
    text: str

    @property
    def line(self) -> str:
        """`Risk mentioned: turn 57, suicide of … — follow your organisation's safety procedure`."""
        denied = " (mentioned as denied)" if self.negated else ""
        return f"Risk mentioned: turn {self.turn}, {self.label}{denied} — {RISK_ACTION}"


@dataclass(frozen=True)
class Skill:
    """A communication behaviour the engine looked for: found in which turns, or not found."""

    name: str
    hint: str
    turns: tuple[int, ...]
    found: bool


@dataclass
class ReportView:
    """Everything a report shows, ready for a template."""

    id: str
    source: str
    version: str | None
    ruleset: str | None
    score: int | None
    components: list[Component]
    shares: list[Share]
    basis: str
    turn_counts: list[tuple[str, str, int]]
    facts: list[tuple[str, str]]
    timeline: Timeline
    empathy_cells: list[EmpathyCell]
    empathy_width: float
    empathy_available: bool
    empathy_means: list[tuple[str, float]]
    cards: list[OpportunityCard]
    response_counts: dict[str, int]
    turns: list[TurnRow]
    has_models: bool
    extras: list[tuple[str, str]] = field(default_factory=list)
    skills: list[Skill] = field(default_factory=list)
    questions: list[tuple[str, str]] = field(default_factory=list)
    clarity: list[tuple[str, str]] = field(default_factory=list)
    jargon: list[tuple[str, str, int]] = field(default_factory=list)
    risks: list[RiskRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    score_note: str | None = None
    validity: str = ""
    label_note: str = ""
    validity_short: str = ""


def _risks(report: AnalysisReport) -> list[RiskRow]:
    rows = []
    for found in report.metrics.extra.get("risk_turns") or ():
        if not isinstance(found, Mapping) or not isinstance(found.get("turn"), int):
            continue
        index = found["turn"]
        turn = report.turns[index] if 0 <= index < len(report.turns) else None
        rows.append(
            RiskRow(
                turn=index,
                speaker=str(found.get("speaker") or (turn.speaker if turn else "")),
                label=str(found.get("label") or found.get("category") or "risk"),
                words=tuple(str(w) for w in found.get("words") or ()),
                negated=bool(found.get("negated")),
                text=turn.text if turn else "",
            )
        )
    return rows


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:.0f}"
    if value is None:
        return "–"
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return "; ".join(f"{_humanise(str(k))} {_fmt(v)}" for k, v in value.items())
    return str(value)


def _brief(value: Any) -> str:
    """A metric fit for one line: long lists become their count, nested records their size."""
    if isinstance(value, list | tuple) and (
        len(value) > 4 or any(isinstance(v, Mapping) for v in value)
    ):
        return f"{len(value)}"
    if isinstance(value, Mapping) and any(
        isinstance(v, Mapping | list | tuple) for v in value.values()
    ):
        return (
            "; ".join(
                f"{_humanise(str(k))} {_brief(v)}"
                for k, v in value.items()
                if not isinstance(v, Mapping)
            )
            or f"{len(value)} items"
        )
    return _fmt(value)


def _humanise(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


_FLOW_KEYS = {
    "duration_s": "Length",
    "longest_patient_stretch": "Longest patient stretch",
    "opening_statement": "Patient's opening",
    "pauses": "Pauses",
}
_SKILL_HINTS = (
    (
        "agenda_setting_turns",
        "Agenda setting",
        "“Is there anything else you wanted to discuss today?”",
    ),
    ("summary_turns", "Summarising", "“So, to sum up what you've told me…”"),
    ("teach_back_turns", "Teach-back", "“Can you tell me in your own words what you'll do?”"),
    ("ice_turns", "Ideas, concerns, expectations", "“What were you hoping we could do today?”"),
    ("safety_netting_turns", "Safety-netting", "“If it gets worse, come back and see me.”"),
)
_NURSE = (
    ("name", "Name the emotion"),
    ("understand", "Understand"),
    ("respect", "Respect"),
    ("support", "Support"),
    ("explore", "Explore"),
)
_OPPORTUNITY_NOTES = {
    "cue_kind": "Cue",
    "cue_category": "Kind",
    "emotion": "Emotion",
    "topic": "Topic",
    "reason": "Why this label",
    "evidence": "Evidence",
    "flags": "Flags",
    "suggestion_source": "Suggestion from",
}


def _flow_fact(key: str, value: Any) -> str:
    """Metrics about the flow of talk, in words a clinician reads at a glance."""
    if key == "duration_s" and isinstance(value, int | float):
        return clock(float(value))
    if key == "longest_patient_stretch" and isinstance(value, Mapping):
        seconds = value.get("seconds")
        words = value.get("words")
        where = f" (turn #{value.get('turn')})" if value.get("turn") is not None else ""
        if isinstance(seconds, int | float):
            return f"{seconds:.0f} s, {words} words{where}"
        return f"{words} words{where}"
    if key == "opening_statement" and isinstance(value, Mapping):
        length = value.get("duration_s")
        text = f"{length:.0f} s" if isinstance(length, int | float) else "–"
        if value.get("interrupted"):
            return f"{text}, interrupted after {clock(value.get('first_interruption_s'))}"
        return f"{text}, not interrupted"
    if key == "pauses" and isinstance(value, Mapping):
        count = value.get("count")
        longest = value.get("longest_s")
        return f"{count} over {value.get('min_pause_s', 1)} s" + (
            f", longest {longest:.1f} s" if isinstance(longest, int | float) else ""
        )
    return _brief(value)


def _skills(extra: Mapping[str, Any]) -> list[Skill]:
    skills = []
    for key, name, hint in _SKILL_HINTS:
        if key in extra and isinstance(extra[key], list | tuple):
            turns = tuple(
                int(t["turn"] if isinstance(t, Mapping) else t)
                for t in extra[key]
                if isinstance(t, int) or (isinstance(t, Mapping) and isinstance(t.get("turn"), int))
            )  # ice_turns hold {"turn", "kind"}
            skills.append(Skill(name, hint, turns, bool(turns)))
    nurse = extra.get("nurse")
    if isinstance(nurse, Mapping):
        for key, name in _NURSE:
            turns = tuple(int(t) for t in nurse.get(key) or () if isinstance(t, int))
            skills.append(Skill(f"NURSE: {name}", "", turns, bool(turns)))
    return skills


def _questions(extra: Mapping[str, Any]) -> list[tuple[str, str]]:
    mi = extra.get("mi")
    if not isinstance(mi, Mapping):
        return []
    rows = [
        (
            "Questions",
            f"{_fmt(mi.get('questions'))} ({_fmt(mi.get('open_questions'))} open, "
            f"{_fmt(mi.get('closed_questions'))} closed)",
        ),
        (
            "Open questions",
            f"{_fmt(mi.get('percent_open_questions'))}%"
            if mi.get("percent_open_questions") is not None
            else "–",
        ),
        ("Reflections", _fmt(mi.get("reflections"))),
        ("Reflection-to-question ratio", _fmt(mi.get("reflection_to_question"))),
        (
            "Complex reflections",
            f"{_fmt(mi.get('percent_complex_reflections'))}%"
            if mi.get("percent_complex_reflections") is not None
            else "–",
        ),
    ]
    if mi.get("basis"):
        rows.append(("Coded by", str(mi["basis"])))
    return rows


def _clarity(report: AnalysisReport) -> tuple[list[tuple[str, str]], list[tuple[str, str, int]]]:
    extra = report.metrics.extra
    facts = []
    grade = extra.get("clinician_readability_grade")
    if isinstance(grade, int | float):
        facts.append(("Reading grade of clinician speech", f"{grade:.1f}"))
    jargon = extra.get("jargon")
    if isinstance(jargon, Mapping):
        facts.append(
            (
                "Medical terms",
                f"{_fmt(jargon.get('count'))} ({_fmt(jargon.get('unexplained'))} not explained)",
            )
        )
    plain: dict[str, tuple[str, int]] = {}
    for turn in report.turns:
        for found in turn.extra.get("jargon") or ():
            if isinstance(found, Mapping) and found.get("term"):
                term = str(found["term"])
                previous = plain.get(term, (str(found.get("plain") or ""), 0))
                plain[term] = (previous[0], previous[1] + 1)
    return facts, [
        (term, alternative, count) for term, (alternative, count) in sorted(plain.items())
    ]


def _positions(turns: Sequence[TurnAnalysis]) -> tuple[str, list[tuple[float, float]]]:
    """Each turn's (start, end) on the timeline: seconds, or cumulative words when times are missing."""
    if turns and all(t.start is not None and t.end is not None for t in turns):
        return "seconds", [(float(t.start or 0.0), float(t.end or 0.0)) for t in turns]
    spans, clock_words = [], 0.0
    for turn in turns:
        words = max(1, len(turn.text.split()))
        spans.append((clock_words, clock_words + words))
        clock_words += words
    return "words", spans


def _nice_step(total: float, basis: str) -> float:
    target = total / 8 if total > 0 else 1
    steps = (
        (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
        if basis == "seconds"
        else (10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
    )
    return float(next((s for s in steps if s >= target), steps[-1]))


def _segments(turn: TurnAnalysis) -> tuple[Segment, ...]:
    """Split the text so the EPITOME rationale spans can be highlighted (first mechanism wins)."""
    text = turn.text
    marks: list[str | None] = [None] * len(text)
    for mechanism in MECHANISMS:
        for start, end in (turn.rationales or {}).get(mechanism, ()):
            for position in range(max(0, start), min(len(text), end)):
                if marks[position] is None:
                    marks[position] = mechanism
    segments: list[Segment] = []
    for position, char in enumerate(text):
        if segments and segments[-1].mark == marks[position]:
            segments[-1] = Segment(segments[-1].text + char, marks[position])
        else:
            segments.append(Segment(char, marks[position]))
    return tuple(segments) or (Segment(""),)


def _overlaps(
    turns: Sequence[TurnAnalysis], spans: Sequence[tuple[float, float]]
) -> list[tuple[float, float, int, int]]:
    """Stretches where two people speak at once (a sweep over turns sorted by start)."""
    order = sorted(range(len(turns)), key=lambda i: spans[i][0])
    found: list[tuple[float, float, int, int]] = []
    active: list[int] = []
    for i in order:
        start = spans[i][0]
        active = [j for j in active if spans[j][1] > start]
        for j in active:
            if turns[j].speaker != turns[i].speaker:
                end = min(spans[i][1], spans[j][1])
                if end > start:
                    found.append((start, end, j, i))
        active.append(i)
    return found


def _timeline(report: AnalysisReport) -> Timeline:
    turns = report.turns
    basis, spans = _positions(turns)
    total = max((end for _s, end in spans), default=1.0) or 1.0
    scale = (PLOT_RIGHT - PLOT_LEFT) / total
    present = [r for r in ROLE_ORDER if any(str(t.role) == r for t in turns)] or [
        "clinician",
        "patient",
    ]
    marker_row = 14.0
    lanes: list[tuple[str, str, float]] = []
    y = marker_row + 6
    for role in present:
        lanes.append((role, ROLE_LABEL[role], y))
        y += LANE_HEIGHT + LANE_GAP
    lane_y = {role: ly for role, _label, ly in lanes}
    overlap_y = y
    axis_y = overlap_y + 14 + 10
    bars = []
    for turn, (start, end) in zip(turns, spans, strict=True):
        role = str(turn.role)
        when = (
            f"{clock(start)}–{clock(end)}" if basis == "seconds" else f"words {start:.0f}–{end:.0f}"
        )
        preview = turn.text if len(turn.text) <= 90 else turn.text[:87] + "…"
        bars.append(
            Bar(
                x=PLOT_LEFT + start * scale,
                y=lane_y.get(role, lanes[-1][2]),
                width=max(1.2, (end - start) * scale),
                height=LANE_HEIGHT,
                role=role,
                title=f"#{turn.index} {turn.speaker} ({when}): {preview}",
                index=turn.index,
            )
        )
    overlap_bars = [
        Bar(
            x=PLOT_LEFT + start * scale,
            y=overlap_y,
            width=max(1.2, (end - start) * scale),
            height=12,
            role="overlap",
            title=f"Overlap {clock(start)}–{clock(end)}: #{turns[a].index} {turns[a].speaker} and "
            f"#{turns[b].index} {turns[b].speaker}",
        )
        for start, end, a, b in _overlaps(turns, spans)
    ]
    by_index = {t.index: n for n, t in enumerate(turns)}
    markers, links = [], []
    for opportunity in report.opportunities:
        cue_n = by_index.get(opportunity.cue_turn)
        if cue_n is None:
            continue
        cue_x = PLOT_LEFT + spans[cue_n][0] * scale
        cue_turn = turns[cue_n]
        markers.append(
            Marker(
                x=cue_x,
                y=marker_row / 2 + 1,
                kind="cue",
                title=f"Cue at #{cue_turn.index} ({cue_turn.speaker}): {RESPONSE_LABEL[opportunity.response]}",
            )
        )
        response_n = (
            by_index.get(opportunity.response_turn)
            if opportunity.response_turn is not None
            else None
        )
        if response_n is not None:
            response = turns[response_n]
            rx = PLOT_LEFT + spans[response_n][0] * scale
            ry = lane_y.get(str(response.role), lanes[0][2]) + LANE_HEIGHT / 2
            markers.append(
                Marker(
                    x=rx,
                    y=ry,
                    kind=opportunity.response,
                    title=f"#{response.index} {RESPONSE_LABEL[opportunity.response].lower()} the cue at #{cue_turn.index}",
                )
            )
            links.append(Link(cue_x, marker_row / 2 + 1, rx, ry, opportunity.response))
        else:
            markers.append(
                Marker(
                    x=cue_x, y=marker_row / 2 + 1, kind="missed", title="No reply followed the cue"
                )
            )
    step = _nice_step(total, basis)
    ticks = []
    value = 0.0
    while value <= total + 1e-9:
        label = clock(value) if basis == "seconds" else f"{value:.0f}"
        ticks.append(Tick(PLOT_LEFT + value * scale, label))
        value += step
    return Timeline(
        basis=basis,
        height=axis_y + 16,
        lanes=tuple(lanes),
        bars=tuple(bars),
        overlaps=tuple(overlap_bars),
        overlap_y=overlap_y,
        markers=tuple(markers),
        links=tuple(links),
        ticks=tuple(ticks),
        axis_y=axis_y,
    )


def _shares(report: AnalysisReport) -> list[Share]:
    shares = report.metrics.talk_time_share
    counts = report.metrics.turns
    out, x = [], 0.0
    for role in ROLE_ORDER:
        share = float(shares.get(role, 0.0) or 0.0)
        if share <= 0 and not counts.get(role):
            continue
        width = share * 100.0
        words = report.metrics.extra.get("words")
        spoken = words.get(role) if isinstance(words, Mapping) else None
        out.append(
            Share(
                role,
                ROLE_LABEL[role],
                share,
                x,
                width,
                int(counts.get(role, 0)),
                int(spoken) if isinstance(spoken, int | float) else None,
            )
        )
        x += width
    return out


def _empathy(
    report: AnalysisReport, honest: Mapping[int, _Honest] | None = None
) -> tuple[list[EmpathyCell], float, bool, list[tuple[str, float]]]:
    """The strip shows what the chips show: a level over its threshold, else 0; nothing for a
    not-assessable turn or a mechanism that is never shown (`_honesty`)."""
    rules = load_honesty()
    clinician = [t for t in report.turns if str(t.role) == "clinician"]
    available = any(t.empathy is not None for t in clinician)
    width = (PLOT_RIGHT - PLOT_LEFT) / max(1, len(clinician))
    cells = []
    for column, turn in enumerate(clinician):
        entry = honest.get(turn.index) if honest else None
        for row, mechanism in enumerate(MECHANISMS):
            level = None if turn.empathy is None else int(turn.empathy.get(mechanism, 0))
            if entry is not None and level is not None:
                hidden = entry.reason or mechanism in rules.hidden_mechanisms
                shown = {c.key: c.level or 0 for c in entry.empathy}
                level = None if hidden else shown.get(mechanism, 0)
            cells.append(
                EmpathyCell(
                    x=PLOT_LEFT + column * width,
                    y=4 + row * 22.0,
                    width=width,
                    level=level,
                    mechanism=mechanism,
                    index=turn.index,
                    title=f"#{turn.index} {MECHANISM_LABEL[mechanism]}: "
                    + (
                        "not labelled or not shown"
                        if level is None
                        else ("none", "weak", "strong")[min(level, 2)]
                    ),
                )
            )
    means = []
    if available:
        for mechanism in MECHANISMS:
            levels = [
                int(c.level)
                for c in cells
                if c.mechanism == mechanism and c.level is not None
            ]
            if levels:
                means.append((MECHANISM_LABEL[mechanism], sum(levels) / len(levels)))
    return cells, width, available, means


def _card(
    report: AnalysisReport, opportunity: Opportunity, honest: Mapping[int, _Honest]
) -> OpportunityCard:
    by_index = {t.index: t for t in report.turns}
    cue = by_index.get(opportunity.cue_turn)
    reply = (
        by_index.get(opportunity.response_turn) if opportunity.response_turn is not None else None
    )
    notes = tuple(
        (label, _fmt(opportunity.extra[key]).replace("_", " "))
        for key, label in _OPPORTUNITY_NOTES.items()
        if opportunity.extra.get(key) not in (None, "", [], {})
    )
    return OpportunityCard(
        cue_turn=opportunity.cue_turn,
        cue_speaker=cue.speaker if cue else "?",
        cue_when=clock(cue.start) if cue and cue.start is not None else "",
        cue_text=cue.text if cue else "",
        cue_emotions=tuple(c.key for c in honest[cue.index].emotions) if cue else (),
        response=opportunity.response,
        response_turn=opportunity.response_turn,
        response_speaker=reply.speaker if reply else None,
        response_text=reply.text if reply else None,
        suggestion=opportunity.suggestion,
        notes=notes,
        cue_chips=honest[cue.index].emotions if cue else (),
        check=_disagreement(opportunity, honest),
    )


@dataclass(frozen=True)
class _Honest:
    """The chips a turn may show (`_honesty`), and why it shows none."""

    emotions: tuple[Chip, ...]
    empathy: tuple[Chip, ...]
    reason: str | None


def _honest_labels(report: AnalysisReport) -> dict[int, _Honest]:
    """Every turn's chips after thresholds, not-assessable rules and named emotions."""
    rules = load_honesty()
    out: dict[int, _Honest] = {}
    previous, previous_role = "", ""
    for turn in report.turns:
        role = str(turn.role)
        if turn.cue or turn.extra.get("cue_detail"):
            previous_role = ""  # a cue is never a mere answer to a history question
        reason = not_assessable(
            turn.text, role, rules, previous=previous, previous_role=previous_role
        )
        # the reason is shown only where it stands in for a label the model gave
        labelled = any(e != "neutral" for e in turn.emotions or ()) or any(
            level >= 1 for level in (turn.empathy or {}).values()
        )
        out[turn.index] = _Honest(
            emotions=emotion_chips(
                turn.text, role, turn.emotion_scores, turn.emotions, previous=previous,
                previous_role=previous_role, rules=rules,
            )
            if role != "clinician"
            else (),
            empathy=empathy_chips(turn.text, turn.empathy, turn.empathy_scores, rules=rules)
            if role == "clinician"
            else (),
            reason=reason if labelled else None,
        )
        previous, previous_role = turn.text, role
    return out


def _disagreement(opportunity: Opportunity, honest: Mapping[int, _Honest]) -> str | None:
    """A missed cue whose reply the empathy model reads as empathic: say so, never hide either."""
    if opportunity.response != "missed" or opportunity.response_turn is None:
        return None
    shown = honest.get(opportunity.response_turn)
    if shown is None or not shown.empathy:
        return None
    strongest = max(shown.empathy, key=lambda c: ((c.level or 0), c.probability or 0.0))
    return (
        f"Labels disagree: the empathy model reads {mechanism_word(strongest.key, strongest.level or 1)} "
        f"in reply #{opportunity.response_turn} (probability {strongest.probability:.2f}), the "
        "response rules coded this cue missed. Read the reply and judge."
    )


def _label_note() -> str:
    """How chips are chosen, and which labels are never shown, in one sentence."""
    rules = load_honesty()
    hidden = list(rules.hidden_emotions) + [
        mechanism_word(m, 1).split(" ", 1)[1] for m in rules.hidden_mechanisms
    ]
    never = (
        f" Never shown as chips (no threshold reached it on development data): {', '.join(hidden)}."
        if hidden
        else ""
    )
    return (
        "Emotion and empathy chips carry the model's probability and are shown only over a "
        f"threshold at which at least {rules.target_precision:.0%} of them were right on "
        f"development data ({rules.chosen_on.get('emotions', '')}; "
        f"{rules.chosen_on.get('empathy', '')}); greetings, admin and history-taking turns get "
        f"none, and a named emotion (“stressful”) outranks the model.{never}"
    )


def _explained(name: str, part: Mapping[str, Any]) -> Component:
    """A component with the engine's breakdown: 0–1 value, applied weight, points, turns, why."""
    applies = bool(part.get("applies", True))
    points = part.get("points")
    applied = part.get("applied_weight")
    value = part.get("value")
    if not applies or points is None:
        shown = str(part.get("status") or "does not apply")  # v2: "not assessable"
    elif isinstance(applied, int | float):
        shown = f"{_fmt(points)} of {_fmt(round(100 * applied, 1))} pts"
    else:
        shown = f"{_fmt(points)} pts"
    turns = tuple(int(t) for t in part.get("turns") or () if isinstance(t, int))
    details = []
    if isinstance(part.get("weight"), int | float):
        details.append(("Weight", _fmt(part["weight"])))
    return Component(
        name=_humanise(name),
        value=shown,
        fraction=max(0.0, min(1.0, float(value)))
        if isinstance(value, int | float) and applies
        else None,
        details=tuple(details),
        why=str(part["why"]) if part.get("why") else None,
        turns=turns,
        applies=applies,
    )


def _components(report: AnalysisReport) -> list[Component]:
    breakdown: Mapping[str, Any] = getattr(report.score, "breakdown", None) or {}
    out = []
    for name, value in report.score.components.items():
        part = breakdown.get(name)
        if isinstance(part, Mapping):
            out.append(_explained(str(name), part))
            continue
        fraction: float | None = None
        details: list[tuple[str, str]] = []
        shown = value
        if isinstance(value, Mapping):
            for key in ("score", "value", "points"):
                if isinstance(value.get(key), int | float):
                    shown = value[key]
                    break
            else:
                shown = None
            maximum = value.get("max") or value.get("weight")
            if isinstance(shown, int | float) and isinstance(maximum, int | float) and maximum > 0:
                fraction = max(0.0, min(1.0, float(shown) / float(maximum)))
            details = [
                (_humanise(str(k)), _fmt(v))
                for k, v in value.items()
                if k not in {"score", "value", "points"}
            ]
        if fraction is None and isinstance(shown, int | float) and not isinstance(shown, bool):
            fraction = max(0.0, min(1.0, float(shown) if 0 <= shown <= 1 else float(shown) / 100.0))
        out.append(Component(_humanise(str(name)), _fmt(shown), fraction, tuple(details)))
    return out


def _str_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None


def _turn_extras(turn: TurnAnalysis) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Chips (NURSE, agenda, summary, teach-back, warnings) and notes (cue detail, jargon)."""
    extra = turn.extra
    chips: list[str] = [f"NURSE {str(kind).lower()}" for kind in extra.get("nurse") or ()]
    for key, label in (
        ("agenda_setting", "agenda setting"),
        ("safety_netting", "safety-netting"),
        ("summary", "summary"),
        ("teach_back", "teach-back"),
        ("premature_reassurance", "premature reassurance"),
        ("advice", "advice"),
    ):
        if extra.get(key) is True:
            chips.append(label)
    if isinstance(extra.get("ice"), str):
        chips.append(f"ICE: {extra['ice']}")
    if extra.get("overlap") == "interruption":
        chips.append("interruption")
    notes: list[str] = []
    detail = extra.get("cue_detail")
    if isinstance(detail, Mapping):
        parts = [
            str(detail.get(k)).replace("_", " ")
            for k in ("kind", "category", "emotion")
            if detail.get(k)
        ]
        evidence = detail.get("evidence_text")
        said = (
            f": “{'”, “'.join(map(str, evidence))}”"
            if isinstance(evidence, list | tuple) and evidence
            else ""
        )
        notes.append(f"Cue ({', '.join(parts)}){said}")
    for found in extra.get("jargon") or ():
        if isinstance(found, Mapping) and found.get("text"):
            plain = (
                f" → try “{found['plain']}”"
                if found.get("plain") and not found.get("explained")
                else ""
            )
            notes.append(f"Medical term “{found['text']}”{plain}")
    return tuple(chips), tuple(notes)


def _turn_rows(report: AnalysisReport, honest: Mapping[int, _Honest]) -> list[TurnRow]:
    checks: dict[int, list[str]] = {}
    for opportunity in report.opportunities:
        check = _disagreement(opportunity, honest)
        if check and opportunity.response_turn is not None:
            checks.setdefault(opportunity.response_turn, []).append(check)
    responses: dict[int, list[tuple[int, str]]] = {}
    for opportunity in report.opportunities:
        if opportunity.response_turn is not None:
            responses.setdefault(opportunity.response_turn, []).append(
                (opportunity.cue_turn, opportunity.response)
            )
    cue_turns = {o.cue_turn for o in report.opportunities}
    rows = []
    for turn in report.turns:
        when = clock(turn.start) if turn.start is not None else ""
        chips, notes = _turn_extras(turn)
        rows.append(
            TurnRow(
                index=turn.index,
                speaker=turn.speaker,
                role=str(turn.role),
                when=when,
                segments=_segments(turn),
                cue=bool(turn.cue) or turn.index in cue_turns or bool(turn.extra.get("cue_detail")),
                # only the chips `_honesty` lets through: over threshold, assessable, not contradicted
                emotions=tuple(c.key for c in honest[turn.index].emotions),
                empathy=tuple(
                    (MECHANISM_SHORT.get(c.key, c.key), c.level or 0)
                    for c in honest[turn.index].empathy
                ),
                question=turn.question or _str_or_none(turn.extra.get("question_rule")),
                reflection=turn.reflection,
                responds_to=tuple(responses.get(turn.index, ())),
                tags=turn.tags,
                notes=notes,
                chips=chips,
                emotion_chips=honest[turn.index].emotions,
                empathy_chips=honest[turn.index].empathy,
                not_assessable=honest[turn.index].reason,
                checks=tuple(checks.get(turn.index, ())),
            )
        )
    return rows


def build_view(report: AnalysisReport) -> ReportView:
    """Everything the HTML and text reports show about one analysis."""
    metrics = report.metrics
    facts = [
        ("Interruptions", _fmt(metrics.interruptions)),
        (
            "Opening interrupted at",
            clock(metrics.first_interruption_s)
            if metrics.first_interruption_s is not None
            else ("not interrupted" if metrics.interruptions is not None else "–"),
        ),
        ("Talk time measured in", metrics.talk_time_basis),
    ]
    facts += [
        (label, _flow_fact(key, metrics.extra[key]))
        for key, label in _FLOW_KEYS.items()
        if metrics.extra.get(key) is not None
    ]
    counts = {"explored": 0, "acknowledged": 0, "missed": 0}
    for opportunity in report.opportunities:
        counts[opportunity.response] = counts.get(opportunity.response, 0) + 1
    honest = _honest_labels(report)
    cells, width, available, means = _empathy(report, honest)
    clarity, jargon = _clarity(report)
    cards = [_card(report, o, honest) for o in report.opportunities]
    cards.sort(key=lambda c: (c.response != "missed", c.cue_turn))
    has_models = any(t.emotions is not None or t.empathy is not None for t in report.turns)
    return ReportView(
        id=report.id,
        source=report.source,
        version=report.bedside_version,
        ruleset=report.ruleset,
        score=report.score.compassion,
        components=_components(report),
        shares=_shares(report),
        basis=metrics.talk_time_basis,
        turn_counts=[
            (r, ROLE_LABEL[r], int(metrics.turns.get(r, 0)))
            for r in ROLE_ORDER
            if metrics.turns.get(r)
        ],
        facts=facts,
        timeline=_timeline(report),
        empathy_cells=cells,
        empathy_width=width,
        empathy_available=available,
        empathy_means=means,
        cards=cards,
        response_counts=counts,
        turns=_turn_rows(report, honest),
        has_models=has_models,
        extras=[(_humanise(str(k)), _brief(v)) for k, v in report.extra.items() if v is not None],
        skills=_skills(metrics.extra),
        questions=_questions(metrics.extra),
        clarity=clarity,
        jargon=jargon,
        risks=_risks(report),
        warnings=[str(w) for w in metrics.extra.get("warnings") or ()],
        score_note=_str_or_none(metrics.extra.get("score_not_assessable")),
        validity=validity_line(),
        label_note=_label_note(),
        validity_short=validity_line(short=True),
    )
