"""What runs inside a worker process: the pure engine with the models loaded once per process.

The module keeps one labeller per process in `_LABELLER`. A process pool calls `init_worker` once
per process; a Dask worker loads the models on its first task and keeps them for the rest, so ten
thousand consultations cost one model load per worker, not one per consultation.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from bedside.errors import BedsideError
from bedside.model import AnalysisReport, Conversation, TurnLabeller

__all__ = ["analyse_conversation", "get_labeller", "init_worker", "set_labeller"]

_UNSET: Any = object()
_LABELLER: Any = _UNSET
_USE_MODELS: bool | None = None


def init_worker(use_models: bool, single_thread: bool = True) -> None:
    """Process-pool initialiser: pin math libraries to one thread, then load the models."""
    if single_thread:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ.setdefault(name, "1")
    # Keep the pool alive on a model error: the same error is raised again, and reported per
    # conversation, when the first analysis asks for the labeller.
    with contextlib.suppress(BedsideError):
        get_labeller(use_models, threads=1 if single_thread else None)


def set_labeller(labeller: TurnLabeller | None, use_models: bool = True) -> None:
    """Install an already-loaded labeller (the single-process path, and tests)."""
    global _LABELLER, _USE_MODELS
    _LABELLER, _USE_MODELS = labeller, use_models


def get_labeller(use_models: bool, threads: int | None = None) -> TurnLabeller | None:
    """This process's labeller, loading the ONNX models on first use (None with `--no-models`).

    `threads` caps ONNX Runtime's intra-op threads: 1 in worker processes, so two workers on two
    cores do not fight over them; None (all cores) when one process does everything.
    """
    global _LABELLER, _USE_MODELS
    if _LABELLER is _UNSET or use_models != _USE_MODELS:
        if use_models:
            from bedside.nlp import load_labeller

            _LABELLER = load_labeller(threads=threads)
        else:
            _LABELLER = None
        _USE_MODELS = use_models
    labeller: TurnLabeller | None = _LABELLER
    return labeller


def analyse_conversation(
    conv: Conversation, use_models: bool, threads: int | None = None
) -> AnalysisReport:
    """Analyse one conversation with this process's labeller (a pure function of its input)."""
    from bedside.engine import analyse

    report: AnalysisReport = analyse(conv, labeller=get_labeller(use_models, threads))
    return _rewrite(report)


_REWRITER: object = _UNSET


def _rewrite(report: AnalysisReport) -> AnalysisReport:
    """Suggestions rewritten by the endpoint `BEDSIDE_LLM_URL` names; unchanged when it is unset.

    Read once per process, so Dask and process workers each see the environment they run in.
    """
    global _REWRITER
    from bedside.services.rewrite import LLMRewriter, rewrite_suggestions

    if _REWRITER is _UNSET:
        from bedside.config import Settings

        _REWRITER = LLMRewriter.from_settings(Settings())
    if _REWRITER is None:
        return report
    assert isinstance(_REWRITER, LLMRewriter)
    return rewrite_suggestions(report, rewriter=_REWRITER)
