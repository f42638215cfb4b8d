"""The terminal summary (`--format text`): score, talk balance, cues, the missed ones with a better reply."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bedside.model import AnalysisReport
from bedside.report._view import ROLE_LABEL, build_view

__all__ = ["render_text", "text_renderable"]

_STYLE = {"clinician": "blue", "patient": "dark_orange", "family": "green", "other": "grey50"}
_MARK = {"clinician": "█", "patient": "▒", "family": "░", "other": "·"}
_RESPONSE = {"explored": "● explored", "acknowledged": "◆ acknowledged", "missed": "✕ missed"}


def _clip(text: str, limit: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_renderable(report: AnalysisReport, *, missed_limit: int = 3) -> RenderableType:
    """A concise Rich summary of one analysis (shapes as well as colours, for any terminal)."""
    view = build_view(report)
    head = Text()
    head.append(f"{view.id}", style="bold")
    head.append(
        f"   compassion {view.score if view.score is not None else '–'}/100", style="bold magenta"
    )
    if view.score_note:
        head.append(f" (not assessable: {view.score_note})", style="magenta")
    head.append(
        f"   cues {len(view.cards)}: {view.response_counts['explored']} explored, "
        f"{view.response_counts['acknowledged']} acknowledged, {view.response_counts['missed']} missed"
    )
    bar = Text()
    width = 40
    for share in view.shares:
        cells = round(share.share * width)
        bar.append(_MARK[share.role] * cells, style=_STYLE[share.role])
    balance = Table.grid(padding=(0, 2))
    balance.add_column(style="dim")
    balance.add_column()
    balance.add_row(f"talk ({view.basis})", bar)
    balance.add_row(
        "",
        Text(
            "  ".join(
                f"{_MARK[s.role]} {ROLE_LABEL[s.role]} {s.share:.0%} ({s.turns} turns)"
                for s in view.shares
            )
        ),
    )
    for key, value in view.facts:
        balance.add_row(key.lower(), value)
    for name, mean in view.empathy_means:
        balance.add_row(f"empathy: {name.lower()}", f"{mean:.2f} of 2 (mean per clinician turn)")
    parts: list[RenderableType] = []
    if view.risks:  # first, whatever else the report says: a risk turn is never hidden
        risk = Text()
        for row in view.risks:
            risk.append(row.line + "\n", style="bold")
            risk.append(f"  {row.speaker}: " + _clip(row.text) + "\n")
        risk.append("found by phrase rules, recall first: a prompt to assess, not an assessment")
        parts.append(Panel(risk, title="RISK", title_align="left", border_style="bold red"))
    for warning in view.warnings:
        parts.append(Text(f"warning: {warning}", style="yellow"))
    parts += [head, Text("score: " + view.validity_short, style="italic"), balance]
    parts.append(
        Text(
            "missed cues, with a reply to try:"
            if view.response_counts["missed"]
            else "no missed cues"
        )
    )
    for component in view.components:
        balance.add_row(f"score: {component.name.lower()}", component.value)
    missed = [c for c in view.cards if c.response == "missed"]
    for card in missed[:missed_limit]:
        body = Text()
        body.append(f"{card.cue_speaker} (#{card.cue_turn}): ", style="bold")
        body.append(_clip(card.cue_text) + "\n")
        body.append("reply: ", style="bold")
        body.append(_clip(card.response_text or "(none)") + "\n")
        if card.suggestion:
            body.append("try:   ", style="bold green")
            body.append(_clip(card.suggestion, 200))
        if card.check:
            body.append("\ncheck: ", style="bold yellow")
            body.append(card.check)
        parts.append(Panel(body, title=_RESPONSE["missed"], title_align="left", border_style="red"))
    if len(missed) > missed_limit:
        parts.append(
            Text(f"… and {len(missed) - missed_limit} more missed cues (see --format html)")
        )
    if not view.has_models:
        parts.append(
            Text("analysed without the language models: cues come from phrase rules only; no emotions or empathy levels", style="dim")
        )
    return Panel(Group(*parts), title="bedside", title_align="left")


def render_text(report: AnalysisReport, *, width: int = 100) -> str:
    """The same summary as plain text (no colour codes), for files and tests."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, color_system=None, force_terminal=False, legacy_windows=False
    )
    console.print(text_renderable(report))
    return buffer.getvalue()
