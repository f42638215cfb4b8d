"""Fuzzing: random and mutated bytes into every reader; the only exception allowed out is FormatError."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedside.errors import FormatError
from bedside.io import FORMATS, READERS, read_conversations, read_jsonl

OK = Path(__file__).resolve().parents[1] / "fixtures" / "io" / "ok"
SEEDS = {path.name: path.read_bytes() for path in sorted(OK.iterdir())}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_all(data: bytes, fmt: str | None, name: str = "fuzz") -> None:
    try:
        for conv in read_conversations(name, format=fmt, data=data):
            assert conv.turns
    except FormatError as error:
        assert error.message
        str(error)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "duplicate", "truncate", "splice"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [
                        b"-",
                        b"-->",
                        b'"',
                        b"<",
                        b"\x00",
                        b"\r",
                        b"\n\n",
                        b"NaN",
                        b"1e309",
                        b"-5",
                        b"\xff\xfe",
                        b"\xe9",
                    ]
                )
                | st.binary(max_size=8)
            )
        elif op == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 60))]
        elif op == "truncate":
            del data[at:]
        elif op == "splice":
            other = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
            data[at:at] = other[: draw(st.integers(0, len(other)))]
    return name, bytes(data)


@pytest.mark.parametrize("fmt", [*FORMATS, None])
@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(fmt: str | None, data: bytes) -> None:
    read_all(data, fmt)


@pytest.mark.parametrize("fmt", [*FORMATS, None])
@FUZZ
@given(case=mutated())
def test_mutated_fixtures(fmt: str | None, case: tuple[str, bytes]) -> None:
    name, data = case
    read_all(data, fmt, name=name if fmt is None else "fuzz")


@FUZZ
@given(text=st.text(max_size=300))
def test_random_text_in_every_format(text: str) -> None:
    for fmt in FORMATS:
        read_all(text.encode("utf-8"), fmt)


@FUZZ
@given(
    text=st.text(
        alphabet=st.sampled_from(list('ab:[]01<>/\\-.,"{}&\r\n\t\x00 ')) | st.characters(),
        max_size=200,
    )
)
def test_reader_functions_take_any_text(text: str) -> None:
    """The `read_xxx(data: str)` functions, called directly (no decoding step in front)."""
    for fmt, reader in READERS.items():
        with contextlib.suppress(FormatError):
            assert reader(text, source=f"fuzz.{fmt}").turns
    with contextlib.suppress(FormatError):
        for conv in read_jsonl(text):
            assert conv.turns
