"""Evaluation measures used for model selection, the manifest and the benchmark."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = ["binary_f1", "macro_f1", "rationale_token_f1", "word_set"]


def macro_f1(truth: Sequence[object], predicted: Sequence[object], classes: Sequence[object]) -> float:
    """Unweighted mean F1 over `classes` that occur in truth or prediction."""
    scores = []
    for c in classes:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == c and p == c)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != c and p == c)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == c and p != c)
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def binary_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    """F1 of the positive class of two boolean arrays."""
    tp = float(np.sum(truth & predicted))
    denominator = float(np.sum(truth) + np.sum(predicted))
    return 2 * tp / denominator if denominator else 0.0


def word_set(text: str, spans: Sequence[tuple[int, int]]) -> set[int]:
    """Indices of the words of `text` that overlap any span."""
    words = [m.span() for m in re.finditer(r"\S+", text)]
    return {i for i, (s, e) in enumerate(words) if any(s < se and e > ss for ss, se in spans)}


def rationale_token_f1(
    texts: Sequence[str],
    gold: Sequence[Sequence[tuple[int, int]]],
    predicted: Sequence[Sequence[tuple[int, int]]],
) -> float:
    """Mean per-response word-level F1 of predicted vs gold rationales (EPITOME's T-F1 idea).

    Responses where both gold and prediction are empty are skipped; where only one is empty
    the response scores 0.
    """
    scores = []
    for text, g, p in zip(texts, gold, predicted, strict=True):
        gs, ps = word_set(text, g), word_set(text, p)
        if not gs and not ps:
            continue
        overlap = len(gs & ps)
        scores.append(2 * overlap / (len(gs) + len(ps)))
    return float(np.mean(scores)) if scores else 0.0
