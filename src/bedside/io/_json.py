"""JSON (one conversation) and JSON Lines (one conversation a line, streamed).

    {"id": "c01", "metadata": {"site": "A"},
     "turns": [{"speaker": "Dr Lee", "role": "clinician", "text": "How are you?", "start": 1.2, "end": 3.0}]}

The schema is contracts.md's "Conversation JSON"; a turn may also carry `tags` (a list of
strings), which bedside's own writer emits so that a round trip keeps them. Unknown keys are
ignored so that richer documents (for example an analysis) still read as a transcript.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from bedside.errors import FormatError
from bedside.io._common import TurnBuilder, brief, conversation_id, line_numbers
from bedside.model import Conversation, Role

__all__ = ["conversation_from_document", "read_json", "read_json_documents", "read_jsonl"]


MAX_METADATA_DEPTH = 32
"""Deepest nesting kept in `metadata`. json.loads accepts nearly a thousand levels, but code that
later walks the metadata recursively (json.dumps a few frames deeper, FastAPI's encoder) then
fails with RecursionError, far from the upload that caused it."""


def _depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, measured without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth <= MAX_METADATA_DEPTH:  # deeper is already too deep: stop counting
                stack.extend(
                    (child, depth + 1)
                    for child in (item.values() if isinstance(item, dict) else item)
                )
    return deepest


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON; expected a finite number")


def _loads(text: str, *, source: str, line_offset: int = 0) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise FormatError(
            f"invalid JSON: {error.msg}",
            source=source,
            line=error.lineno + line_offset,
            column=error.colno,
        ) from None
    except (ValueError, RecursionError) as error:
        raise FormatError(
            f"invalid JSON: {error}", source=source, line=line_offset + 1 if line_offset else None
        ) from None


def _time(
    turn: Mapping[str, Any], key: str, where: str, source: str, line: int | None
) -> float | None:
    value = turn.get(key)
    if value is None:
        return None
    seconds = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            seconds = float(value)
        except OverflowError:  # an integer of hundreds of digits
            seconds = math.inf
    if not math.isfinite(seconds):
        raise FormatError(
            f"{where}.{key} is {brief(value)}; expected a finite number of seconds or null",
            source=source,
            line=line,
        )
    return seconds


def conversation_from_document(
    document: Any,
    *,
    source: str,
    default_id: str,
    roles: Mapping[str, Role] | None = None,
    line: int | None = None,
    turn_lines: list[int] | None = None,
) -> Conversation:
    """Check one conversation document (already parsed JSON) and build the Conversation.

    Raises:
        FormatError: the document is not an object with a `turns` list, a turn lacks a string
            `speaker` or `text`, a role is unknown, or a time is not a number (or is reversed).
    """
    if not isinstance(document, dict):
        raise FormatError(
            f"expected a JSON object with a 'turns' list, got {type(document).__name__}",
            source=source,
            line=line,
        )
    turns = document.get("turns")
    if not isinstance(turns, list):
        raise FormatError(
            "expected a 'turns' list in the conversation object", source=source, line=line
        )
    conv_id = document.get("id", default_id)
    if conv_id is None:
        conv_id = default_id
    if not isinstance(conv_id, str | int) or isinstance(conv_id, bool) or not str(conv_id).strip():
        raise FormatError(
            f"'id' is {brief(conv_id)}; expected a non-empty string", source=source, line=line
        )
    metadata = document.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise FormatError("'metadata' must be a JSON object", source=source, line=line)
    if _depth(metadata) > MAX_METADATA_DEPTH:
        raise FormatError(
            f"'metadata' is nested more than {MAX_METADATA_DEPTH} levels deep; "
            'expected a flat object such as {"site": "A"}',
            source=source,
            line=line,
        )
    builder = TurnBuilder(source=source, roles=roles)
    document_line = line
    for index, turn in enumerate(turns):
        where = f"turns[{index}]"
        line = turn_lines[index] if turn_lines and len(turn_lines) == len(turns) else document_line
        if not isinstance(turn, dict):
            raise FormatError(
                f"{where} is not an object; expected {{'speaker': ..., 'text': ...}}",
                source=source,
                line=line,
            )
        speaker, text = turn.get("speaker"), turn.get("text")
        if not isinstance(speaker, str) or not speaker.strip():
            raise FormatError(
                f"{where}.speaker is {brief(speaker)}; expected a non-empty string",
                source=source,
                line=line,
            )
        if not isinstance(text, str):
            raise FormatError(
                f"{where}.text is {brief(text)}; expected a string", source=source, line=line
            )
        role: Role | None = None
        if turn.get("role") is not None:
            try:
                role = Role(str(turn["role"]).lower())
            except ValueError:
                raise FormatError(
                    f"{where}.role {brief(turn['role'])} is unknown; expected one of {', '.join(r.value for r in Role)}",
                    source=source,
                    line=line,
                ) from None
        tags = turn.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise FormatError(f"{where}.tags must be a list of strings", source=source, line=line)
        start, end = (
            _time(turn, "start", where, source, line),
            _time(turn, "end", where, source, line),
        )
        try:
            builder.add(speaker, text, start=start, end=end, role=role, tags=tuple(tags), line=line)
        except FormatError as error:
            raise FormatError(f"{where}: {error.message}", source=source, line=line) from None
    if not builder.turns:
        raise FormatError(
            "conversation has no turns with words; expected at least one",
            source=source,
            line=document_line,
        )
    return Conversation(
        id=str(conv_id), source=source, metadata=metadata, turns=tuple(builder.turns)
    )


_SPEAKER_KEY = re.compile(r'"speaker"\s*:')


def _turn_lines(data: str) -> list[int]:
    """The line of each `"speaker":` key: turn i's line when there is one key per turn."""
    return line_numbers(data, (match.start() for match in _SPEAKER_KEY.finditer(data)))


def read_json(
    data: str, *, source: str = "<string>", roles: Mapping[str, Role] | None = None
) -> Conversation:
    """Read one conversation from a JSON document (contracts.md "Conversation JSON").

    Turns get the line of their `"speaker"` key, so errors and `Turn.line` point into the
    document; when the keys cannot be matched one to one with the turns (a `"speaker"` key in
    the metadata), lines are left out rather than guessed.
    """
    document = _loads(data, source=source)
    return conversation_from_document(
        document,
        source=source,
        default_id=conversation_id(source),
        roles=roles,
        turn_lines=_turn_lines(data),
    )


def read_json_documents(
    data: str, *, source: str = "<string>", roles: Mapping[str, Role] | None = None
) -> Iterator[Conversation]:
    """One conversation from a JSON object, or one per element of a JSON array of them.

    The array is what `bedside convert --to json` writes for several conversations, so that
    output reads back; elements without an `id` get `<stem>-<index>` (1-based).
    """
    if not data.lstrip().startswith("["):
        yield read_json(data, source=source, roles=roles)
        return
    documents = _loads(data, source=source)
    if not documents:
        raise FormatError("the JSON array is empty; expected conversation objects", source=source)
    lines = _turn_lines(data)
    lines_match = len(lines) == _count_turns(documents)  # once: per document it was quadratic
    stem = conversation_id(source)
    used = 0
    for index, document in enumerate(documents, start=1):
        turns = document.get("turns") if isinstance(document, dict) else None
        count = len(turns) if isinstance(turns, list) else 0
        yield conversation_from_document(
            document,
            source=source,
            default_id=f"{stem}-{index}",
            roles=roles,
            turn_lines=lines[used : used + count] if lines_match else None,
        )
        used += count


def _count_turns(documents: list[Any]) -> int:
    return sum(
        len(d["turns"])
        for d in documents
        if isinstance(d, dict) and isinstance(d.get("turns"), list)
    )


def read_jsonl(
    data: str | Iterable[str], *, source: str = "<string>", roles: Mapping[str, Role] | None = None
) -> Iterator[Conversation]:
    """Yield one conversation per non-blank line; lines are parsed one at a time (constant memory).

    `data` may be the whole text or any iterable of lines (an open file), which is how
    `read_conversations` streams a 100 MB file. A conversation without an `id` gets
    `<file stem>-<line number>`. Errors name the line.
    """
    lines = data.split("\n") if isinstance(data, str) else data
    stem = conversation_id(source)
    seen = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        seen = True
        document = _loads(line, source=source, line_offset=number - 1)
        yield conversation_from_document(
            document, source=source, default_id=f"{stem}-{number}", roles=roles, line=number
        )
    if not seen:
        raise FormatError(
            "no conversations found; expected one JSON object per line", source=source
        )
