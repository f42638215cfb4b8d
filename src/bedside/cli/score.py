"""`bedside score INSTRUMENT ANSWER... [--format json|text]` (contracts.md "Questionnaire scoring")."""

from __future__ import annotations

import json
import sys
from enum import StrEnum

import typer

from bedside.errors import ScoringError
from bedside.instruments import INSTRUMENT_IDS, SafetyStatus, Score, get_instrument, score


class OutputFormat(StrEnum):
    """Output formats of `bedside score`."""

    json = "json"
    text = "text"


def _parse_answer(raw: str, position: int, instrument_id: str) -> int:
    try:
        return int(raw, 10)
    except ValueError:
        raise ScoringError(
            f"{instrument_id} answer {position} {raw!r} is not a whole number; give item scores as published"
        ) from None


def render_text(result: Score) -> str:
    """A short human summary; PHQ-9 item 9 is always spelled out, never shown as "no risk"."""
    instrument = get_instrument(result.instrument, result.version)
    lines = [f"{instrument.title}"]
    if result.total is None:
        lines.append(
            f"Incomplete: items {', '.join(map(str, result.missing))} not answered; no total."
        )
    else:
        top = instrument.max_total
        total = f"Total: {result.total} / {top}"
        if result.percentage is not None:
            total += f" (percentage {result.percentage} / {top * (instrument.percentage_multiplier or 1)})"
        lines.append(total)
        if result.band is not None:
            label = next(band.label for band in instrument.bands if band.name == result.band)
            lines.append(f"Band: {label}")
        lines.append(f"Screen: {'positive' if result.positive else 'negative'}")
    for flag in result.flags:
        lines.append(f"Flag: {flag}")
    if result.safety is not None:
        marker = "SAFETY: " if result.safety is not SafetyStatus.NOT_ENDORSED else "Note: "
        lines.append(marker + result.safety.clinician_text)
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add `bedside score` to the app."""

    @app.command("score")
    def score_command(
        instrument: str = typer.Argument(..., help=f"One of: {', '.join(INSTRUMENT_IDS)}."),
        answers: list[str] = typer.Argument(  # noqa: B008
            ..., help="Item scores as published, in item order (PHQ/GAD 0-3, WHO-5 0-5)."
        ),
        output_format: OutputFormat | None = typer.Option(  # noqa: B008
            None, "--format", help="json or text (default: text on a terminal, json otherwise)."
        ),
    ) -> None:
        """Score a validated questionnaire exactly as published (totals, bands, screens, safety flags)."""
        get_instrument(instrument)  # unknown instrument: a clear error before the answers
        values = [
            _parse_answer(raw, number, instrument) for number, raw in enumerate(answers, start=1)
        ]
        result = score(instrument, values)
        chosen = output_format or (OutputFormat.text if sys.stdout.isatty() else OutputFormat.json)
        if chosen is OutputFormat.json:
            typer.echo(json.dumps(result.to_json()))
        else:
            typer.echo(render_text(result))
