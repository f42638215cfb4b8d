"""Contract every registered reader must meet (scikit-learn's check_estimator idea).

Good fixtures read into a sound Conversation; each bad fixture (one failure mode per file,
webvtt-py style) raises FormatError naming the file and, where the format allows, the line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bedside.errors import FormatError
from bedside.io import FORMATS, READERS, detect_format, read_conversations, read_jsonl
from bedside.io._tags import TAG
from bedside.model import Conversation, Role

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"
OK = sorted((FIXTURES / "ok").iterdir())

# file -> (line the error must name, or None when the format has no line for it; words expected)
BAD: dict[str, tuple[int | None, str]] = {
    "binary.txt": (1, "NUL bytes"),
    "csv_bad_header.csv": (1, "expected columns speaker,text"),
    "csv_bad_number.csv": (3, "not a number"),
    "csv_negative_time.csv": (3, "negative"),
    "csv_ragged_row.csv": (3, "expected 2"),
    "csv_truncated.csv": (3, "unexpected end of data"),
    "empty.vtt": (None, "empty"),
    "json_nan.json": (None, "NaN"),
    "json_start_after_end.json": (1, "start <= end"),
    "json_text_not_string.json": (2, "turns[1].text is 42; expected a string"),
    "json_truncated.json": (3, "invalid JSON"),
    "jsonl_bad_line.jsonl": (4, "invalid JSON"),
    "latin1.txt": (2, "not valid UTF-8"),
    "negative_time.TextGrid": (20, "negative"),
    "negative_time_short.TextGrid": (15, "negative"),
    "reversed_time.TextGrid": (22, "start <= end"),
    "srt_bad_timestamp.srt": (5, "expected a subtitle block"),
    "srt_reversed_time.srt": (3, "start <= end"),
    "srt_truncated.srt": (5, "expected a subtitle block"),
    "text_bad_time.txt": (2, "expected [hh:mm:ss] or [mm:ss]"),
    "text_no_speaker.txt": (1, "expected 'Speaker: text'"),
    "text_only_tags.txt": (None, "no turns"),
    "truncated.TextGrid": (22, "truncated"),
    "truncated_tier.TextGrid": (26, "declares 4 entries but 3"),
    "vtt_missing_arrow.vtt": (6, "expected a cue timing"),
    "vtt_no_header.vtt": (1, "WEBVTT"),
    "vtt_no_speaker.vtt": (4, "names no speaker"),
    "vtt_reversed_time.vtt": (4, "start <= end"),
    "vtt_truncated.vtt": (6, "malformed cue timing"),
}


def test_every_format_is_registered_and_has_an_ok_fixture() -> None:
    covered = {detect_format(str(path), path.read_bytes()[:4096]) for path in OK}
    assert covered == set(FORMATS)
    assert set(READERS) | {"jsonl"} == set(FORMATS)


def test_every_bad_fixture_is_listed() -> None:
    assert {path.name for path in (FIXTURES / "bad").iterdir()} == set(BAD)


def _check_sound(conv: Conversation, path: Path) -> None:
    assert conv.turns, path
    assert conv.source == str(path)
    assert conv.id
    for turn in conv.turns:
        assert turn.text == " ".join(turn.text.split())
        assert not TAG.search(turn.text), turn.text
        assert turn.speaker.name.strip()
        assert isinstance(turn.role, Role)
        if turn.start is not None and turn.end is not None:
            assert 0 <= turn.start <= turn.end
    assert any(turn.role is Role.CLINICIAN for turn in conv.turns)


@pytest.mark.parametrize("path", OK, ids=lambda p: p.name)
def test_ok_fixture_reads_into_a_sound_conversation(path: Path) -> None:
    conversations = list(read_conversations(path))
    for conv in conversations:
        _check_sound(conv, path)
    lines = [t.line for conv in conversations for t in conv.turns]
    assert all(isinstance(line, int) and line >= 1 for line in lines), lines


@pytest.mark.parametrize("path", OK, ids=lambda p: p.name)
def test_reader_takes_text_and_applies_role_overrides(path: Path) -> None:
    fmt = detect_format(str(path), path.read_bytes()[:4096])
    text = path.read_bytes().decode("utf-16" if "utf16" in path.name else "utf-8-sig")
    text = text.replace("\r\n", "\n")
    result = (
        READERS[fmt](text, source=str(path), roles={"Dr Lee": Role.FAMILY})
        if fmt in READERS
        else None
    )
    conversations = (
        [result]
        if result is not None
        else list(read_jsonl(text, source=str(path), roles={"Dr Lee": Role.FAMILY}))
    )
    turns = [turn for conv in conversations if conv for turn in conv.turns]
    assert turns
    assert all(t.role is Role.FAMILY for t in turns if t.speaker.name == "Dr Lee")
    assert all(t.role is not Role.FAMILY for t in turns if t.speaker.name != "Dr Lee")


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_fixture_raises_format_error_with_its_line(name: str) -> None:
    path = FIXTURES / "bad" / name
    line, words = BAD[name]
    with pytest.raises(FormatError) as caught:
        list(read_conversations(path))
    error = caught.value
    assert error.source == str(path)
    assert error.line == line
    assert words in error.message
    assert str(error).startswith(f"{path}:{line}:" if line else f"{path}: ")


ALL_READERS = {**READERS, "jsonl": lambda data, **kw: list(read_jsonl(data, **kw))}


@pytest.mark.parametrize("fmt", sorted(ALL_READERS))
@pytest.mark.parametrize("data", ["", " \n\n", "\x00\x01\x02", "garbage that is no transcript"])
def test_every_reader_refuses_junk_with_format_error(fmt: str, data: str) -> None:
    with pytest.raises(FormatError) as caught:
        ALL_READERS[fmt](data, source=f"junk.{fmt}")
    assert caught.value.source == f"junk.{fmt}"
    assert caught.value.message


@pytest.mark.parametrize("fmt", sorted(ALL_READERS))
def test_every_reader_is_pure_and_deterministic(fmt: str) -> None:
    path = next(p for p in OK if detect_format(str(p), p.read_bytes()[:4096]) == fmt)
    text = path.read_bytes().decode("utf-16" if "utf16" in path.name else "utf-8-sig")
    first = ALL_READERS[fmt](text, source=str(path))
    assert ALL_READERS[fmt](text, source=str(path)) == first
