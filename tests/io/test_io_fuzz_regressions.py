"""Every input that once crashed or hung a reader (tests/fixtures/io/fuzz/<reader>/) now parses
or raises FormatError within 2 s.

The folder's name is the fuzz target of bench/fuzz.py: a format, or `detect` for a file whose
format is found from its content. bench/fuzz.py saves what it finds there; issue 11's inputs
and the ones found by reading the readers are kept there too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[1] / "fixtures" / "io" / "fuzz"
TARGETS = ("text", "vtt", "srt", "textgrid", "csv", "json", "jsonl", "detect")
CASES = sorted(
    (folder.name, path)
    for folder in FUZZ.iterdir()
    if folder.is_dir()
    for path in folder.iterdir()
    if path.is_file()
)


def test_every_folder_is_a_fuzz_target() -> None:
    assert CASES
    assert {reader for reader, _ in CASES} <= set(TARGETS)


@pytest.mark.parametrize(("reader", "path"), CASES, ids=[f"{r}/{p.name}" for r, p in CASES])
def test_saved_input_parses_or_raises_format_error_within_2_s(read_within, reader, path) -> None:
    fmt = None if reader == "detect" else reader
    name = f"fuzz.{fmt}" if fmt else "fuzz"
    outcome = read_within(path.read_bytes(), fmt, name, seconds=2.0)
    assert outcome.kind in {"ok", "format_error"}
    if outcome.kind == "ok":
        assert outcome.conversations >= 1
    else:
        assert outcome.message
