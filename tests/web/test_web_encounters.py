"""Upload, report, share, exports and the audit trail around them."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bedside.db.tables import AuditEvent, Encounter
from bedside.services.encounters import MAX_UPLOAD_BYTES
from web_fixtures import TRANSCRIPT, follow_job, primock_pair, store_encounter


def _counts(world):
    with world.session() as session:
        return (session.scalar(select(func.count(Encounter.id))),
                session.scalar(select(func.count(AuditEvent.id))))


def test_a_primock57_pair_is_merged_into_one_encounter(client_for, world):
    clinician = client_for("clinician")
    response = clinician.upload(*primock_pair())
    assert response.status_code == 303
    page = clinician.get(follow_job(clinician, response))
    assert page.status_code == 200
    assert "day1_consultation01" in page.text
    with world.session() as session:
        encounter = session.scalars(select(Encounter)).one()
        roles = {t["role"] for t in encounter.analysis["turns"]}
        starts = [t["start"] for t in encounter.analysis["turns"]]
    assert roles == {"clinician", "patient"}
    assert starts == sorted(starts)  # one timeline
    assert encounter.analysis["schema"] == "bedside.analysis/1"


def test_a_bad_file_shows_the_readers_error_and_stores_nothing(client_for, world):
    clinician = client_for("clinician")
    before = _counts(world)
    bad = b'{"turns": [{"speaker": "Dr A", "text": 42}]}'
    response = clinician.upload(("broken.json", bad))
    assert response.status_code == 400
    assert "broken.json" in response.text
    assert "Nothing was stored" in response.text
    assert _counts(world) == before


def test_an_analysis_failure_stores_nothing(client_for, world, pipeline, monkeypatch):
    def boom(conversation):
        raise RuntimeError("model crashed while reading 'worried about these headaches'")

    monkeypatch.setattr(pipeline, "analyse", boom)
    before = _counts(world)
    clinician = client_for("clinician")
    response = clinician.upload(("visit.txt", TRANSCRIPT))
    assert response.status_code == 303  # the job is queued; its page tells the outcome
    with pytest.raises(AssertionError, match="did not finish"):
        follow_job(clinician, response)
    page = clinician.get(response.headers["location"])
    assert "the analysis failed; nothing was stored" in page.text
    assert "headaches" not in page.text  # the exception's text is not shown or kept
    assert _counts(world) == before


def test_uploads_over_the_limit_are_refused(client_for, world):
    clinician = client_for("clinician")
    huge = b"Dr A: hello\n" * (MAX_UPLOAD_BYTES // 12 + 40_000)
    response = clinician.upload(("big.txt", huge))
    assert response.status_code == 413
    assert _counts(world)[0] == 0


def test_report_shows_score_opportunities_and_transcript(client_for, world, pipeline):
    encounter_id = store_encounter(world, "clinician", pipeline)
    page = client_for("clinician").get(f"/encounters/{encounter_id}")
    assert "Compassion score" in page.text
    assert "That sounds worrying" in page.text  # the suggestion of the missed cue
    assert "missed" in page.text
    assert "I understand, that sounds frightening." in page.text


def test_views_uploads_and_exports_are_audited_with_address(client_for, world, pipeline):
    clinician = client_for("clinician")
    response = clinician.upload(("visit.txt", TRANSCRIPT))
    encounter_id = int(follow_job(clinician, response).rsplit("/", 1)[1])
    clinician.get(f"/encounters/{encounter_id}")
    clinician.get(f"/encounters/{encounter_id}/report.html")
    client_for("learner").get(f"/encounters/{encounter_id}")
    with world.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.subject_id == str(encounter_id))).all()
    seen = [(e.action, e.actor_email) for e in events]
    assert ("encounter.upload", "clinician@test.example") in seen
    assert ("encounter.view", "clinician@test.example") in seen
    assert ("encounter.export", "clinician@test.example") in seen
    assert ("access.denied", "learner@test.example") in seen
    assert all(e.ip for e in events)
    assert all("worried" not in (e.detail or "") for e in events)


def test_sharing_opens_an_encounter_to_a_colleague(client_for, world, pipeline):
    encounter_id = store_encounter(world, "clinician", pipeline)
    learner = client_for("learner")
    assert learner.get(f"/encounters/{encounter_id}").status_code == 404
    shared = client_for("clinician").post(
        f"/encounters/{encounter_id}/share", data={"email": "learner@test.example"},
        headers={"hx-request": "true"},
    )
    assert shared.status_code == 200
    assert "Shared with Learner" in shared.text
    assert learner.get(f"/encounters/{encounter_id}").status_code == 200


def test_encounter_list_pages_with_htmx(client_for, world, pipeline):
    for _ in range(22):
        store_encounter(world, "clinician", pipeline)
    clinician = client_for("clinician")
    first = clinician.get("/encounters")
    assert "22 encounter(s)" in first.text
    assert 'hx-get="/encounters?page=2"' in first.text
    rows = clinician.get("/encounters?page=2", headers={"hx-request": "true"})
    assert rows.text.count("<tr>") == 2
    assert "<html" not in rows.text


def test_no_transcript_text_reaches_the_logs(client_for, world, caplog):
    caplog.set_level(logging.DEBUG)
    clinician = client_for("clinician")
    response = clinician.upload(("visit.txt", TRANSCRIPT))
    clinician.get(follow_job(clinician, response))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "headaches" not in logged
    assert "frightening" not in logged


def test_trends_team_and_research_pages(client_for, world, pipeline):
    for _ in range(5):
        store_encounter(world, "clinician", pipeline)
    trends = client_for("clinician").get("/trends")
    assert trends.text.count("<svg") == 3
    assert 'role="img"' in trends.text
    team = client_for("educator").get("/team")
    assert "Cohort A" in team.text and "Clinician" in team.text
    research = client_for("researcher").get("/research")
    assert "worried" not in research.text
    assert "Clinician" not in research.text
    assert "(suppressed)" not in research.text  # 5 encounters this month: shown
    assert "<td>5</td>" in research.text


def test_the_dashboard_fits_each_role(client_for, world, pipeline):
    store_encounter(world, "clinician", pipeline, patient="patient")
    assert "Recent encounters" in client_for("patient").get("/").text
    assert "Your team" in client_for("educator").get("/").text
    assert "Across the organisation" in client_for("researcher").get("/").text
    assert "Recent encounters" not in client_for("researcher").get("/").text
