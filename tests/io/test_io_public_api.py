"""The public API of bedside.io that other areas build on (httpx's test_exported_members idea)."""

from __future__ import annotations

import inspect

import bedside.io as bio


def test_all_names_exist_and_nothing_private_is_exported() -> None:
    for name in bio.__all__:
        assert hasattr(bio, name), name
        assert not name.startswith("_")


def test_reader_signatures() -> None:
    for reader in (*bio.READERS.values(), bio.read_jsonl):
        parameters = inspect.signature(reader).parameters
        assert list(parameters) == ["data", "source", "roles"]
        assert parameters["source"].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters["source"].default == "<string>"
        assert parameters["roles"].default is None


def test_file_level_signatures() -> None:
    for function in (bio.read_conversations, bio.read_conversation):
        parameters = inspect.signature(function).parameters
        assert list(parameters) == ["source", "format", "roles", "data"]
        assert all(
            parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
            for name in ("format", "roles", "data")
        )
    assert list(inspect.signature(bio.merge_conversations).parameters) == [
        "conversations",
        "conv_id",
    ]
    assert bio.FORMATS == ("text", "vtt", "srt", "textgrid", "csv", "json", "jsonl")
    assert set(bio.WRITE_FORMATS) >= {"json", "jsonl", "vtt", "srt", "text", "csv"}
    assert all(suffix.startswith(".") for suffix in bio.SUPPORTED_SUFFIXES)
