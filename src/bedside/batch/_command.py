"""`bedside analyze` end to end: plan the inputs, analyse them, write the chosen format.

The Typer command in `bedside.cli.analyze` only parses options into an `AnalyzeRequest` and calls
`run_analyze`; everything a batch needs (resume, order, progress, summary) lives here so that the
same code serves one consultation on a laptop and ten thousand on a cluster.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bedside.batch._executors import make_executor
from bedside.batch._pipeline import Analysed, Failure, Result, Skipped, SourceDone, analyse_sources
from bedside.batch._plan import Source, group_key, plan_sources
from bedside.batch._store import JsonlStore, dumps_line
from bedside.batch._summary import Cell, summary_row, write_summary
from bedside.errors import BedsideError, ModelError
from bedside.model import AnalysisReport, Role

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_OK", "AnalyzeRequest", "Format", "run_analyze"]

Format = Literal["json", "jsonl", "html", "text"]
EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
_SUFFIX_FORMATS: dict[str, Format] = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
}


@dataclass(frozen=True)
class AnalyzeRequest:
    """Everything `bedside analyze` was asked to do."""

    inputs: tuple[str, ...]
    format: Format | None = None
    out: Path | None = None
    merge: bool = False
    roles: Mapping[str, Role] = field(default_factory=dict)
    input_format: str | None = None
    summary: Path | None = None
    workers: int = 1
    dask: str | None = None
    use_models: bool = True
    progress: bool | None = None


def choose_format(request: AnalyzeRequest, stdout: TextIO) -> Format:
    """`--format`, else the `--out` suffix, else `text` on a terminal and `json` otherwise."""
    if request.format is not None:
        return request.format
    if request.out is not None:
        return _SUFFIX_FORMATS.get(request.out.suffix.lower(), "json")
    return "text" if stdout.isatty() else "json"


def safe_filename(conv_id: str) -> str:
    """A conversation id made safe as a file name (`a/b c` -> `a_b_c`)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", conv_id).strip("._")
    return cleaned or "conversation"


class _Sink:
    """Where analyses go; `write` is called in input order."""

    def open(self, on_previous: Callable[[dict[str, Any]], None] | None = None) -> set[str]:
        """Prepare the output; a resumable sink streams earlier analyses to `on_previous`."""
        return set()

    def write(self, report: AnalysisReport, document: dict[str, Any]) -> None:
        raise NotImplementedError

    def close(self, ok: bool) -> None:
        """Finish the output."""


class _JsonlSink(_Sink):
    def __init__(self, out: Path | None, stdout: TextIO) -> None:
        self._stdout = stdout
        self._store = JsonlStore(out) if out is not None else None
        self.torn_line: int | None = None

    def open(self, on_previous: Callable[[dict[str, Any]], None] | None = None) -> set[str]:
        if self._store is None:
            return set()
        self._store.open(on_previous)
        self.torn_line = self._store.torn_line
        return set(self._store.done)

    def write(self, report: AnalysisReport, document: dict[str, Any]) -> None:
        if self._store is not None:
            self._store.append(document)
        else:
            self._stdout.write(dumps_line(document).decode("utf-8"))
            self._stdout.flush()

    def close(self, ok: bool) -> None:
        if self._store is not None:
            self._store.close()


class _JsonSink(_Sink):
    """One JSON document, or an array written element by element (flat memory on big batches).

    A file is written to a temporary name and renamed into place when the run ends, so a
    crashed run never leaves half an array where a reader expects a document.
    """

    def __init__(self, out: Path | None, stdout: TextIO, single: bool) -> None:
        self._out, self._stdout, self._single = out, stdout, single
        self._handle: TextIO | None = None
        self._temporary: Path | None = None
        self._count = 0

    def _target(self) -> TextIO:
        if self._handle is None:
            if self._out is None:
                self._handle = self._stdout
            else:
                self._out.parent.mkdir(parents=True, exist_ok=True)
                self._temporary = self._out.with_name(f".{self._out.name}.tmp")
                self._handle = self._temporary.open("w", encoding="utf-8")
        return self._handle

    def write(self, report: AnalysisReport, document: dict[str, Any]) -> None:
        text = json.dumps(document, ensure_ascii=False, indent=2)
        if self._single:
            self._target().write(text + "\n")
        else:
            indented = "\n".join("  " + line for line in text.splitlines())
            self._target().write(("[\n" if self._count == 0 else ",\n") + indented)
        self._count += 1

    def close(self, ok: bool) -> None:
        if not self._single and (self._count or ok):
            self._target().write("\n]\n" if self._count else "[]\n")
        if self._handle is None:
            return
        self._handle.flush()
        if self._temporary is not None and self._out is not None:
            self._handle.close()
            if ok:
                os.replace(self._temporary, self._out)
            else:
                self._temporary.unlink(missing_ok=True)


class _HtmlSink(_Sink):
    """One self-contained page per conversation: a file, stdout, or `<out dir>/<id>.html`."""

    def __init__(self, out: Path | None, stdout: TextIO, several: bool) -> None:
        if several and (
            out is None
            or (out.exists() and not out.is_dir())
            or out.suffix.lower() in {".html", ".htm"}
        ):
            raise BedsideError(
                "--format html with several conversations writes one file per conversation: "
                "give --out a directory (for example --out reports/)"
            )
        self._out, self._stdout, self._several = out, stdout, several
        if several and out is not None:
            out.mkdir(parents=True, exist_ok=True)

    def write(self, report: AnalysisReport, document: dict[str, Any]) -> None:
        from bedside.report import render_html

        page = render_html(report)
        if self._out is not None and (self._several or self._out.is_dir()):
            _write_text(self._out / f"{safe_filename(report.id)}.html", page, self._stdout)
        else:
            _write_text(self._out, page, self._stdout)


class _TextSink(_Sink):
    def __init__(self, out: Path | None, stdout: TextIO) -> None:
        self._out, self._stdout = out, stdout
        self._parts: list[str] = []
        self._console = Console(file=stdout) if out is None else None

    def write(self, report: AnalysisReport, document: dict[str, Any]) -> None:
        from bedside.report import render_text, text_renderable

        if self._console is not None:
            self._console.print(text_renderable(report))
        else:
            self._parts.append(render_text(report))

    def close(self, ok: bool) -> None:
        if self._out is not None and self._parts:
            _write_text(self._out, "\n".join(self._parts), self._stdout)


def _write_text(out: Path | None, text: str, stdout: TextIO) -> None:
    """Write to stdout, or to a file atomically (a temporary file renamed into place)."""
    if out is None:
        stdout.write(text)
        stdout.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, out)


def _pair_partners(sources: list[Source]) -> dict[str, list[str]]:
    """Files given without --merge that look like the sides of one recorded pair.

    `day1_consultation01_doctor.TextGrid` and `day1_consultation01_patient.TextGrid` share the
    stem before their last `_part`; each label maps to the names of its partners.
    """
    groups: dict[tuple[Path, str], list[Path]] = {}
    for source in sources:
        if source.merge or len(source.paths) != 1:
            continue
        path = source.paths[0]
        if group_key(path) != path.stem:
            groups.setdefault((path.parent, group_key(path)), []).append(path)
    partners: dict[str, list[str]] = {}
    for members in groups.values():
        if len(members) > 1:
            for path in members:
                partners[str(path)] = [p.name for p in members if p != path]
    return partners


def _with_pair_warning(report: AnalysisReport, partners: list[str]) -> AnalysisReport:
    """Add the 'analysed without --merge' warning to a one-speaker side of a pair."""
    if len({t.speaker for t in report.turns}) > 1:
        return report
    warning = (
        f"a pair of files analysed without --merge: this file looks like one side of a "
        f"recording with {', '.join(partners)}; analyse them together with --merge "
        f"(bedside analyze FILE1 FILE2 --merge)"
    )
    extra = dict(report.metrics.extra)
    extra["warnings"] = [warning, *(extra.get("warnings") or [])]
    return report.model_copy(update={"metrics": report.metrics.model_copy(update={"extra": extra})})


def _make_sink(
    fmt: Format, request: AnalyzeRequest, stdout: TextIO, sources: list[Source]
) -> _Sink:
    several = (
        len(sources) > 1
        or any(s.paths and not s.merge and s.paths[0].suffix.lower() == ".jsonl" for s in sources)
        or (not sources[0].paths and request.input_format == "jsonl")
    )
    if fmt == "jsonl":
        return _JsonlSink(request.out, stdout)
    if fmt == "json":
        return _JsonSink(request.out, stdout, single=not several)
    if fmt == "html":
        return _HtmlSink(request.out, stdout, several=several)
    return _TextSink(request.out, stdout)


def _models_ready(*, in_process: bool, stderr: TextIO) -> bool:
    """Load the models once, up front; False (after one warning line) when they are missing.

    Without weights (a fresh clone before `bedside models train`, or a corrupt file), the
    analysis still runs on the rules and timing alone, as `--no-models` would, and says so once
    rather than failing every conversation. On the single-process path the loaded labeller is
    kept and used; with worker processes this is only a check (each worker loads its own).
    """
    from bedside.batch import _worker

    try:
        labeller = _worker.get_labeller(True)
    except ModelError as error:
        _worker.set_labeller(None, use_models=False)
        stderr.write(
            f"bedside: warning: language models unavailable ({error}); analysing with rules "
            "only (emotions, empathy levels and MI codes are null). Pass --no-models to silence.\n"
        )
        return False
    if not in_process:
        _worker.set_labeller(None, use_models=False)
        del labeller
    return True


def run_analyze(
    request: AnalyzeRequest,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: Callable[[], bytes] | None = None,
) -> int:
    """Run `bedside analyze`; returns the exit status (0 ok, 2 some bad input, 1 internal error).

    Raises `BedsideError` for a usage problem found before any work starts (no input, a
    missing file, html for several conversations without an output directory).
    """
    import bedside.io as bio

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if not request.inputs:
        raise BedsideError("no INPUT given: name a file, a directory, or '-' for stdin")
    if request.workers < 1:
        raise BedsideError(f"--workers {request.workers}: expected a whole number of at least 1")
    fmt = choose_format(request, stdout)
    if request.out is not None and fmt in {"jsonl", "json"} and request.out.is_dir():
        raise BedsideError(
            f"--out {request.out}: is a directory; expected a file for --format {fmt}"
        )
    sources = plan_sources(request.inputs, merge=request.merge, discover=bio.discover)
    if not sources:
        raise BedsideError(
            f"{', '.join(request.inputs)}: no supported transcript files found "
            f"(expected one of {', '.join(sorted(bio.SUPPORTED_SUFFIXES))})"
        )
    if request.use_models and not _models_ready(
        in_process=request.workers == 1 and request.dask is None, stderr=stderr
    ):
        request = replace(request, use_models=False)
    partners = {} if request.merge else _pair_partners(sources)
    sink = _make_sink(fmt, request, stdout, sources)
    err_console = Console(file=stderr, highlight=False, soft_wrap=True)
    rows: list[dict[str, Cell]] = []
    skip = sink.open(
        (lambda document: rows.append(summary_row(document))) if request.summary else None
    )
    torn = getattr(sink, "torn_line", None)
    if torn is not None:
        err_console.print(
            f"bedside: warning: {request.out}:{torn}: incomplete last line (an interrupted run?) "
            "removed; that conversation will be analysed again",
            markup=False,
        )
    counts = {"analysed": 0, "skipped": 0, "bad": 0, "internal": 0}
    executor = make_executor(
        workers=request.workers, dask=request.dask, use_models=request.use_models
    )
    show_progress = request.progress if request.progress is not None else err_console.is_terminal
    progress = Progress(
        TextColumn("[bold]analysing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[current]}"),
        console=err_console,
        disable=not show_progress,
        transient=False,
    )
    ok = False
    try:
        with progress:
            task = progress.add_task("analyse", total=len(sources), current="")
            results: Iterator[Result] = analyse_sources(
                sources,
                executor,
                read_conversations=bio.read_conversations,
                merge_conversations=bio.merge_conversations,
                input_format=request.input_format,
                roles=request.roles,
                skip_ids=skip,
                stdin=stdin,
            )
            for result in results:
                if isinstance(result, Analysed):
                    report = result.report
                    if result.label in partners:
                        report = _with_pair_warning(report, partners[result.label])
                    document = report.to_json()
                    sink.write(report, document)
                    if request.summary is not None:
                        rows.append(summary_row(document))
                    counts["analysed"] += 1
                elif isinstance(result, Failure):
                    counts["internal" if result.internal else "bad"] += 1
                    kind = "internal error" if result.internal else "error"
                    progress.console.print(f"bedside: {kind}: {result.message}", markup=False)
                elif isinstance(result, Skipped):
                    counts["skipped"] += 1
                elif isinstance(result, SourceDone):
                    progress.update(task, advance=1, current=Path(result.label).name[-40:])
        ok = True
    finally:
        executor.close()
        sink.close(ok)
    if request.summary is not None:
        write_summary(request.summary, rows)
    if show_progress or counts["skipped"]:
        err_console.print(
            f"bedside: {counts['analysed']} analysed, {counts['skipped']} already done, "
            f"{counts['bad']} bad input(s), {counts['internal']} internal error(s)",
            markup=False,
        )
    if counts["internal"]:
        return EXIT_INTERNAL
    return EXIT_BAD_INPUT if counts["bad"] else EXIT_OK
