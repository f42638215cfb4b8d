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
import resource
import statistics
import sys
import time
from pathlib import Path

from bedside.batch import Analysed, Failure, ProcessExecutor, Source, analyse_sources, group_key
from bedside.config import Settings
from bedside.engine import analyse
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

    base = run_serial(convs, None)  # baseline: metrics only, no language model

    start = time.perf_counter()
    labeller = load_labeller()
    load_s = time.perf_counter() - start
    analyse(convs[0], labeller=labeller)  # first call pays one-off session warm-up
    serial = run_serial(convs, labeller)

    target = min(convs, key=lambda c: abs(len(c.turns) - 150))
    long_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        analyse(target, labeller=labeller)
        long_times.append(time.perf_counter() - t0)
    rss_serial = _rss_mb(resource.RUSAGE_SELF)

    total_2, steady_2, done_2 = run_workers(args.data, 2, use_models=True)
    base_total_2, base_steady_2, _ = run_workers(args.data, 2, use_models=False)
    rss_children = _rss_mb(resource.RUSAGE_CHILDREN)

    n = len(convs)
    rows = [
        ("baseline: metrics only (--no-models), 1 process", n / base, turns / base, "–"),
        ("models, 1 process (after load)", n / serial, turns / serial, f"{load_s:.2f} s"),
        (
            "baseline: metrics only, --workers 2 (after start-up)",
            n / base_steady_2,
            turns / base_steady_2,
            "–",
        ),
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
    print()
    print("| run | consultations/s | turns/s | model load |")
    print("|---|---|---|---|")
    for name, cps, tps, load in rows:
        print(f"| {name} | {cps:.1f} | {tps:.0f} | {load} |")
    print()
    print(
        f"- {len(target.turns)}-turn consultation `{target.id}` after load: median "
        f"{statistics.median(long_times) * 1000:.0f} ms of {args.repeat} (target < 1000 ms)"
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
        f"- targets: 150-turn < 1 s: {'met' if statistics.median(long_times) < 1 else 'NOT met'}; "
        f">= 5 consultations/s on 2 workers: {'met' if done_2 / steady_2 >= 5 else 'NOT met'}; "
        f"memory < 1 GB: {'met' if max(rss_serial, rss_children) < 1024 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
