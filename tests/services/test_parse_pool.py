"""Reading uploads in worker processes: a reader that never returns is stopped at the limit."""

from __future__ import annotations

import time

import pytest

from bedside.errors import FormatError, ReadTimeout
from bedside.services.encounters import DefaultPipeline, Upload
from bedside.services.parsing import ParsePool

TRANSCRIPT = Upload("visit.txt", b"Dr Lee: Hello, what brings you in?\nPatient: A cough.\n")


class LoopingPipeline(DefaultPipeline):
    """A reader with the bug of issue 11, finding 1: its loop never ends."""

    def read(self, files):  # type: ignore[no-untyped-def]
        while True:
            pass


class CrashingPipeline(DefaultPipeline):
    """A reader that fails with an internal error whose text quotes the file."""

    def read(self, files):  # type: ignore[no-untyped-def]
        raise IndexError(f"secret words: {files[0].data!r}")


@pytest.fixture
def pool():
    pool = ParsePool(workers=1)
    yield pool
    pool.close()


def test_a_reader_reads_in_a_worker_process(pool):
    conversation = pool.read(DefaultPipeline(), [TRANSCRIPT], timeout_s=30)
    assert [t.speaker.name for t in conversation.turns] == ["Dr Lee", "Patient"]


def test_a_reader_that_loops_for_ever_is_stopped_and_its_worker_replaced(pool):
    pool.read(DefaultPipeline(), [TRANSCRIPT], timeout_s=30)  # a warm worker
    started = time.monotonic()
    with pytest.raises(ReadTimeout, match="took too long to read") as caught:
        pool.read(LoopingPipeline(), [TRANSCRIPT], timeout_s=1)
    assert 1 <= time.monotonic() - started < 5
    assert isinstance(caught.value, FormatError)  # a 400 on the form, not a 500
    assert pool.killed == 1
    # the one worker was killed; the next read gets a fresh one and works
    assert pool.read(DefaultPipeline(), [TRANSCRIPT], timeout_s=30).turns


def test_a_reader_error_keeps_its_file_and_line(pool):
    bad = Upload("broken.json", b'{"turns": [{"speaker": "Dr A", "text": 42}]}')
    with pytest.raises(FormatError) as caught:
        pool.read(DefaultPipeline(), [bad], timeout_s=30)
    assert caught.value.source == "broken.json"
    assert not isinstance(caught.value, ReadTimeout)


def test_a_crashing_reader_is_a_format_error_naming_only_the_exception_type(pool):
    with pytest.raises(FormatError, match="IndexError") as caught:
        pool.read(CrashingPipeline(), [TRANSCRIPT], timeout_s=30)
    assert "secret words" not in str(caught.value)
    assert "Patient" not in str(caught.value)


def test_warming_starts_the_workers_before_the_first_read(pool):
    pool.warm()
    worker = pool._slots.get()
    try:
        assert worker is not None and worker.alive()
    finally:
        pool._slots.put(worker)
    started = time.monotonic()
    pool.read(DefaultPipeline(), [TRANSCRIPT], timeout_s=30)
    assert time.monotonic() - started < 5
