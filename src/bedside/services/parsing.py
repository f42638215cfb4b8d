"""Reading uploads in worker processes, under a wall-clock limit.

A reader with a bug must not be able to hang the server (issue 11, finding 1: a 140-byte
TextGrid looped for ever on the event loop). Each read runs in one of a few reused worker
processes; a read still busy after the limit has its process killed and replaced, and the caller
gets a `ReadTimeout` (a `FormatError`, so the upload form shows it as a 400). A reader that
crashes (an IndexError, say) becomes a `FormatError` naming the exception type, never a 500.

    pool = ParsePool(workers=2)
    conversation = pool.read(pipeline, files, timeout_s=10)

The worker reads with its own instance of the pipeline's class, made without arguments (the class
travels by name, so a test's own pipeline works; an attribute patched on the caller's instance
does not). Workers start through multiprocessing's forkserver: forking a multi-threaded server
directly could copy a held lock into the child.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import queue
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from bedside.errors import FormatError, ReadTimeout

if TYPE_CHECKING:
    from multiprocessing.context import ForkServerProcess

    from bedside.model import Conversation
    from bedside.services.encounters import Pipeline, Upload

__all__ = ["ParsePool", "shared_pool"]

log = logging.getLogger(__name__)

_PRELOAD = ["bedside.services.encounters"]  # imported once by the fork server, not per worker


def _serve(connection: Connection) -> None:
    """A worker's loop: read what it is sent, answer with the conversation or a plain error."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    pipelines: dict[type, Any] = {}
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        except Exception as error:  # the pipeline could not be unpickled here
            connection.send(("crash", type(error).__name__))
            continue
        if request is None:
            return
        kind, files = request
        try:
            if kind not in pipelines:
                pipelines[kind] = kind()
            connection.send(("ok", pipelines[kind].read(files)))
        except FormatError as error:
            connection.send(("format", (error.message, error.source, error.line, error.column)))
        except Exception as error:
            connection.send(("crash", type(error).__name__))


@dataclass
class _Worker:
    process: ForkServerProcess
    connection: Connection

    def alive(self) -> bool:
        return self.process.is_alive() and not self.connection.closed

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.send(None)
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.connection.close()


class ParsePool:
    """A few reused reader processes; a runaway read kills only its own worker."""

    def __init__(self, *, workers: int = 2) -> None:
        self.workers = workers
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        self._slots: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(workers):
            self._slots.put(None)  # a free slot; its process starts on first use
        self._lock = threading.Lock()
        self._started: list[_Worker] = []
        self.killed = 0  # runaway reads stopped, for tests and the load benchmark

    def read(
        self, pipeline: Pipeline, files: Sequence[Upload], *, timeout_s: float
    ) -> Conversation:
        """One conversation from the files, read by `pipeline.read` in a worker process.

        Raises:
            ReadTimeout: the read took longer than `timeout_s` (its worker was killed).
            FormatError: the reader refused the file, or crashed (the type is named).
        """
        worker = self._slots.get()
        try:
            if worker is None or not worker.alive():
                worker = self._start()
            worker.connection.send((type(pipeline), list(files)))
            if not worker.connection.poll(timeout_s):
                self._kill(worker)
                worker = None
                raise ReadTimeout(
                    f"the file took too long to read (more than {timeout_s:g} s) and was not "
                    "analysed; check that it is a transcript in a supported format",
                    source=files[0].name if files else "upload",
                )
            kind, payload = worker.connection.recv()
        except (EOFError, OSError):
            if worker is not None:
                self._kill(worker)
            worker = None
            raise FormatError(
                "the reader stopped unexpectedly; nothing was stored", source="upload"
            ) from None
        finally:
            self._slots.put(worker)
        return _answer(kind, payload)

    def warm(self) -> None:
        """Start every idle slot's process now, so the first uploads do not wait for one."""
        taken = []
        while True:
            try:
                taken.append(self._slots.get_nowait())
            except queue.Empty:
                break
        try:
            taken = [w if w is not None and w.alive() else self._start() for w in taken]
        finally:
            for worker in taken:
                self._slots.put(worker)

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(child,), daemon=True,
                                        name="bedside-reader")
        process.start()
        child.close()
        worker = _Worker(process=process, connection=parent)
        with self._lock:
            self._started.append(worker)
        return worker

    def _kill(self, worker: _Worker) -> None:
        log.warning("a transcript reader ran past its time limit; its worker was replaced")
        worker.kill()
        with self._lock:
            self.killed += 1
            if worker in self._started:
                self._started.remove(worker)

    def close(self) -> None:
        """Stop every worker process (idle ones cleanly, busy ones by force)."""
        with self._lock:
            started, self._started = self._started, []
        for worker in started:
            worker.stop()


def _answer(kind: str, payload: Any) -> Conversation:
    if kind == "ok":
        conversation: Conversation = payload
        return conversation
    if kind == "format":
        message, source, line, column = payload
        raise FormatError(message, source=source, line=line, column=column)
    # The exception's text may quote the file: only its type is kept.
    log.warning("a transcript reader failed with %s", payload)
    raise FormatError(
        f"the file could not be read (the reader failed with {payload}); nothing was stored",
        source="upload",
    )


_shared: ParsePool | None = None
_shared_lock = threading.Lock()


def shared_pool(workers: int = 2) -> ParsePool:
    """The process-wide pool (every app in one process shares its few workers)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ParsePool(workers=workers)
            atexit.register(_shared.close)
        return _shared
