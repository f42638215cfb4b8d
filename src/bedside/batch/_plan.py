"""Turn the command line's inputs into sources: one file, one merged group of files, or stdin.

Reading is cheap (hundreds of consultations a second) and happens in the calling process, so a
remote Dask cluster only ever receives `Conversation` objects and needs no access to the files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bedside.errors import BedsideError, FormatError
from bedside.model import Conversation, Role

__all__ = ["STDIN", "Failure", "Source", "group_key", "plan_sources", "read_source"]

STDIN = "-"


@dataclass(frozen=True)
class Source:
    """One unit of input that yields conversations.

    `paths` is empty for stdin. A merged source (`merge=True`) yields exactly one conversation,
    the files' turns on one timeline; `conv_id` names it (None lets the reader choose).
    """

    label: str
    paths: tuple[Path, ...] = ()
    merge: bool = False
    conv_id: str | None = None


@dataclass(frozen=True)
class Failure:
    """A source (or one conversation of it) that could not be read or analysed."""

    label: str
    message: str
    internal: bool = False
    conv_id: str | None = field(default=None)


def group_key(path: Path) -> str:
    """The consultation a file belongs to when a directory is merged: its stem without the last `_part`.

    `day1_consultation01_doctor.TextGrid` and `day1_consultation01_patient.TextGrid` share the key
    `day1_consultation01` (the PriMock57 layout: one file per speaker). A stem with no underscore
    is its own key, so a lone `visit.vtt` stays a conversation of its own.
    """
    stem = path.stem
    head, sep, _tail = stem.rpartition("_")
    return head if sep and head else stem


def plan_sources(
    inputs: Sequence[str],
    *,
    merge: bool,
    discover: Callable[[Sequence[str | Path]], list[Path]],
) -> list[Source]:
    """Expand files, directories and `-` into sources, in the order the user gave them.

    Without `--merge` every file is its own source. With `--merge` and only files, all the files
    are one conversation (the contract's `c01_doctor.TextGrid c01_patient.TextGrid --merge`).
    With `--merge` and a directory, files are grouped by `group_key` within their folder, each
    group one conversation named by the key, groups ordered by their first file.
    """
    if STDIN in inputs and len(inputs) > 1:
        raise BedsideError("-: stdin ('-') cannot be combined with other inputs")
    if list(inputs) == [STDIN]:
        return [Source(label="<stdin>")]
    has_dir = any(Path(item).is_dir() for item in inputs)
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if not path.exists():
            raise BedsideError(f"{item}: no such file or directory")
        files.extend(discover([path]) if path.is_dir() else [path])
    if not merge:
        return [Source(label=str(path), paths=(path,)) for path in files]
    if not has_dir:
        return [Source(label=" + ".join(str(p) for p in files), paths=tuple(files), merge=True)]
    groups: dict[tuple[Path, str], list[Path]] = {}
    for path in files:
        groups.setdefault((path.parent, group_key(path)), []).append(path)
    return [
        Source(
            label=str(folder / key),
            paths=tuple(members),
            merge=True,
            conv_id=key,
        )
        for (folder, key), members in groups.items()
    ]


Reader = Callable[..., Iterator[Conversation]]
Merger = Callable[..., Conversation]


def read_source(
    source: Source,
    *,
    read_conversations: Reader,
    merge_conversations: Merger,
    input_format: str | None,
    roles: Mapping[str, Role] | None,
    stdin: Callable[[], bytes] | None = None,
) -> Iterator[Conversation | Failure]:
    """Yield the source's conversations; a bad file yields one `Failure` and reading moves on.

    A JSON Lines file can hold good lines after a bad one, but a reader stops at the first bad
    line, so the conversations before it are kept and the rest of that file is reported.
    """
    options: dict[str, Any] = {"format": input_format, "roles": roles}
    try:
        if not source.paths:
            if stdin is None:
                yield from read_conversations(STDIN, **options)
            else:
                yield from read_conversations("<stdin>", data=stdin(), **options)
            return
        if not source.merge:
            yield from read_conversations(source.paths[0], **options)
            return
        parts: list[Conversation] = []
        for path in source.paths:
            parts.extend(read_conversations(path, **options))
        yield merge_conversations(parts, conv_id=source.conv_id)
    except FormatError as error:
        yield Failure(label=source.label, message=str(error))
    except BedsideError as error:
        yield Failure(label=source.label, message=f"{source.label}: {error}")
    except OSError as error:
        yield Failure(label=source.label, message=f"{source.label}: {error.strerror or error}")
