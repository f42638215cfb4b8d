"""Fuzz every transcript reader with atheris: the only exception a reader may raise is FormatError.

Coverage-guided (libFuzzer through atheris, with bedside.io and the parsers it wraps, praatio,
webvtt-py and srt, instrumented), from a seed corpus of tests/fixtures/io and data/samples.
Each reader runs in its own subprocess for `--runs` inputs with a per-input timeout; an input
that raises anything but FormatError, or runs past the timeout (a hang), is saved under
tests/fixtures/io/fuzz/<reader>/, where tests/io/test_io_fuzz_regressions.py replays it.

Issue 11 (finding 1): a 140-byte short TextGrid with a negative entry count looped for ever.

    .venv/bin/python bench/fuzz.py [--runs 1000000] [--timeout 2] [--max-len 16384]
        [--readers vtt srt ...] [--jobs 2] [--deadline SECONDS] [--out fuzz.json] [--log fuzz.log]

The default is 1,000,000 inputs per reader; BEDSIDE_FUZZ_RUNS lowers it for `make bench`.
`--jobs` fuzzes readers side by side; `--deadline` stops every reader after that many seconds
and reports the inputs run so far (`stopped_at_deadline` in the JSON). Inputs are at most
`--max-len` bytes: slowness that only shows on larger inputs is the job of the size tests in
tests/io/test_io_hostile_inputs.py, not of this fuzz.
Prints per reader: inputs run, executions/s, coverage (libFuzzer `cov:` edges), crashes
(inputs, and distinct exception sites), hangs and wall time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_FOLDERS = (ROOT / "tests" / "fixtures" / "io", ROOT / "data" / "samples")
REGRESSIONS = ROOT / "tests" / "fixtures" / "io" / "fuzz"
SEED_SUFFIXES = {".txt", ".vtt", ".srt", ".textgrid", ".csv", ".json", ".jsonl", ".ndjson", ".bin"}

TARGETS: dict[str, str | None] = {
    "text": "text",
    "vtt": "vtt",
    "srt": "srt",
    "textgrid": "textgrid",
    "csv": "csv",
    "json": "json",
    "jsonl": "jsonl",
    "detect": None,  # no format given: encoding sniffing, content detection, then any reader
}
"""Fuzz target -> the format passed to read_conversations (bytes in: decoding is fuzzed too)."""

CRASH_MARK = "BEDSIDE-FUZZ-CRASH"
STATUS = re.compile(r"^#(?P<runs>\d+)\s+\w+\s+cov: (?P<cov>\d+) ft: (?P<ft>\d+)", re.MULTILINE)
EXECUTED = re.compile(r"^stat::number_of_executed_units: (\d+)", re.MULTILINE)
DONE = re.compile(r"^Done (?P<runs>\d+) runs in (?P<seconds>\d+) second", re.MULTILINE)


@dataclass
class ReaderFigures:
    """What one reader's fuzz run measured."""

    reader: str
    inputs: int = 0
    execs_per_s: float = 0.0
    cov: int = 0
    features: int = 0
    crashes: int = 0
    crash_sites: list[str] = field(default_factory=list)
    hangs: int = 0
    other_failures: int = 0
    restarts: int = 0
    stopped_at_deadline: bool = False
    wall_s: float = 0.0
    saved: list[str] = field(default_factory=list)


def seed_files() -> list[Path]:
    """Every transcript-like file under the fixtures and the samples, the fuzz finds included."""
    return sorted(
        path
        for folder in SEED_FOLDERS
        if folder.is_dir()
        for path in folder.rglob("*")
        if path.is_file() and path.suffix.lower() in SEED_SUFFIXES
    )


def save_regression(reader: str, data: bytes, kind: str, folder: Path) -> Path:
    """Keep an input that broke a reader, named by content so that a repeat finds the same file."""
    target = folder / reader
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{kind}-{hashlib.sha1(data).hexdigest()[:16]}.bin"
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------------------
# The child: one reader under atheris.


def child(reader: str, runs: int, timeout: int, corpus: Path, crashes: Path, max_len: int) -> None:
    """Fuzz one reader in this process; unexpected exceptions are saved and fuzzing goes on."""
    import atheris

    with atheris.instrument_imports():
        import praatio.utilities.textgrid_io  # noqa: F401 - instrumented: the readers wrap them
        import srt  # noqa: F401
        import webvtt  # noqa: F401

        from bedside.errors import FormatError
        from bedside.io import read_conversations

    fmt = TARGETS[reader]
    name = f"fuzz.{fmt}" if fmt else "fuzz"
    sites: set[str] = set()

    def one_input(data: bytes) -> None:
        try:
            for conversation in read_conversations(name, format=fmt, data=data):
                assert conversation.turns
        except FormatError:
            return
        except Exception as error:
            site = _site(error)
            if site not in sites:  # one file per distinct exception site, every one counted
                sites.add(site)
                save_regression(reader, data, "crash", crashes)
            print(f"{CRASH_MARK} {site}", flush=True)

    atheris.Setup(
        [
            sys.argv[0],
            f"-runs={runs}",
            f"-timeout={timeout}",
            f"-max_len={max_len}",
            "-rss_limit_mb=2048",
            "-print_final_stats=1",
            f"-artifact_prefix={crashes / reader}/",
            str(corpus),
        ],
        one_input,
    )
    atheris.Fuzz()


def _site(error: BaseException) -> str:
    """`IndexError at _textgrid.py:140`: the exception type and the innermost bedside frame."""
    frames = []
    tb = error.__traceback__
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    inner = frames[-1] if frames else None
    for frame in reversed(frames):
        if "bedside" in frame.tb_frame.f_code.co_filename:
            inner = frame
            break
    where = f"{Path(inner.tb_frame.f_code.co_filename).name}:{inner.tb_lineno}" if inner else "?"
    return f"{type(error).__name__} at {where}"


# ---------------------------------------------------------------------------------------------
# The parent: one subprocess per reader, restarted after a hang until the runs are spent.


def fuzz_reader(
    reader: str,
    *,
    runs: int,
    timeout: int,
    crashes: Path,
    max_len: int,
    log: Path | None,
    deadline: float | None = None,
) -> ReaderFigures:
    """Run one reader's fuzz to `runs` inputs; each hang kills the child, which then restarts."""
    figures = ReaderFigures(reader=reader)
    (crashes / reader).mkdir(parents=True, exist_ok=True)
    before = set((crashes / reader).iterdir())
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{reader}-") as work:
        corpus = Path(work) / "corpus"
        corpus.mkdir()
        for index, seed in enumerate(seed_files()):
            shutil.copy(seed, corpus / f"seed-{index:04d}{seed.suffix.lower()}")
        left = runs
        while left > 0:
            command = [
                sys.executable,
                __file__,
                "--child",
                reader,
                "--runs",
                str(left),
                "--timeout",
                str(timeout),
                "--corpus",
                str(corpus),
                "--crashes",
                str(crashes),
                "--max-len",
                str(max_len),
            ]
            returncode, output = _run_child(command, Path(work) / "output.log", deadline)
            lines = output.splitlines()
            if log is not None:
                with log.open("a") as handle:
                    handle.write(f"\n===== {reader} (left {left}) rc={returncode}\n")
                    handle.write("\n".join(text for text in lines if CRASH_MARK not in text))
            ran = _runs(output)
            figures.inputs += ran
            figures.crashes += output.count(CRASH_MARK)
            figures.crash_sites = sorted(
                set(figures.crash_sites)
                | {text.split(" ", 1)[1] for text in lines if text.startswith(CRASH_MARK)}
            )
            if status := STATUS.findall(output):
                figures.cov = max(figures.cov, int(status[-1][1]))
                figures.features = max(figures.features, int(status[-1][2]))
            if returncode is None:
                figures.stopped_at_deadline = True
                break
            if returncode == 0:
                break
            hang = "libFuzzer: timeout" in output
            figures.hangs += hang
            figures.other_failures += not hang
            for artifact in (crashes / reader).iterdir():
                if artifact.name.startswith(("timeout-", "crash-", "oom-", "slow-unit-")):
                    kind = "hang" if artifact.name.startswith("timeout-") else "failure"
                    broken = artifact.read_bytes()
                    save_regression(reader, broken, kind, crashes)
                    artifact.unlink()
                    for unit in corpus.iterdir():  # a seed that hangs would hang every restart
                        if unit.read_bytes() == broken:
                            unit.unlink()
            figures.restarts += 1
            left -= max(ran, 1)
            if figures.restarts > 50:  # the reader is broken beyond what more inputs will tell
                break
    figures.wall_s = round(time.perf_counter() - started, 1)
    figures.execs_per_s = round(figures.inputs / figures.wall_s, 1) if figures.wall_s else 0.0
    figures.saved = sorted(
        str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        for path in set((crashes / reader).iterdir()) - before
    )
    return figures


def _run_child(command: list[str], output: Path, deadline: float | None) -> tuple[int | None, str]:
    """Run one child to its end, or stop it at the deadline (return code None then)."""
    with output.open("w") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        try:
            process.wait(timeout=None if deadline is None else max(0.0, deadline - time.time()))
            returncode: int | None = process.returncode
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGTERM)  # libFuzzer prints its final stats, then exits
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            returncode = None
    return returncode, output.read_text(errors="replace")


def _runs(output: str) -> int:
    """Inputs a child ran: libFuzzer's final stats, else its last `#N` status line."""
    if done := DONE.search(output):
        return int(done["runs"])
    if executed := EXECUTED.findall(output):
        return int(executed[-1])
    status = re.findall(r"^#(\d+)\s", output, re.MULTILINE)
    return int(status[-1]) if status else 0


def _print_figures(figures: ReaderFigures) -> None:
    print(
        f"{figures.reader:<9} {figures.inputs:>10,} {figures.execs_per_s:>8,.0f} {figures.cov:>6} "
        f"{figures.crashes:>8} {figures.hangs:>6} {figures.wall_s:>8.1f}",
        flush=True,
    )
    for site in figures.crash_sites:
        print(f"    crash: {site}")
    for path in figures.saved:
        print(f"    saved: {path}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=int(os.environ.get("BEDSIDE_FUZZ_RUNS", 1_000_000)),
        help="inputs per reader (default 1,000,000, or BEDSIDE_FUZZ_RUNS)",
    )
    parser.add_argument("--timeout", type=int, default=2, help="seconds one input may take")
    parser.add_argument("--max-len", type=int, default=16384, help="longest input in bytes")
    parser.add_argument("--readers", nargs="+", choices=sorted(TARGETS), default=list(TARGETS))
    parser.add_argument(
        "--deadline",
        type=float,
        help="stop every reader after this many seconds and report the inputs run so far",
    )
    parser.add_argument("--jobs", type=int, default=1, help="readers fuzzed at once")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--log", type=Path, help="append libFuzzer's output here")
    parser.add_argument("--crashes", type=Path, default=REGRESSIONS, help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=sorted(TARGETS), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.runs, args.timeout, args.corpus, args.crashes, args.max_len)
        return 0

    started = time.perf_counter()
    print(
        f"fuzzing {len(args.readers)} readers, {args.runs:,} inputs each, {args.timeout} s per "
        f"input, {len(seed_files())} seeds; machine: {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'reader':<9} {'inputs':>10} {'exec/s':>8} {'cov':>6} {'crashes':>8} {'hangs':>6} {'wall s':>8}"
    )
    results = []
    deadline = time.time() + args.deadline if args.deadline else None

    def run(reader: str) -> ReaderFigures:
        return fuzz_reader(
            reader,
            runs=args.runs,
            timeout=args.timeout,
            crashes=args.crashes,
            max_len=args.max_len,
            log=args.log,
            deadline=deadline,
        )

    # Readers are independent processes: --jobs 2 runs two at once on a two-core machine.
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run, reader) for reader in args.readers]
        for future in as_completed(futures):
            figures = future.result()
            results.append(figures)
            _print_figures(figures)
    results.sort(key=lambda figures: args.readers.index(figures.reader))
    report = {
        "runs_per_reader": args.runs,
        "timeout_s": args.timeout,
        "max_len": args.max_len,
        "seeds": len(seed_files()),
        "atheris": version("atheris"),
        "python": sys.version.split()[0],
        "cores": os.cpu_count(),
        "jobs": args.jobs,
        "deadline_s": args.deadline,
        "wall_s": round(time.perf_counter() - started, 1),
        "readers": [asdict(figures) for figures in results],
        "total_inputs": sum(f.inputs for f in results),
        "total_crashes": sum(f.crashes for f in results),
        "total_hangs": sum(f.hangs for f in results),
    }
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    failed = (
        report["total_crashes"] or report["total_hangs"] or any(f.other_failures for f in results)
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
