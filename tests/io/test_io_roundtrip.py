"""Hypothesis round trips (cdown/srt style): Conversation -> each writer -> reader == the same.

Each format keeps what it can hold: roles travel in JSON and CSV (other formats take them back
through `roles=`), times to the millisecond in VTT, SRT and text (which has no end times),
metadata only in JSON, and tags as `<TAG/>` markers wherever there is no field for them.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedside.errors import FormatError
from bedside.io import read_conversation, write_conversation
from bedside.model import Conversation, Role, Speaker, Turn

SUFFIX = {
    "json": "json",
    "jsonl": "jsonl",
    "vtt": "vtt",
    "srt": "srt",
    "text": "txt",
    "csv": "csv",
    "textgrid": "TextGrid",
}
TIMED_ONLY = {"vtt", "srt", "textgrid"}

names = st.from_regex(r"[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8})?", fullmatch=True)
words = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9']{0,8}[.,?!]?", fullmatch=True),
    st.sampled_from(["&", "<3", "a&b", "café", "naïve", "8:30", '"quoted"', "it's"]),
)
texts = (
    st.lists(words, min_size=1, max_size=10)
    .map(" ".join)
    .filter(lambda t: any(c.isalnum() for c in t))
)
tag_sets = st.lists(
    st.sampled_from(["UNSURE", "UNIN", "INAUDIBLE_SPEECH"]), unique=True, max_size=2
)
metadata = st.dictionaries(
    st.from_regex(r"[a-z]{1,6}", fullmatch=True), st.integers() | st.text(max_size=5), max_size=3
)


@st.composite
def conversations(draw: Any, *, timed: bool) -> Conversation:
    people = draw(
        st.lists(
            st.tuples(names, st.sampled_from(list(Role))),
            min_size=1,
            max_size=3,
            unique_by=lambda p: p[0],
        )
    )
    clock_ms = draw(st.integers(0, 10_000))
    turns = []
    for _ in range(draw(st.integers(1, 8))):
        name, role = draw(st.sampled_from(people))
        start = end = None
        if timed:
            clock_ms += draw(st.integers(1, 5_000))
            duration = draw(st.integers(1, 20_000))
            start, end = clock_ms / 1000, (clock_ms + duration) / 1000
            clock_ms += duration
        turns.append(
            Turn(
                speaker=Speaker(name=name, role=role),
                text=draw(texts),
                start=start,
                end=end,
                tags=tuple(draw(tag_sets)),
            )
        )
    return Conversation(
        id=draw(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)),
        metadata=draw(metadata),
        turns=tuple(turns),
    )


def essence(conv: Conversation, fmt: str) -> tuple[Any, ...]:
    """What format `fmt` promises to keep."""
    keeps_end = fmt != "text"
    return (
        conv.id,
        dict(conv.metadata) if fmt in {"json", "jsonl"} else None,
        [
            (t.speaker.name, t.role, t.text, t.start, t.end if keeps_end else None, t.tags)
            for t in conv.turns
        ],
    )


def roundtrip(conv: Conversation, fmt: str) -> Conversation:
    written = write_conversation(conv, fmt)
    roles = {s.name: s.role for s in conv.speakers}
    return read_conversation(f"{conv.id}.{SUFFIX[fmt]}", data=written.encode("utf-8"), roles=roles)


@pytest.mark.parametrize("fmt", list(SUFFIX))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_roundtrip(fmt: str, data: st.DataObject) -> None:
    timed = fmt in TIMED_ONLY or data.draw(st.booleans())
    conv = data.draw(conversations(timed=timed))
    assert essence(roundtrip(conv, fmt), fmt) == essence(conv, fmt)


@pytest.mark.parametrize("fmt", sorted(TIMED_ONLY))
def test_timed_formats_refuse_untimed_turns(fmt: str) -> None:
    conv = Conversation(id="c", turns=(Turn(speaker=Speaker(name="A"), text="hi"),))
    with pytest.raises(FormatError, match="needs times"):
        write_conversation(conv, fmt)


def test_unknown_output_format() -> None:
    conv = Conversation(id="c", turns=(Turn(speaker=Speaker(name="A"), text="hi"),))
    with pytest.raises(FormatError, match="cannot write 'docx'"):
        write_conversation(conv, "docx")


def test_textgrid_writer_refuses_overlap_within_one_speaker() -> None:
    turns = (
        Turn(speaker=Speaker(name="A"), text="one", start=0.0, end=2.0),
        Turn(speaker=Speaker(name="A"), text="two", start=1.0, end=3.0),
    )
    with pytest.raises(FormatError, match="overlapping"):
        write_conversation(Conversation(id="c", turns=turns), "textgrid")


def test_names_a_format_cannot_hold_are_refused_not_mangled() -> None:
    for name, formats in (
        ("1st Doctor", ("text", "srt")),
        ("A: B", ("text", "srt")),
        ("<A>", ("vtt",)),
    ):
        conv = Conversation(
            id="c", turns=(Turn(speaker=Speaker(name=name), text="hi", start=0.0, end=1.0),)
        )
        for fmt in formats:
            with pytest.raises(FormatError, match="cannot be written"):
                write_conversation(conv, fmt)
        assert (
            read_conversation("c.json", data=write_conversation(conv, "json").encode())
            .turns[0]
            .speaker.name
            == name
        )
