"""Benchmark: whole-encounter analysis of every shared PriMock57 consultation.

Prints consultations/s and turns/s in one process and with `--workers 2` (local processes, each
loading the models once), the model load time, a ~150-turn consultation's time after load, and
peak memory, beside the baseline measured in the same run: the metrics-only engine
(`--no-models`, no language model).

Targets (issue 5): a 150-turn consultation in < 1 s after load; >= 5 consultations/s across
2 cores; peak memory < 1 GB.

    .venv/bin/python bench/encounter.py [--data DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

from bedside.batch import Analysed, Failure, ProcessExecutor, Source, analyse_sources, group_key
from bedside.config import Settings
from bedside.engine import analyse
from bedside.errors import ModelError
from bedside.io import merge_conversations, read_conversation, read_conversations
from bedside.model import Conversation
from bedside.nlp import load_labeller


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: kilobytes


def load_pairs(folder: Path) -> list[Conversation]:
    """Every consultation, its doctor and patient TextGrids merged on one timeline."""
    groups: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*.TextGrid")):
        groups.setdefault(group_key(path), []).append(path)
    return [
        merge_conversations([read_conversation(p) for p in paths], conv_id=key)
        for key, paths in groups.items()
    ]


def run_serial(convs: list[Conversation], labeller: object | None) -> float:
    start = time.perf_counter()
    for conv in convs:
        analyse(conv, labeller=labeller)  # type: ignore[arg-type]
    return time.perf_counter() - start


def run_workers(folder: Path, workers: int, use_models: bool) -> tuple[float, float, int]:
    """(seconds including start-up and model load, seconds after every worker is ready, count)."""
    groups: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*.TextGrid")):
        groups.setdefault(group_key(path), []).append(path)
    sources = [
        Source(label=key, paths=tuple(paths), merge=True, conv_id=key)
        for key, paths in groups.items()
    ]
    begin = time.perf_counter()
    executor = ProcessExecutor(workers=workers, use_models=use_models)
    try:
        # warm up: one small task per worker makes every process load its models
        list(
            analyse_sources(
                sources[:workers],
                executor,
                read_conversations=read_conversations,
                merge_conversations=merge_conversations,
            )
        )
        ready = time.perf_counter()
        results = list(
            analyse_sources(
                sources,
                executor,
                read_conversations=read_conversations,
                merge_conversations=merge_conversations,
            )
        )
        end = time.perf_counter()
    finally:
        executor.close()
    failures = [r for r in results if isinstance(r, Failure)]
    if failures:
        sys.exit(f"benchmark input failed: {failures[0].message}")
    done = sum(isinstance(r, Analysed) for r in results)
    return end - begin, end - ready, done


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=Settings().data_dir / "primock57" / "transcripts"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed repetitions of the 150-turn consultation"
    )
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"PriMock57 transcripts not found at {args.data} (set BEDSIDE_DATA_DIR)")

    convs = load_pairs(args.data)
    turns = sum(len(c.turns) for c in convs)
    print(f"{len(convs)} PriMock57 consultations, {turns} turns (mean {turns / len(convs):.0f})")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    n = len(convs)
    base = run_serial(convs, None)  # baseline: metrics only, no language model
    base_total_2, base_steady_2, _ = run_workers(args.data, 2, use_models=False)
    longest = max(convs, key=lambda c: len(c.turns))
    target = longest.model_copy(update={"turns": longest.turns[:150], "id": f"{longest.id}[:150]"})
    base_long = _median_time(target, None, args.repeat)
    rows = [
        ("baseline: metrics only (--no-models), 1 process", n / base, turns / base, "–"),
        (
            "baseline: metrics only, --workers 2 (after start-up)",
            n / base_steady_2,
            turns / base_steady_2,
            "–",
        ),
    ]
    try:
        start = time.perf_counter()
        labeller = load_labeller()
        load_s = time.perf_counter() - start
    except ModelError as error:
        _table(rows)
        print(f"\n- models not installed ({error}): only the baseline was measured")
        print(f"- {len(target.turns)}-turn consultation, metrics only: {base_long * 1000:.0f} ms")
        return
    analyse(convs[0], labeller=labeller)  # the first call pays one-off session warm-up
    serial = run_serial(convs, labeller)
    long_s = _median_time(target, labeller, args.repeat)
    rss_serial = _rss_mb(resource.RUSAGE_SELF)
    total_2, steady_2, done_2 = run_workers(args.data, 2, use_models=True)
    rss_children = _rss_mb(resource.RUSAGE_CHILDREN)
    rows[1:1] = [("models, 1 process (after load)", n / serial, turns / serial, f"{load_s:.2f} s")]
    rows += [
        (
            "models, --workers 2 (after start-up and load)",
            done_2 / steady_2,
            turns / steady_2,
            "per worker",
        ),
        (
            "models, --workers 2 (wall clock incl. start-up and load)",
            done_2 / total_2,
            turns / total_2,
            "included",
        ),
    ]
    _table(rows)
    print()
    print(
        f"- {len(target.turns)}-turn consultation (first 150 turns of `{longest.id}`) after load: "
        f"median {long_s * 1000:.0f} ms of {args.repeat} (metrics-only baseline "
        f"{base_long * 1000:.0f} ms; target < 1000 ms)"
    )
    print(
        f"- wall clock for all {n} with --workers 2, start-up included: {total_2:.1f} s "
        f"(metrics-only baseline {base_total_2:.1f} s)"
    )
    print(
        f"- peak RSS: main process {rss_serial:.0f} MB (models loaded), largest worker "
        f"{rss_children:.0f} MB (target < 1024 MB)"
    )
    print(
        f"- targets: 150-turn < 1 s: {'met' if long_s < 1 else 'NOT met'}; "
        f">= 5 consultations/s on 2 workers: {'met' if done_2 / steady_2 >= 5 else 'NOT met'}; "
        f"memory < 1 GB: {'met' if max(rss_serial, rss_children) < 1024 else 'NOT met'}"
    )


def _median_time(conv: Conversation, labeller: object | None, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        analyse(conv, labeller=labeller)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _table(rows: list[tuple[str, float, float, str]]) -> None:
    print()
    print("| run | consultations/s | turns/s | model load |")
    print("|---|---|---|---|")
    for name, cps, tps, load in rows:
        print(f"| {name} | {cps:.1f} | {tps:.0f} | {load} |")


if __name__ == "__main__":
    main()
