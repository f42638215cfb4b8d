"""bench/fuzz.py: a short run of the real fuzzer, and the pieces that read libFuzzer's output."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "fuzz.py"
spec = importlib.util.spec_from_file_location("bedside_bench_fuzz", SCRIPT)
assert spec and spec.loader
fuzz = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = fuzz  # dataclasses look their module up there
spec.loader.exec_module(fuzz)


def test_a_short_run_reports_every_figure_and_finds_nothing(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    command = [sys.executable, str(SCRIPT), "--runs", "300", "--readers", "textgrid"]
    command += ["--crashes", str(tmp_path / "found"), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    (figures,) = report["readers"]
    assert figures["reader"] == "textgrid"
    assert figures["inputs"] >= 300
    assert figures["cov"] > 0
    assert (figures["crashes"], figures["hangs"], figures["other_failures"]) == (0, 0, 0)
    assert report["seeds"] == len(fuzz.seed_files()) > 0
    assert "textgrid" in done.stdout
    assert not list((tmp_path / "found" / "textgrid").iterdir())


def test_inputs_run_are_read_from_final_stats_else_the_last_status_line() -> None:
    assert fuzz._runs("#512\tpulse  cov: 9 ft: 9\nDone 1000 runs in 3 second(s)\n") == 1000
    assert (
        fuzz._runs(
            "#512\tpulse  cov: 9\n==1== libFuzzer: run interrupted; exiting\n"
            "stat::number_of_executed_units: 777\n"
        )
        == 777
    )
    assert fuzz._runs("#64\tNEW cov: 3\n#128\tpulse cov: 3\n") == 128
    assert fuzz._runs("") == 0


def test_a_crash_site_names_the_exception_and_its_frame() -> None:
    try:
        [][1]
    except IndexError as error:
        site = fuzz._site(error)
    assert site.startswith("IndexError at test_io_fuzz_bench.py:")


def test_a_saved_input_is_named_by_its_content(tmp_path: Path) -> None:
    first = fuzz.save_regression("vtt", b"WEBVTT\n", "hang", tmp_path)
    again = fuzz.save_regression("vtt", b"WEBVTT\n", "hang", tmp_path)
    assert first == again
    assert first.parent == tmp_path / "vtt"
    assert first.name.startswith("hang-") and first.read_bytes() == b"WEBVTT\n"
