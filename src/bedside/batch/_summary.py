"""The `--summary summary.csv` of a batch: one row per conversation, for a spreadsheet or pandas.

Rows are built from the `bedside.analysis/1` documents, so a resumed batch can rebuild the rows of
the analyses an earlier run already wrote.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["FIXED_COLUMNS", "Cell", "summary_row", "write_summary"]

ROLES = ("clinician", "patient", "family", "other")
RESPONSES = ("explored", "acknowledged", "missed")

FIXED_COLUMNS: tuple[str, ...] = (
    "id",
    "source",
    "compassion",
    "turns",
    *(f"turns_{role}" for role in ROLES),
    "talk_time_basis",
    *(f"talk_share_{role}" for role in ROLES),
    "interruptions",
    "first_interruption_s",
    "cues",
    *RESPONSES,
)

Cell = str | int | float | bool | None


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def summary_row(document: Mapping[str, Any]) -> dict[str, Cell]:
    """The summary of one analysis document.

    Fixed columns first (score, turns and talk share per role, interruptions, cue counts by
    response); then any scalar metric the engine adds (`metric_<name>`, for example MI ratios)
    (one level of a nested record too, `metric_<name>_<field>`, for example
    `metric_mi_percent_open_questions`) and each scalar score component (`score_<name>`), so new
    engine figures reach the CSV
    without a change here.
    """
    metrics: Mapping[str, Any] = document.get("metrics") or {}
    turns: list[Mapping[str, Any]] = list(document.get("turns") or [])
    opportunities: list[Mapping[str, Any]] = list(document.get("opportunities") or [])
    score: Mapping[str, Any] = document.get("score") or {}
    shares: Mapping[str, float] = metrics.get("talk_time_share") or {}
    counts: Mapping[str, int] = metrics.get("turns") or {}
    row: dict[str, Cell] = {
        "id": document.get("id"),
        "source": document.get("source"),
        "compassion": score.get("compassion"),
        "turns": len(turns),
        "talk_time_basis": metrics.get("talk_time_basis"),
        "interruptions": metrics.get("interruptions"),
        "first_interruption_s": metrics.get("first_interruption_s"),
        "cues": sum(1 for turn in turns if turn.get("cue")),
    }
    for role in ROLES:
        row[f"turns_{role}"] = counts.get(role, 0)
        share = shares.get(role)
        row[f"talk_share_{role}"] = round(share, 4) if isinstance(share, float) else share or 0.0
    for response in RESPONSES:
        row[response] = sum(1 for o in opportunities if o.get("response") == response)
    known = {"talk_time_basis", "talk_time_share", "turns", "interruptions", "first_interruption_s"}
    for key, value in metrics.items():
        if key in known:
            continue
        if _scalar(value):
            row[f"metric_{key}"] = value
        elif key == "risk_turns" and isinstance(value, list):  # the turns, so none is missed
            row["metric_risk_turns"] = " ".join(
                str(r.get("turn")) for r in value if isinstance(r, Mapping)
            )
        elif key == "warnings" and isinstance(value, list):
            row["metric_warnings"] = " | ".join(str(w) for w in value)
        elif isinstance(value, Mapping):  # one level down: MI ratios, words per role, the opening
            for inner, item in value.items():
                if _scalar(item):
                    row[f"metric_{key}_{inner}"] = item
    components: Mapping[str, Any] = score.get("components") or {}
    for key, value in components.items():
        if _scalar(value):
            row[f"score_{key}"] = value
        elif isinstance(value, Mapping):
            for inner in ("score", "value", "points"):
                if _scalar(value.get(inner)) and value.get(inner) is not None:
                    row[f"score_{key}"] = value[inner]
                    break
    return row


def write_summary(path: Path, rows: Iterable[Mapping[str, Cell]]) -> int:
    """Write the rows as CSV (atomically: a temporary file renamed into place); returns the count."""
    materialised = list(rows)
    extra: list[str] = []
    for row in materialised:
        extra.extend(key for key in row if key not in FIXED_COLUMNS and key not in extra)
    columns = [*FIXED_COLUMNS, *sorted(extra)]
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="", extrasaction="ignore")
        writer.writeheader()
        for row in materialised:
            writer.writerow({key: "" if value is None else value for key, value in row.items()})
    os.replace(temporary, path)
    return len(materialised)
