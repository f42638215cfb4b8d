"""An append-only JSON Lines file of analyses that survives crashes and can be resumed.

Safety rules, because a batch of ten thousand consultations may be killed at any moment:
- each analysis is one `os.write` of one complete line to a file opened with `O_APPEND`, so
  earlier lines are never rewritten;
- on opening, a last line without its newline (a torn write from a crash) is cut off and
  reported; it is recomputed because its id is not counted as done;
- a complete line that is not a JSON analysis means the file is not ours (or was edited), so
  bedside refuses to append rather than guess;
- an exclusive lock keeps two runs from appending to the same file at once.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bedside.errors import BedsideError, FormatError

__all__ = ["JsonlStore", "dumps_line", "iter_documents"]


def dumps_line(document: dict[str, Any]) -> bytes:
    """One analysis as one compact UTF-8 JSON line."""
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def iter_documents(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, document) for each complete line of a results file."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                return
            if not raw.strip():
                continue
            try:
                document = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise FormatError(
                    f"not a JSON analysis ({error}); fix or move the file before resuming",
                    source=str(path),
                    line=number,
                ) from error
            if not isinstance(document, dict) or not isinstance(document.get("id"), str):
                raise FormatError(
                    "expected a bedside.analysis/1 object with an 'id'; fix or move the file "
                    "before resuming",
                    source=str(path),
                    line=number,
                )
            yield number, document


class JsonlStore:
    """The `--out results.jsonl` of a batch: knows which ids are done, appends new ones safely."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: set[str] = set()
        self.torn_line: int | None = None
        self._fd: int | None = None

    def open(self, on_document: Callable[[dict[str, Any]], None] | None = None) -> int:
        """Lock the file, repair a torn tail, and stream the analyses already in it.

        Each earlier document is passed to `on_document` (in file order) and then dropped, so
        resuming a batch of ten thousand keeps only their ids in memory. Returns their count.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            os.close(fd)
            raise BedsideError(f"{self.path}: another bedside run is writing this file") from error
        self._fd = fd
        count = 0
        try:
            self._repair_tail(fd)
            for _number, document in iter_documents(self.path):
                self.done.add(document["id"])
                if on_document is not None:
                    on_document(document)
                count += 1
        except BaseException:
            self.close()
            raise
        return count

    def _repair_tail(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        if size == 0:
            return
        keep = size
        chunk = 1 << 16
        while keep > 0:
            start = max(0, keep - chunk)
            block = os.pread(fd, keep - start, start)
            if keep == size and block.endswith(b"\n"):
                return
            cut = block.rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            keep = start
        self.torn_line = _count_newlines(self.path, keep) + 1
        os.ftruncate(fd, keep)

    def append(self, document: dict[str, Any]) -> None:
        """Append one analysis as a single complete line."""
        if self._fd is None:
            raise RuntimeError("JsonlStore.append before open")
        data = dumps_line(document)
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.done.add(document["id"])

    def close(self) -> None:
        """Flush to disk and release the lock."""
        if self._fd is not None:
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> JsonlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _count_newlines(path: Path, limit: int) -> int:
    count = 0
    with path.open("rb") as handle:
        remaining = limit
        while remaining > 0:
            block = handle.read(min(remaining, 1 << 16))
            if not block:
                break
            count += block.count(b"\n")
            remaining -= len(block)
    return count
