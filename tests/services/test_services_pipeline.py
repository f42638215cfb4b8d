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


def test_uploads_get_llm_rewrites_when_an_endpoint_is_configured(monkeypatch):
    from services.test_rewrite import FakeServer, completion

    pipeline = DefaultPipeline()
    monkeypatch.setattr(pipeline, "labeller", lambda: None)  # rules only: fast and deterministic
    upload = Upload("visit.txt", b"Patient: I'm scared it's cancer, my dad died of it.\nDoctor: Do you smoke?\nPatient: No.\n")
    conversation = pipeline.read([upload])
    with FakeServer() as server:
        server.reply = lambda body: completion("That sounds frightening. What worries you most?")
        monkeypatch.setenv("BEDSIDE_LLM_URL", server.url)
        document = pipeline.analyse(conversation).to_json()
    missed = [o for o in document["opportunities"] if o["response"] == "missed"]
    assert missed and missed[0]["suggestion_source"] == "llm"
    assert missed[0]["suggestion"] == "That sounds frightening. What worries you most?"
