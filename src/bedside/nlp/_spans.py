"""Turn per-token rationale probabilities into character spans of the response text."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bedside.model.labels import Span

__all__ = ["token_spans"]


def token_spans(
    offsets: Sequence[tuple[int, int]],
    inside: np.ndarray,
    text: str,
    *,
    min_chars: int = 3,
) -> tuple[Span, ...]:
    """Merge runs of tagged tokens into `[start, end)` spans, snapped to whole words.

    A one-token gap between tagged tokens is bridged, because rationales in EPITOME are phrases
    and a single untagged token inside one is nearly always a tagging miss.

    Args:
        offsets: character offsets of each response token in `text`.
        inside: boolean per token, True where the token carries the mechanism.
        text: the response, used to extend spans to word boundaries.
    """
    flags = [bool(f) for f in inside]
    for i in range(1, len(flags) - 1):
        if not flags[i] and flags[i - 1] and flags[i + 1]:
            flags[i] = True
    spans: list[Span] = []
    start = end = -1
    for (tok_start, tok_end), flag in zip(offsets, flags, strict=True):
        if flag and tok_end > tok_start:
            if start < 0:
                start = tok_start
            end = tok_end
        elif start >= 0:
            spans.append((start, end))
            start = -1
    if start >= 0:
        spans.append((start, end))
    snapped: list[Span] = []
    for s, e in spans:
        while s > 0 and text[s - 1].isalnum():
            s -= 1
        while e < len(text) and text[e].isalnum():
            e += 1
        if e - s >= min_chars:
            snapped.append((s, e))
    return tuple(snapped)
