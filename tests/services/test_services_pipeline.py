"""The real pipeline (bedside.io + bedside.engine) behind uploads, on a bundled PriMock57 pair."""

from __future__ import annotations

from bedside.services.encounters import DefaultPipeline, Upload
from web_fixtures import PRIMOCK


def test_the_default_pipeline_merges_and_analyses_a_pair():
    pipeline = DefaultPipeline()
    files = [Upload(p.name, p.read_bytes()) for p in sorted(PRIMOCK.glob("day1_consultation01_*.TextGrid"))]
    conversation = pipeline.read(files)
    assert conversation.id == "day1_consultation01"
    assert {t.role.value for t in conversation.turns} == {"clinician", "patient"}
    document = pipeline.analyse(conversation).to_json()
    assert document["schema"] == "bedside.analysis/1"
    assert len(document["turns"]) == len(conversation.turns)
    assert document["metrics"]["talk_time_basis"] == "seconds"
