"""A Dask LocalCluster gives the same analyses as one process (same pure engine, same order)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from bedside.batch import AnalyzeRequest, run_analyze

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "primock57"


def _models_available() -> bool:
    try:
        from bedside.nlp import load_labeller

        load_labeller()
    except Exception:
        return False
    return True


def _rounded(value: Any) -> Any:
    """Floats to 6 decimals: worker processes run the models single-threaded, which may change
    the last bits of a sum, never a label."""
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else value
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _two_pairs(tmp_path: Path) -> Path:
    """The two day-1 consultations (four TextGrids), to keep the model run short on 2 cores."""
    folder = tmp_path / "pairs"
    folder.mkdir(exist_ok=True)
    for path in sorted(SAMPLES.glob("day1_*.TextGrid")):
        target = folder / path.name
        if not target.exists():
            target.symlink_to(path)
    return folder


def _run(out: Path, inputs: Path = SAMPLES, **options: Any) -> list[dict[str, Any]]:
    request = AnalyzeRequest(
        inputs=(str(inputs),), format="jsonl", out=out, merge=True, progress=False, **options
    )
    assert run_analyze(request) == 0
    return [_rounded(json.loads(line)) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_dask_local_cluster_matches_one_process(tmp_path: Path) -> None:
    use_models = _models_available()
    pairs = _two_pairs(tmp_path)
    single = _run(tmp_path / "single.jsonl", pairs, use_models=use_models)
    on_dask = _run(tmp_path / "dask.jsonl", pairs, use_models=use_models, dask="local")
    assert [d["id"] for d in single] == ["day1_consultation01", "day1_consultation02"]
    assert on_dask == single


@pytest.mark.slow
def test_process_pool_matches_one_process(tmp_path: Path) -> None:
    single = _run(tmp_path / "single.jsonl", use_models=False)
    pooled = _run(tmp_path / "pool.jsonl", use_models=False, workers=2)
    assert pooled == single
