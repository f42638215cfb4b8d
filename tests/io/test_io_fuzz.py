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


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**500), max_value=10**500)
    | st.floats(allow_nan=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
turn_documents = st.dictionaries(
    st.sampled_from(["speaker", "text", "start", "end", "role", "tags"]), json_values
) | st.fixed_dictionaries(
    {"speaker": st.text(max_size=5), "text": st.text(max_size=20)},
    optional={"start": json_values, "end": json_values, "role": json_values, "tags": json_values},
)
numbers = st.sampled_from(
    ["1e5", "-0", "nan", "inf", "1.2.3", "9" * 400, "-3", "", "0x10", "1_0"]
) | st.from_regex(r"-?\d{1,4}(\.\d{1,4})?", fullmatch=True)


@FUZZ
@given(
    document=st.fixed_dictionaries(
        {"turns": st.lists(turn_documents, max_size=4)},
        optional={"id": json_values, "metadata": json_values},
    )
    | json_values
)
def test_structured_json(document: object) -> None:
    import json

    try:
        encoded = json.dumps(document).encode()
    except ValueError:  # integers beyond Python's str conversion limit
        return
    read_all(encoded, "json")
    read_all(encoded.replace(b"\n", b" ") + b"\n", "jsonl")


@FUZZ
@given(start=numbers, end=numbers, label=st.text(max_size=20), short=st.booleans())
def test_structured_textgrid(start: str, end: str, label: str, short: bool) -> None:
    text = (OK / ("sample_short.TextGrid" if short else "sample.TextGrid")).read_text()
    text = text.replace("3.5", start, 1).replace("10.25", end, 1).replace("Good morning.", label, 1)
    read_all(text.encode(), "textgrid")


@FUZZ
@given(cells=st.lists(st.lists(st.text(max_size=8) | numbers, min_size=1, max_size=5), max_size=4))
def test_structured_csv(cells: list[list[str]]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["speaker", "text", "start", "end"])
    writer.writerows(cells)
    read_all(buffer.getvalue().encode(), "csv")


@FUZZ
@given(start=numbers, end=numbers, hours=st.from_regex(r"\d{1,5}", fullmatch=True))
def test_structured_subtitles(start: str, end: str, hours: str) -> None:
    read_all(f"WEBVTT\n\n{hours}:00:{start}.000 --> 00:00:{end}.000\n<v A>hi\n".encode(), "vtt")
    read_all(f"1\n{hours}:00:{start},000 --> 00:00:{end},000\nA: hi\n".encode(), "srt")
    read_all(f"[{hours}:{start}] A: hi\n".encode(), "text")
