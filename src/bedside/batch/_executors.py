"""Where analyses run: this process, a pool of local processes, or a Dask distributed cluster.

Every executor takes conversations in input order and gives results back in the same order,
keeping only a small window of work in flight so memory stays flat on ten thousand inputs.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, Protocol, TypeVar

from bedside.batch import _worker
from bedside.errors import BedsideError
from bedside.model import AnalysisReport, Conversation

__all__ = ["DaskExecutor", "Executor", "ProcessExecutor", "SerialExecutor", "make_executor"]

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """The analysis of one conversation, or the error it raised."""

    conv: Conversation
    report: AnalysisReport | None = None
    error: BaseException | None = None


class _Pending(Protocol):
    def result(self) -> AnalysisReport: ...


class _Done:
    """An already-computed result, so the serial path shares the windowed loop."""

    def __init__(self, conv: Conversation, use_models: bool) -> None:
        self._report: AnalysisReport | None = None
        self._error: BaseException | None = None
        try:
            self._report = _worker.analyse_conversation(conv, use_models)
        except Exception as error:  # reported per conversation, never fatal to the batch
            self._error = error

    def result(self) -> AnalysisReport:
        if self._error is not None:
            raise self._error
        assert self._report is not None
        return self._report


class Executor:
    """Runs the engine on conversations; submits up to `window` ahead, yields in input order."""

    workers = 1
    window = 1
    use_models = True

    def _submit(self, conv: Conversation) -> _Pending:
        raise NotImplementedError

    def run(
        self, items: Iterable[T], conv_of: Callable[[T], Conversation | None]
    ) -> Iterator[tuple[T, Outcome | None]]:
        pending: deque[tuple[T, Conversation | None, _Pending | None]] = deque()
        in_flight = 0
        for item in items:
            conv = conv_of(item)
            if conv is not None:
                pending.append((item, conv, self._submit(conv)))
                in_flight += 1
            else:
                pending.append((item, None, None))
            # the head goes out as soon as it is ready to (markers at once, analyses when
            # more than `window` are in flight), so order is kept and workers stay busy
            while pending and (pending[0][2] is None or in_flight > self.window):
                head = pending.popleft()
                in_flight -= head[2] is not None
                yield self._collect(*head)
        while pending:
            yield self._collect(*pending.popleft())

    @staticmethod
    def _collect(
        item: T, conv: Conversation | None, future: _Pending | None
    ) -> tuple[T, Outcome | None]:
        if conv is None or future is None:
            return item, None
        try:
            return item, Outcome(conv=conv, report=future.result())
        except Exception as error:
            return item, Outcome(conv=conv, error=error)

    def close(self) -> None:
        """Nothing to release."""


class SerialExecutor(Executor):
    """Everything in this process: the models are loaded once, on the first conversation."""

    def __init__(self, *, use_models: bool) -> None:
        self.use_models = use_models
        self.window = 0

    def _submit(self, conv: Conversation) -> _Pending:
        return _Done(conv, self.use_models)


class ProcessExecutor(Executor):
    """`--workers N`: N local processes, each loading the models once in its initialiser."""

    def __init__(self, *, workers: int, use_models: bool) -> None:
        self.workers = workers
        self.window = workers * 4
        self.use_models = use_models
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("spawn"),
            initializer=_worker.init_worker,
            initargs=(use_models,),
        )

    def _submit(self, conv: Conversation) -> _Pending:
        future: Future[AnalysisReport] = self._pool.submit(
            _worker.analyse_conversation, conv, self.use_models
        )
        return future

    def close(self) -> None:
        """Stop the worker processes."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """`--dask ADDRESS|local`: the same pure engine on a Dask distributed cluster.

    `local` starts a `LocalCluster` of two single-threaded worker processes on this machine (the
    dashboard on a free port); an address such as `tcp://scheduler:8786` joins a running cluster,
    whose workers need bedside installed. Conversations are shipped to the workers, files are not.
    """

    def __init__(self, address: str, *, use_models: bool, workers: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as error:  # pragma: no cover - dask is a pinned dependency
            raise BedsideError(
                "--dask needs the 'distributed' package (pip install 'dask[distributed]')"
            ) from error
        self.use_models = use_models
        self._cluster: Any = None
        try:
            if address == "local":
                self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=workers or 2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                )
                self._client: Any = Client(self._cluster)  # type: ignore[no-untyped-call]
            else:
                self._client = Client(address, timeout="10s")  # type: ignore[no-untyped-call]
        except OSError as error:
            self._close_cluster()
            raise BedsideError(f"--dask {address}: cannot reach the scheduler ({error})") from error
        self.workers = max(
            1, len(self._client.scheduler_info().get("workers", {})) or (workers or 2)
        )
        self.window = self.workers * 4

    def _submit(self, conv: Conversation) -> _Pending:
        future: _Pending = self._client.submit(
            _worker.analyse_conversation, conv, self.use_models, 1, pure=False
        )
        return future

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
            self._cluster = None

    def close(self) -> None:
        """Disconnect; a LocalCluster we started is shut down."""
        with contextlib.suppress(Exception):
            self._client.close()
        self._close_cluster()


def make_executor(*, workers: int, dask: str | None, use_models: bool) -> Executor:
    """The executor the flags ask for: Dask if `--dask`, a process pool if `--workers > 1`."""
    if dask:
        return DaskExecutor(dask, use_models=use_models, workers=workers if workers > 1 else None)
    if workers > 1:
        return ProcessExecutor(
            workers=min(workers, (os.cpu_count() or 1) * 4), use_models=use_models
        )
    return SerialExecutor(use_models=use_models)
