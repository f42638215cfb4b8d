"""Shared test helpers: the data folder of licensed corpora and a conversation factory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bedside.model import Conversation, Role, Speaker, Turn

ROOT = Path(__file__).resolve().parents[1]

# Every test database encrypts its transcripts and answers (bedside.db.crypto): one fixed test key,
# so PostgreSQL tests have the key a deployment must set, and subprocesses inherit it.
TEST_DATA_KEYS = "test-1:" + "dGVzdC1kYXRhLWtleS0zMi1ieXRlcy1sb25nLi4uLi4="
os.environ["BEDSIDE_DATA_KEYS"] = TEST_DATA_KEYS  # not a developer's own key
SAMPLES = ROOT / "data" / "samples"


def data_dir() -> Path:
    """The corpora folder named by BEDSIDE_DATA_DIR (default ../shared/data from the repo root)."""
    return Path(os.environ.get("BEDSIDE_DATA_DIR", ROOT.parent / "shared" / "data"))


def corpora_present() -> bool:
    """True when the data folder holds the licensed corpora."""
    return (data_dir() / "primock57").is_dir()


def corpora_required() -> bool:
    """CI has the corpora and sets BEDSIDE_REQUIRE_CORPORA=1 (in .ci/run): there they must run."""
    return os.environ.get("BEDSIDE_REQUIRE_CORPORA") == "1"


@pytest.fixture
def shared_data() -> Path:
    """The shared corpora. Missing ones fail where they are required; elsewhere such tests are
    deselected at collection (see `pytest_collection_modifyitems`), so this only guards direct use."""
    path = data_dir()
    if not corpora_present():
        pytest.fail(f"corpora not found at {path} (set BEDSIDE_DATA_DIR)")
    return path


_DESELECTED_CORPUS_TESTS: list[str] = []


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """A user's clone has no ../shared/data: its corpus tests are deselected, and said so.

    Deselection (not a skip) keeps `make test` green in a clone of its own while the summary
    names what did not run; CI sets BEDSIDE_REQUIRE_CORPORA=1 so they run there or fail.
    """
    if corpora_present() or corpora_required():
        return
    keep, drop = [], []
    for item in items:
        (drop if "shared_data" in getattr(item, "fixturenames", ()) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        _DESELECTED_CORPUS_TESTS.extend(item.nodeid for item in drop)


def pytest_terminal_summary(terminalreporter):  # type: ignore[no-untyped-def]
    if _DESELECTED_CORPUS_TESTS:
        terminalreporter.write_line(
            f"{len(_DESELECTED_CORPUS_TESTS)} corpus tests not run: corpora not found at "
            f"{data_dir()} (set BEDSIDE_DATA_DIR; CI requires them with BEDSIDE_REQUIRE_CORPORA=1)",
            yellow=True,
        )


def make_conversation(*lines: tuple[str, str], conv_id: str = "test", timed: bool = False) -> Conversation:
    """Build a conversation from (speaker, text) pairs; roles are inferred from the names.

    With `timed`, each turn lasts its word count in seconds, one after another.
    """
    from bedside.model import infer_role

    turns = []
    clock = 0.0
    for number, (name, text) in enumerate(lines, start=1):
        start = end = None
        if timed:
            start, end = clock, clock + max(1, len(text.split()))
            clock = end
        turns.append(
            Turn(speaker=Speaker(name=name, role=infer_role(name)), text=text, start=start, end=end, line=number)
        )
    return Conversation(id=conv_id, turns=tuple(turns))


__all__ = ["ROOT", "SAMPLES", "Role", "data_dir", "make_conversation"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """With BEDSIDE_STRICT_SKIPS=1 (set by `make test`), a skipped test fails the run.

    Skips exist for developers without PostgreSQL, chromium or the corpora; in `make test` and CI
    everything is installed, so a skip there means something is missing and must not pass silently.
    """
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("BEDSIDE_STRICT_SKIPS") == "1" and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under BEDSIDE_STRICT_SKIPS=1 (make test): {reason}"
