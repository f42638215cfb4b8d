"""Read sources, skip what is done, analyse the rest on an executor, and yield results in order."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

from bedside.batch._executors import Executor, Outcome
from bedside.batch._plan import Failure, Merger, Reader, Source, read_source
from bedside.errors import BedsideError
from bedside.model import AnalysisReport, Conversation, Role

__all__ = ["Analysed", "Failure", "Result", "Skipped", "SourceDone", "analyse_sources"]


@dataclass(frozen=True)
class Analysed:
    """A conversation and its analysis."""

    label: str
    report: AnalysisReport


@dataclass(frozen=True)
class Skipped:
    """A conversation whose id is already in the output (resume)."""

    label: str
    conv_id: str


@dataclass(frozen=True)
class SourceDone:
    """Every conversation of a source has been handled (drives the progress bar)."""

    label: str


Result = Analysed | Failure | Skipped | SourceDone
_Item = tuple[str, Conversation | Failure | Skipped | SourceDone]


def analyse_sources(
    sources: Iterable[Source],
    executor: Executor,
    *,
    read_conversations: Reader,
    merge_conversations: Merger,
    input_format: str | None = None,
    roles: Mapping[str, Role] | None = None,
    skip_ids: Collection[str] = (),
    stdin: Callable[[], bytes] | None = None,
) -> Iterator[Result]:
    """Yield one result per conversation (and a `SourceDone` per source), in input order.

    Bad files become `Failure`s and the batch goes on; an engine error on one conversation is a
    `Failure` marked `internal` (a bug, exit status 1), and the batch goes on too.
    """

    def items() -> Iterator[_Item]:
        for source in sources:
            for found in read_source(
                source,
                read_conversations=read_conversations,
                merge_conversations=merge_conversations,
                input_format=input_format,
                roles=roles,
                stdin=stdin,
            ):
                if isinstance(found, Conversation) and found.id in skip_ids:
                    yield source.label, Skipped(label=source.label, conv_id=found.id)
                else:
                    yield source.label, found
            yield source.label, SourceDone(label=source.label)

    def conv_of(item: _Item) -> Conversation | None:
        found = item[1]
        return found if isinstance(found, Conversation) else None

    for (label, found), outcome in executor.run(items(), conv_of):
        if outcome is None:
            assert not isinstance(found, Conversation)
            yield found
        else:
            yield _result(label, outcome)


def _result(label: str, outcome: Outcome) -> Analysed | Failure:
    if outcome.report is not None:
        return Analysed(label=label, report=outcome.report)
    error = outcome.error
    conv_id = outcome.conv.id
    if isinstance(error, BedsideError):
        return Failure(label=label, message=f"{label}: {conv_id}: {error}", conv_id=conv_id)
    kind = type(error).__name__
    return Failure(
        label=label,
        message=f"{label}: {conv_id}: internal error {kind}: {error}",
        internal=True,
        conv_id=conv_id,
    )
