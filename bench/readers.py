"""Benchmark: transcript readers on the real PriMock57 corpus and on a 100 MB JSON Lines file.

1. All 35 shared PriMock57 consultations, each read as two TextGrids and merged on one timeline
   (conversations/s, best of --repeat rounds), beside the baseline measured in the same run:
   praatio alone opening the same 70 files (`openTextgrid`, no tags, checks or merging).
2. A generated ~100 MB JSON Lines file in a temporary folder, read by bedside's streaming
   reader (conversations/s and peak RSS of a fresh subprocess), beside the naive baseline in
   another subprocess: read the whole file, `json.loads` every line and keep the documents.

Targets (issue 3): >= 200 consultations/s; constant memory on the large file, peak RSS < 300 MB.

    .venv/bin/python bench/readers.py [--data DIR] [--repeat 5] [--megabytes 100]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from praatio import textgrid

from bedside.config import Settings
from bedside.io import merge_conversations, read_conversation

STREAM = """
import json, resource, sys, time
from bedside.io import read_conversations
start, cpu_start = time.perf_counter(), time.process_time()
count = turns = 0
for conv in read_conversations(sys.argv[1]):
    count += 1
    turns += len(conv.turns)
seconds = time.perf_counter() - start
cpu = time.process_time() - cpu_start
print(json.dumps({"conversations": count, "turns": turns, "seconds": seconds, "cpu": cpu,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

NAIVE = """
import json, resource, sys, time
start, cpu_start = time.perf_counter(), time.process_time()
with open(sys.argv[1], encoding="utf-8") as handle:
    documents = [json.loads(line) for line in handle.read().splitlines() if line.strip()]
turns = sum(len(d["turns"]) for d in documents)
seconds = time.perf_counter() - start
cpu = time.process_time() - cpu_start
print(json.dumps({"conversations": len(documents), "turns": turns, "seconds": seconds, "cpu": cpu,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

PHRASE = (
    "I have been feeling tired and my chest hurts when I walk up the stairs okay so how long "
    "has this been going on um about three weeks now does anything make it better or worse "
    "<UNSURE>maybe</UNSURE> the pain <UNIN/> sorry to hear that we will look after you"
)
WORDS = PHRASE.split(" ")


def pairs(folder: Path) -> list[tuple[Path, Path]]:
    doctors = sorted(folder.glob("*_doctor.TextGrid"))
    return [(d, d.with_name(d.name.replace("_doctor", "_patient"))) for d in doctors]


def best_rate(work: list[tuple[Path, Path]], read: object, repeat: int) -> tuple[float, float]:
    """Best wall-clock rate and best CPU-time rate (the latter unaffected by other jobs' load)."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        for pair in work:
            read(pair)  # type: ignore[operator]
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return len(work) / best_wall, len(work) / best_cpu


def bedside_pair(pair: tuple[Path, Path]) -> object:
    return merge_conversations([read_conversation(path) for path in pair])


def praatio_pair(pair: tuple[Path, Path]) -> object:
    return [textgrid.openTextgrid(str(path), includeEmptyIntervals=False) for path in pair]


def generate_jsonl(path: Path, megabytes: int, seed: int = 7) -> int:
    """Write consultations of 60-140 timed turns until the file reaches `megabytes`."""
    rng = random.Random(seed)
    target = megabytes * 1024 * 1024
    written = count = 0
    with path.open("w", encoding="utf-8") as handle:
        while written < target:
            clock = 0.0
            turns = []
            for index in range(rng.randint(60, 140)):
                duration = round(rng.uniform(0.5, 12.0), 3)
                turns.append(
                    {
                        "speaker": "Doctor" if index % 2 == 0 else "Patient",
                        "text": " ".join(rng.choices(WORDS, k=rng.randint(3, 25))),
                        "start": round(clock, 3),
                        "end": round(clock + duration, 3),
                    }
                )
                clock += duration + rng.uniform(0.0, 1.5)
            line = json.dumps({"id": f"c{count}", "turns": turns}) + "\n"
            handle.write(line)
            written += len(line.encode("utf-8"))
            count += 1
    return count


def child(code: str, path: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="corpora folder (BEDSIDE_DATA_DIR)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--megabytes", type=int, default=100)
    args = parser.parse_args()
    folder = (args.data or Settings().data_dir) / "primock57" / "transcripts"
    work = pairs(folder)
    if len(work) != 35:
        sys.exit(f"expected 35 PriMock57 consultations in {folder}, found {len(work)}")

    ours = best_rate(work, bedside_pair, args.repeat)
    baseline = best_rate(work, praatio_pair, args.repeat)
    turns = sum(len(bedside_pair(pair).turns) for pair in work)  # type: ignore[attr-defined]

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.jsonl"
        start = time.perf_counter()
        generated = generate_jsonl(big, args.megabytes)
        made = time.perf_counter() - start
        size_mb = big.stat().st_size / 2**20
        stream = child(STREAM, big)
        naive = child(NAIVE, big)
    assert stream["conversations"] == naive["conversations"] == generated

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load} (other jobs slow every figure)")
    print(f"PriMock57: 35 consultations (70 TextGrids, {turns} turns), best of {args.repeat}")
    print(f"JSON Lines: {size_mb:.0f} MB, {generated} conversations (generated in {made:.1f} s)")
    print()
    header = f"| {'case':<44} | {'conv/s (wall)':>13} | {'conv/CPU-s':>10} | {'peak RSS MB':>11} | target   |"
    print(header)
    print(f"|{'-' * 46}|{'-' * 15}|{'-' * 12}|{'-' * 13}|{'-' * 10}|")
    rows = [
        ("PriMock57 merged pairs, bedside", f"{ours[0]:.0f}", f"{ours[1]:.0f}", "", ">= 200/s"),
        (
            "  baseline: praatio openTextgrid only",
            f"{baseline[0]:.0f}",
            f"{baseline[1]:.0f}",
            "",
            "",
        ),
    ]
    for label, result, target in (
        (f"{size_mb:.0f} MB JSON Lines, bedside streaming", stream, "< 300 MB"),
        ("  baseline: read whole + json.loads", naive, ""),
    ):
        count = result["conversations"]
        rows.append(
            (
                label,
                f"{count / result['seconds']:.0f}",
                f"{count / result['cpu']:.0f}",
                f"{result['rss_mb']:.0f}",
                target,
            )
        )
    for case, wall, cpu, rss, target in rows:
        print(f"| {case:<44} | {wall:>13} | {cpu:>10} | {rss:>11} | {target:<8} |")


if __name__ == "__main__":
    main()
