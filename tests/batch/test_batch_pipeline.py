"""The pipeline: input order kept, bad inputs reported and skipped, done ids skipped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedside.batch import (
    Analysed,
    Failure,
    SerialExecutor,
    Skipped,
    Source,
    SourceDone,
    _worker,
    analyse_sources,
)
from bedside.errors import FormatError
from bedside.model import (
    AnalysisReport,
    Conversation,
    EncounterMetrics,
    Role,
    Speaker,
    Turn,
    TurnAnalysis,
)


def _conv(conv_id: str) -> Conversation:
    turn = Turn(speaker=Speaker(name="Doctor", role=Role.CLINICIAN), text=f"hello {conv_id}")
    return Conversation(id=conv_id, turns=(turn,))


def _fake_reader(source: Path | str, **_options: Any) -> Iterator[Conversation]:
    name = Path(source).name
    if name.startswith("bad"):
        raise FormatError("expected 'Speaker: text'", source=str(source), line=3)
    if name.startswith("many"):
        yield _conv("m1")
        yield _conv("m2")
        raise FormatError("not JSON", source=str(source), line=3)
    yield _conv(Path(source).stem)


def _fake_analyse(conv: Conversation, use_models: bool) -> AnalysisReport:
    if conv.id == "boom":
        raise ZeroDivisionError("engine bug")
    turns = tuple(
        TurnAnalysis(index=i, speaker=t.speaker.name, role=t.role, text=t.text)
        for i, t in enumerate(conv.turns)
    )
    metrics = EncounterMetrics(
        talk_time_basis="words", talk_time_share={"clinician": 1.0}, turns={"clinician": 1}
    )
    return AnalysisReport(id=conv.id, turns=turns, metrics=metrics)


@pytest.fixture(autouse=True)
def _fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_worker, "analyse_conversation", _fake_analyse)


def _run(names: list[str], skip: set[str] | None = None) -> list[object]:
    sources = [Source(label=name, paths=(Path(name),)) for name in names]
    return list(
        analyse_sources(
            sources,
            SerialExecutor(use_models=False),
            read_conversations=_fake_reader,
            merge_conversations=lambda convs, conv_id=None: convs[0],
            skip_ids=skip or set(),
        )
    )


def test_order_kept_and_bad_file_reported_not_fatal() -> None:
    results = _run(["a.txt", "bad.txt", "b.txt", "many.jsonl", "c.txt"])
    summary = [
        (
            type(r).__name__,
            getattr(getattr(r, "report", None), "id", None) or getattr(r, "message", r.label),
        )
        for r in results
        if not isinstance(r, SourceDone)
    ]
    assert summary == [
        ("Analysed", "a"),
        ("Failure", "bad.txt:3: expected 'Speaker: text'"),
        ("Analysed", "b"),
        ("Analysed", "m1"),
        ("Analysed", "m2"),
        ("Failure", "many.jsonl:3: not JSON"),
        ("Analysed", "c"),
    ]
    assert sum(isinstance(r, SourceDone) for r in results) == 5


def test_done_ids_are_skipped() -> None:
    results = _run(["a.txt", "b.txt"], skip={"a"})
    assert isinstance(results[0], Skipped) and results[0].conv_id == "a"
    assert isinstance(results[2], Analysed) and results[2].report.id == "b"


def test_engine_crash_is_an_internal_failure_and_the_batch_goes_on() -> None:
    results = [r for r in _run(["boom.txt", "z.txt"]) if not isinstance(r, SourceDone)]
    assert isinstance(results[0], Failure) and results[0].internal
    assert "internal error ZeroDivisionError: engine bug" in results[0].message
    assert isinstance(results[1], Analysed)
