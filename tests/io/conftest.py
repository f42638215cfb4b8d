"""A reader run in a forked child with a wall-clock limit: a hang fails the test instead of the run."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

import pytest

from bedside.errors import FormatError
from bedside.io import read_conversations


@dataclass(frozen=True)
class Outcome:
    """How one read ended: `ok` (conversations read) or `format_error`, and how long it took."""

    kind: str
    seconds: float
    message: str = ""
    line: int | None = None
    column: int | None = None
    conversations: int = 0


def _read(data: bytes, fmt: str | None, name: str, pipe: Connection) -> None:
    started = time.perf_counter()
    try:
        count = sum(1 for _ in read_conversations(name, format=fmt, data=data))
        pipe.send(("ok", "", None, None, count, time.perf_counter() - started))
    except FormatError as error:
        elapsed = time.perf_counter() - started
        pipe.send(("format_error", error.message, error.line, error.column, 0, elapsed))
    except BaseException as error:  # what the test exists to catch: any other exception
        elapsed = time.perf_counter() - started
        pipe.send((f"crash {type(error).__name__}", str(error)[:300], None, None, 0, elapsed))


ReadWithin = Callable[..., Outcome]


@pytest.fixture
def read_within() -> ReadWithin:
    """`read_within(data, fmt, name="x.vtt", seconds=2)`: the outcome, or a failed test on a hang
    or on any exception other than FormatError."""
    context = multiprocessing.get_context("fork")

    def run(data: bytes, fmt: str | None, name: str = "fuzz", seconds: float = 2.0) -> Outcome:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_read, args=(data, fmt, name, send), daemon=True)
        child.start()
        send.close()
        ready = receive.poll(seconds)
        if not ready:
            child.kill()
            child.join()
            pytest.fail(f"reading {name} ({len(data)} bytes) did not end within {seconds} s")
        kind, message, line, column, count, elapsed = receive.recv()
        child.join()
        if kind.startswith("crash"):
            pytest.fail(
                f"reading {name} raised {kind.split(' ', 1)[1]}, not FormatError: {message}"
            )
        return Outcome(kind, elapsed, message, line, column, count)

    return run
