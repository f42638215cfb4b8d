"""Fixtures of the nlp tests: one shared labeller (loading takes about half a second)."""

from __future__ import annotations

import pytest

from bedside.nlp import Labeller, load_labeller


@pytest.fixture(scope="session")
def labeller() -> Labeller:
    """The shipped models, loaded once for the whole test session."""
    return load_labeller()
