"""The results file of a batch: append-only, crash-tolerant, resumable, single-writer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bedside.batch import JsonlStore
from bedside.errors import BedsideError, FormatError


def _doc(conv_id: str) -> dict[str, object]:
    return {"schema": "bedside.analysis/1", "id": conv_id, "turns": [], "text": "é ünïcode"}


def test_append_then_reopen_knows_what_is_done(tmp_path: Path) -> None:
    path = tmp_path / "out" / "results.jsonl"
    with JsonlStore(path) as store:
        assert store.open() == 0
        store.append(_doc("a"))
        store.append(_doc("b"))
    store = JsonlStore(path)
    previous: list[dict[str, object]] = []
    assert store.open(previous.append) == 2
    store.close()
    assert [d["id"] for d in previous] == ["a", "b"]
    assert store.done == {"a", "b"}
    assert store.torn_line is None
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a", "b"]


def test_torn_last_line_is_cut_and_earlier_lines_kept(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    with JsonlStore(path) as store:
        store.open()
        store.append(_doc("a"))
        store.append(_doc("b"))
    good = path.read_bytes()
    path.write_bytes(
        good + b'{"schema": "bedside.analysis/1", "id": "c", "tur'
    )  # a crash mid-write
    store = JsonlStore(path)
    previous: list[dict[str, object]] = []
    store.open(previous.append)
    store.append(_doc("c"))
    store.close()
    assert store.torn_line == 3
    assert [d["id"] for d in previous] == ["a", "b"]
    assert path.read_bytes().startswith(good)
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == ["a", "b", "c"]


def test_torn_first_line_empties_the_file(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_bytes(b'{"id": "half')
    store = JsonlStore(path)
    assert store.open() == 0
    store.close()
    assert store.torn_line == 1
    assert path.read_bytes() == b""


def test_corrupt_complete_line_refuses_to_append(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    original = b'{"id": "a"}\nnot json at all\n{"id": "b"}\n'
    path.write_bytes(original)
    with pytest.raises(FormatError) as raised:
        JsonlStore(path).open()
    assert str(raised.value).startswith(f"{path}:2: not a JSON analysis")
    assert path.read_bytes() == original


def test_line_without_id_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_bytes(b'{"id": "a"}\n[1, 2]\n')
    with pytest.raises(FormatError, match=r":2: expected a bedside\.analysis/1 object"):
        JsonlStore(path).open()


def test_second_writer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    first = JsonlStore(path)
    first.open()
    try:
        with pytest.raises(BedsideError, match="another bedside run"):
            JsonlStore(path).open()
    finally:
        first.close()
    second = JsonlStore(path)
    second.open()
    second.close()
