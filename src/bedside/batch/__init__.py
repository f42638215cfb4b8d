"""Batch analysis at scale: local processes or a Dask distributed cluster, resumable, in order.

The only package that imports dask. It maps the pure `bedside.engine.analyse` over conversations
read in this process, so a remote cluster needs bedside installed but no access to the files.
"""

from bedside.batch._command import AnalyzeRequest, choose_format, run_analyze, safe_filename
from bedside.batch._executors import (
    DaskExecutor,
    Executor,
    Outcome,
    ProcessExecutor,
    SerialExecutor,
    make_executor,
)
from bedside.batch._pipeline import Analysed, Failure, Skipped, SourceDone, analyse_sources
from bedside.batch._plan import Source, group_key, plan_sources
from bedside.batch._store import JsonlStore, iter_documents
from bedside.batch._summary import summary_row, write_summary

__all__ = [
    "Analysed",
    "AnalyzeRequest",
    "DaskExecutor",
    "Executor",
    "Failure",
    "JsonlStore",
    "Outcome",
    "ProcessExecutor",
    "SerialExecutor",
    "Skipped",
    "Source",
    "SourceDone",
    "analyse_sources",
    "choose_format",
    "group_key",
    "iter_documents",
    "make_executor",
    "plan_sources",
    "run_analyze",
    "safe_filename",
    "summary_row",
    "write_summary",
]
