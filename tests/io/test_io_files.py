"""Bytes at the edge, format detection, discovery, merging and role overrides."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bedside.errors import FormatError
from bedside.io import (
    MAX_FILE_BYTES,
    SUPPORTED_SUFFIXES,
    decode,
    detect_format,
    discover,
    merge_conversations,
    parse_role_overrides,
    read_conversation,
    read_conversations,
    read_text,
)
from bedside.model import Role

OK = Path(__file__).resolve().parents[1] / "fixtures" / "io" / "ok"
TEXT = "Dr Lee: Hello there.\nPatient: Hi. Ça va.\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_decode_handles_boms_and_utf16(encoding: str) -> None:
    assert decode(TEXT.replace("\n", "\r\n").encode(encoding)) == TEXT


def test_decode_rejects_empty_and_whitespace() -> None:
    for data in (b"", b" \n\t"):
        with pytest.raises(FormatError, match="empty"):
            decode(data)


def test_decode_wrong_encoding_names_line_and_column() -> None:
    with pytest.raises(FormatError) as caught:
        decode("Dr: ok\nPatient: café\n".encode("cp1252"), source="visit.txt")
    assert (caught.value.line, caught.value.column) == (2, 13)
    assert str(caught.value).startswith("visit.txt:2:13: byte 0xe9 is not valid UTF-8")


def test_size_limit_for_whole_files(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="50 MB limit"):
        decode(b" " * (MAX_FILE_BYTES + 1))
    big = tmp_path / "huge.vtt"
    with big.open("wb") as handle:  # sparse: no 50 MB written to disk
        handle.write(b"WEBVTT\n")
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(FormatError, match="limit"):
        read_conversation(big)


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.TXT", b"", "text"),
        ("a.TextGrid", b"", "textgrid"),
        ("a.ndjson", b"", "jsonl"),
        ("-", b"WEBVTT\n\n", "vtt"),
        ("-", b'\xef\xbb\xbfFile type = "ooTextFile"\r\n', "textgrid"),
        ("-", 'File type = "ooTextFile"\n'.encode("utf-16"), "textgrid"),
        ("-", b'{"turns": []}\n{"turns": []}\n', "jsonl"),
        ("-", b'{\n  "turns": []\n}\n', "json"),
        ("-", b"1\n00:00:01,000 --> 00:00:02,000\nA: hi\n", "srt"),
        ("-", b"Speaker,Text,Start,End\nA,hi,1,2\n", "csv"),
        ("notes.log", b"[00:01] Dr Lee: hi\n", "text"),
    ],
)
def test_detect_format(name: str, head: bytes, expected: str) -> None:
    assert detect_format(name, head) == expected


def test_detect_format_unknown_is_a_clear_error() -> None:
    with pytest.raises(FormatError, match="cannot tell the transcript format"):
        detect_format("-", b"\x89PNG\r\n\x1a\n")


def test_discover_expands_folders_sorted_and_keeps_stdin(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/z.vtt", "a.TextGrid", "b/c.json", "notes.md", ".hidden.txt"):
        (tmp_path / name).write_text("x")
    odd = tmp_path / "transcript.log"
    odd.write_text("x")
    found = discover([tmp_path, "-", odd])
    assert found == [
        tmp_path / "a.TextGrid",
        tmp_path / "b" / "c.json",
        tmp_path / "b" / "z.vtt",
        Path("-"),
        odd,
    ]
    with pytest.raises(FormatError, match="no such file") as caught:
        discover([tmp_path / "missing.vtt"])
    assert caught.value.source.endswith("missing.vtt")
    assert ".TextGrid" in SUPPORTED_SUFFIXES


def test_unreadable_inputs_are_format_errors(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="folder"):
        read_conversations(tmp_path)
    with pytest.raises(FormatError, match="cannot open"):
        read_conversations(tmp_path / "missing.txt")
    with pytest.raises(FormatError, match="unknown format"):
        read_conversations("x.txt", format="docx", data=b"A: b")


def test_data_argument_and_forced_format() -> None:
    conv = read_conversation("notes.dat", format="text", data=TEXT.encode("utf-16"))
    assert conv.id == "notes"
    assert conv.source == "notes.dat"
    assert [t.text for t in conv.turns] == ["Hello there.", "Hi. Ça va."]


def test_stdin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_bytes(b'{"turns": [{"speaker": "A", "text": "x"}]}\n' * 3)
    with source.open("rb") as handle:
        monkeypatch.setattr(sys, "stdin", type("In", (), {"buffer": handle})())
        conversations = list(read_conversations("-", format="jsonl"))
    assert [c.id for c in conversations] == ["conversation-1", "conversation-2", "conversation-3"]
    assert {c.source for c in conversations} == {"<stdin>"}
    with source.open("rb") as handle:  # no format given: read whole, then detected
        monkeypatch.setattr(sys, "stdin", type("In", (), {"buffer": handle})())
        assert len(list(read_conversations("-"))) == 3


def test_jsonl_line_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import bedside.io._files as files

    monkeypatch.setattr(files, "MAX_LINE_CHARS", 100)
    data = b'{"turns": [{"speaker": "A", "text": "x"}]}\n' + b'{"turns": "' + b"x" * 200 + b'"}\n'
    stream = read_conversations("big.jsonl", data=data)
    assert next(stream).id == "big-1"
    with pytest.raises(FormatError, match="longer than") as caught:
        next(stream)
    assert caught.value.line == 2


def test_merge_orders_by_start_time_stably_and_names_the_stem() -> None:
    doctor = read_text(
        "[00:01] Doctor: Hello.\n[00:05] Doctor: And then?", source="d1_c01_doctor.txt"
    )
    patient = read_text("[00:03] Patient: Hi.\n[00:05] Patient: Well.", source="d1_c01_patient.txt")
    merged = merge_conversations([doctor, patient])
    assert merged.id == "d1_c01"
    assert [t.text for t in merged.turns] == ["Hello.", "Hi.", "And then?", "Well."]
    assert merged.source == "d1_c01_doctor.txt + d1_c01_patient.txt"
    assert merge_conversations([doctor], conv_id="x").id == "x"


def test_merge_untimed_concatenates_and_mixed_is_an_error() -> None:
    untimed = read_text("A: one", source="one.txt")
    other = read_text("B: two", source="two.txt")
    assert [t.text for t in merge_conversations([untimed, other]).turns] == ["one", "two"]
    assert merge_conversations([untimed, other]).id == "one+two"
    timed = read_text("[00:01] A: one", source="t.txt")
    with pytest.raises(FormatError, match="without times"):
        merge_conversations([timed, untimed])
    with pytest.raises(FormatError, match="nothing to merge"):
        merge_conversations([])


def test_role_overrides() -> None:
    roles = parse_role_overrides(["Dr Lee=clinician", "Sam = Family", "a=b=patient"])
    assert roles == {"Dr Lee": Role.CLINICIAN, "Sam": Role.FAMILY, "a=b": Role.PATIENT}
    for bad, words in (("Dr Lee", "NAME=ROLE"), ("=patient", "NAME=ROLE"), ("X=boss", "unknown")):
        with pytest.raises(FormatError, match=words) as caught:
            parse_role_overrides([bad])
        assert str(caught.value).startswith("--role: ")
    conv = read_text("Sam: Is she OK?\nDr Lee: Yes.", roles=roles)
    assert [t.role for t in conv.turns] == [Role.FAMILY, Role.CLINICIAN]


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bedside.io._files as files

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "open", refuse, raising=False)  # root could read a chmod 0 file
    with pytest.raises(FormatError, match="cannot open \\(Permission denied\\)"):
        read_conversations(tmp_path / "locked.txt")
