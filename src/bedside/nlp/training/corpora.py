"""Readers for the shared training corpora (EPITOME and GoEmotions-Ekman), with clear errors."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bedside.errors import FormatError
from bedside.model.labels import EMOTIONS, MECHANISMS

__all__ = ["EmotionExample", "EmpathyExample", "rationale_spans", "read_epitome", "read_goemotions"]


@dataclass(frozen=True)
class EmpathyExample:
    """One EPITOME (seeker post, response) pair with levels and rationale substrings."""

    seeker: str
    response: str
    levels: tuple[int, int, int]
    rationales: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class EmotionExample:
    """One GoEmotions comment with its Ekman label ids."""

    text: str
    labels: tuple[int, ...]


def read_epitome(path: Path) -> list[EmpathyExample]:
    """Read an EPITOME split (`train.csv` or `dev.csv`)."""
    if not path.is_file():
        raise FormatError("EPITOME split not found; set BEDSIDE_DATA_DIR", source=str(path))
    examples = []
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                levels = tuple(int(row[m]) for m in MECHANISMS)
                rationales = tuple(
                    tuple(s for s in (row[f"{m}_rationales"] or "").split("|") if s.strip())
                    for m in MECHANISMS
                )
            except (KeyError, ValueError) as error:
                raise FormatError(
                    f"expected EPITOME columns with levels 0-2 ({error})", source=str(path), line=line
                ) from None
            examples.append(
                EmpathyExample(row["seeker_post"], row["response_post"], levels, rationales)  # type: ignore[arg-type]
            )
    return examples


def read_goemotions(path: Path) -> list[EmotionExample]:
    """Read a GoEmotions-Ekman split (`train.tsv` / `dev.tsv`: text, label ids, comment id)."""
    if not path.is_file():
        raise FormatError("GoEmotions split not found; set BEDSIDE_DATA_DIR", source=str(path))
    examples = []
    with path.open(encoding="utf-8") as handle:
        for line, raw in enumerate(handle, start=1):
            parts = raw.rstrip("\n").split("\t")
            if len(parts) < 2:
                raise FormatError("expected text<TAB>label ids<TAB>id", source=str(path), line=line)
            try:
                labels = tuple(int(x) for x in parts[1].split(",") if x)
            except ValueError:
                raise FormatError("label ids must be integers", source=str(path), line=line) from None
            if any(not 0 <= x < len(EMOTIONS) for x in labels):
                raise FormatError("label id out of range", source=str(path), line=line)
            examples.append(EmotionExample(parts[0], labels))
    return examples


def emotion_matrix(examples: list[EmotionExample]) -> np.ndarray:
    """0/1 matrix `(n, 7)` of the examples' labels."""
    matrix = np.zeros((len(examples), len(EMOTIONS)), np.float32)
    for row, example in enumerate(examples):
        matrix[row, list(example.labels)] = 1.0
    return matrix


def rationale_spans(text: str, substrings: tuple[str, ...]) -> list[tuple[int, int]]:
    """Character spans of the rationale substrings in the response (first match of each)."""
    spans = []
    for piece in substrings:
        start = text.find(piece.strip())
        if start >= 0:
            spans.append((start, start + len(piece.strip())))
    return spans
