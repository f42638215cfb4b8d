"""Several single-speaker transcripts made into one conversation on one timeline (`--merge`).

PriMock57 records each side of a consultation in its own TextGrid
(`day1_consultation01_doctor.TextGrid`, `day1_consultation01_patient.TextGrid`); the analysis
needs them interleaved by time, as they were spoken.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bedside.errors import FormatError
from bedside.model import Conversation

__all__ = ["common_stem", "merge_conversations"]

_PARTS = re.compile(r"([_\-.\s]+)")


def common_stem(ids: list[str]) -> str:
    """The shared leading `_`-separated parts: `c01_doctor` + `c01_patient` -> `c01`."""
    if not ids:
        return "merged"
    split = [_PARTS.split(item) for item in ids]
    shared: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    stem = "".join(shared).rstrip("_-. \t")
    if len(ids) == 1:
        return ids[0]
    return stem or "+".join(ids)


def merge_conversations(
    conversations: Iterable[Conversation], *, conv_id: str | None = None
) -> Conversation:
    """One conversation holding every turn, ordered by start time (stable: ties keep input order).

    Transcripts without times are concatenated in input order instead.

    Raises:
        FormatError: nothing to merge, or some inputs have times and others do not (there is no
            honest way to interleave them).
    """
    items = list(conversations)
    if not items:
        raise FormatError("nothing to merge; expected at least one conversation")
    turns = [turn for conv in items for turn in conv.turns]
    timed = [turn.start is not None for turn in turns]
    if all(timed):
        turns.sort(key=lambda turn: turn.start or 0.0)
    elif any(timed):
        untimed = next(conv for conv in items if any(turn.start is None for turn in conv.turns))
        raise FormatError(
            "cannot merge: this input has turns without times while others have times; "
            "expected every input timed, or none",
            source=untimed.source,
        )
    ids = [conv.id for conv in items]
    return Conversation(
        id=conv_id or common_stem(ids),
        source=" + ".join(conv.source for conv in items),
        metadata={"merged_from": ids},
        turns=tuple(turns),
    )
