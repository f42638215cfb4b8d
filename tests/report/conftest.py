"""Fixtures of the report tests."""

from __future__ import annotations

import pytest
from report_factory import build_report

from bedside.model import AnalysisReport


@pytest.fixture
def report() -> AnalysisReport:
    return build_report()
