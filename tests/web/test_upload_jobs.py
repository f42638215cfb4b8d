"""Uploads off the event loop: a reader that hangs is a 400 while the server keeps answering;
the analysis is a background job with a progress page; restarts lose nothing silently."""

from __future__ import annotations

import threading
import time

import httpx
from sqlalchemy import func, select

from bedside.config import Settings
from bedside.db.tables import Encounter
from bedside.db.tables_jobs import AnalysisJob, JobStatus
from bedside.services import jobs
from browser_support import serving
from web_fixtures import TRANSCRIPT, Client, FakePipeline, follow_job


class LoopingPipeline(FakePipeline):
    """The fake pipeline with a reader that never returns (issue 11, finding 1)."""

    def read(self, files):
        while True:
            pass


class GatedPipeline(FakePipeline):
    """The fake pipeline whose analysis waits until the test opens the gate."""

    gate = threading.Event()

    def analyse(self, conversation):
        assert self.gate.wait(30)
        return super().analyse(conversation)


def _live(base: str, client: Client) -> httpx.Client:
    http = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
    for cookie in client.http.cookies.jar:
        http.cookies.set(cookie.name, cookie.value)
    http.headers["x-csrftoken"] = client.csrf or ""
    return http


def _healthz_while(thread: threading.Thread, base: str) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base, timeout=10) as probe:
        while thread.is_alive():
            started = time.perf_counter()
            assert probe.get("/healthz").text == "ok"
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)
    return latencies


def test_a_reader_that_hangs_is_a_400_and_healthz_answers_meanwhile(make_app, world):
    app = make_app(pipeline=LoopingPipeline(), settings=Settings(parse_timeout_s=2))
    answer: dict[str, httpx.Response] = {}
    with serving(app) as base, _live(base, Client(app, world, "clinician")) as http:
        upload = threading.Thread(target=lambda: answer.setdefault(
            "upload", http.post("/encounters", files=[("files", ("visit.txt", TRANSCRIPT))])))
        started = time.monotonic()
        upload.start()
        latencies = _healthz_while(upload, base)
        elapsed = time.monotonic() - started
    response = answer["upload"]
    assert response.status_code == 400
    assert "took too long to read" in response.text
    assert "Nothing was stored" in response.text
    assert 2 <= elapsed < 10
    assert len(latencies) >= 10  # the server answered all along
    assert max(latencies) < 0.5
    with world.session() as session:
        assert session.scalar(select(func.count(AnalysisJob.id))) == 0
        assert session.scalar(select(func.count(Encounter.id))) == 0


def test_an_upload_answers_at_once_with_a_progress_page_that_becomes_the_report(make_app, world):
    GatedPipeline.gate.clear()
    app = make_app(pipeline=GatedPipeline())
    clinician = Client(app, world, "clinician")
    response = clinician.upload(("visit.txt", TRANSCRIPT))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/encounters/jobs/")
    page = clinician.get(response.headers["location"])
    assert page.status_code == 200
    assert 'hx-trigger="every 1s"' in page.text
    assert "<progress" in page.text
    assert 'http-equiv="refresh"' in page.text  # without JavaScript the page reloads itself
    job_id = int(response.headers["location"].rsplit("/", 1)[1])
    polled = clinician.get(f"/encounters/jobs/{job_id}/status", headers={"hx-request": "true"})
    assert "hx-redirect" not in polled.headers and "<html" not in polled.text
    GatedPipeline.gate.set()
    report = follow_job(clinician, response)
    done = clinician.get(f"/encounters/jobs/{job_id}/status", headers={"hx-request": "true"})
    assert done.headers["hx-redirect"] == report  # htmx takes the page to the report
    assert "hx-trigger" not in done.text  # and stops polling
    assert "worried about these headaches" in clinician.get(report).text
    with world.session() as session:
        job = session.get(AnalysisJob, job_id)
        assert job.status == JobStatus.DONE and job.progress == 100
        assert job.started_at and job.finished_at and job.encounter_id


def test_the_upload_button_is_disabled_while_submitting(client_for):
    form = client_for("clinician").get("/encounters/new").text
    assert 'data-busy-label="Uploading…"' in form
    assert '<script src="/static/upload.js" defer></script>' in form
    script = client_for("clinician").get("/static/upload.js").text
    assert "button.disabled = true" in script


def test_only_the_owner_sees_a_job(client_for, world):
    clinician = client_for("clinician")
    location = clinician.upload(("visit.txt", TRANSCRIPT)).headers["location"]
    follow_job(clinician, clinician.post("/encounters", files=[("files", ("v.txt", TRANSCRIPT))]))
    assert client_for("other").get(location).status_code == 404
    assert client_for("learner").get(location + "/status").status_code == 404
    assert client_for("patient").get(location).status_code == 403


def test_the_api_upload_stays_synchronous_and_its_job_can_be_read(app, world):
    from bedside.services import accounts

    client = Client(app, None, None)
    with world.session() as session:
        user = session.get(type(world.users["clinician"]), world.users["clinician"].id)
        client.http.headers["authorization"] = f"Bearer {accounts.create_api_token(session, user, 't').secret}"
    created = client.post("/api/v1/encounters", files=[("files", ("v.txt", TRANSCRIPT))])
    assert created.status_code == 201
    with world.session() as session:
        job = session.scalars(select(AnalysisJob)).one()
    assert job.encounter_id == created.json()["id"]
    answer = client.get(f"/api/v1/jobs/{job.id}").json()
    assert answer == {"id": job.id, "status": "done", "progress": 100, "error": None,
                      "encounter_id": created.json()["id"]}


def test_an_api_analysis_failure_is_a_500_that_quotes_nothing(make_app, world, pipeline, monkeypatch):
    from bedside.services import accounts

    def boom(conversation):
        raise RuntimeError("crashed on 'worried about these headaches'")

    monkeypatch.setattr(pipeline, "analyse", boom)
    client = Client(make_app(), None, None)
    with world.session() as session:
        user = session.get(type(world.users["clinician"]), world.users["clinician"].id)
        client.http.headers["authorization"] = f"Bearer {accounts.create_api_token(session, user, 't').secret}"
    response = client.post("/api/v1/encounters", files=[("files", ("v.txt", TRANSCRIPT))])
    assert response.status_code == 500
    assert response.json() == {"detail": jobs.FAILED}
    with world.session() as session:
        assert session.scalar(select(func.count(Encounter.id))) == 0


def test_a_full_queue_answers_503_busy(make_app, world):
    GatedPipeline.gate.clear()
    app = make_app(pipeline=GatedPipeline(), settings=Settings(analysis_workers=1, analysis_queue=1))
    clinician = Client(app, world, "clinician")
    try:
        assert clinician.upload(("visit.txt", TRANSCRIPT)).status_code == 303  # running
        assert clinician.upload(("visit.txt", TRANSCRIPT)).status_code == 303  # queued
        refused = clinician.upload(("visit.txt", TRANSCRIPT))
        assert refused.status_code == 503
        assert refused.headers["retry-after"]
        assert "try again" in refused.text
    finally:
        GatedPipeline.gate.set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with world.session() as session:
            statuses = session.scalars(select(AnalysisJob.status)).all()
        if statuses == ["done", "done"]:
            break
        time.sleep(0.05)
    assert statuses == ["done", "done"]  # the refused third upload stored no job


def test_a_restart_marks_interrupted_jobs_failed_with_a_message(make_app, world):
    owner = world.users["clinician"]
    with world.session() as session:
        dead = AnalysisJob(organisation_id=world.organisation_id, owner_id=owner.id,
                           status="running", progress=10, runner=f"{jobs.HOST}:999999999:dead")
        live = AnalysisJob(organisation_id=world.organisation_id, owner_id=owner.id,
                           status="queued", runner=jobs.RUNNER)  # this very process: still ours
        session.add_all([dead, live])
        session.commit()
        dead_id, live_id = dead.id, live.id
    app = make_app()
    from starlette.testclient import TestClient

    with TestClient(app) as http:  # runs the lifespan: start-up recovery, then shutdown
        assert http.get("/healthz").status_code == 200
        with world.session() as session:
            assert session.get(AnalysisJob, dead_id).status == "failed"
            assert session.get(AnalysisJob, live_id).status == "queued"
    clinician = Client(app, world, "clinician")
    page = clinician.get(f"/encounters/jobs/{dead_id}")
    assert "the server restarted before the analysis finished" in page.text
    assert "Upload again" in page.text


def test_a_shutdown_lets_the_running_job_finish_and_fails_the_queued_one_with_a_message(make_app, world):
    GatedPipeline.gate.clear()
    app = make_app(pipeline=GatedPipeline(), settings=Settings(analysis_workers=1, analysis_queue=4))
    clinician = Client(app, world, "clinician")
    try:
        running = clinician.upload(("visit.txt", TRANSCRIPT)).headers["location"]
        queued = clinician.upload(("visit.txt", TRANSCRIPT)).headers["location"]
        stopping = threading.Thread(target=app.state.jobs.shutdown)
        stopping.start()
        time.sleep(0.3)  # the queue is cancelled at once; the running analysis is waited for
    finally:
        GatedPipeline.gate.set()
    stopping.join(30)
    assert not stopping.is_alive()
    assert clinician.get(running).status_code == 303  # done: straight to the report
    page = clinician.get(queued)
    assert "the server restarted before the analysis finished" in page.text


class SlowAnalysis(FakePipeline):
    """An analysis that takes 3 s: on the event loop it would stop every other request."""

    def analyse(self, conversation):
        time.sleep(3)
        return super().analyse(conversation)


def test_healthz_answers_while_uploads_are_analysed(make_app, world):
    app = make_app(pipeline=SlowAnalysis())
    reports: list[str] = []
    with serving(app) as base, _live(base, Client(app, world, "clinician")) as http:
        def upload_and_wait() -> None:
            location = http.post("/encounters", files=[("files", ("v.txt", TRANSCRIPT))]).headers["location"]
            while location.startswith("/encounters/jobs/"):
                page = http.get(location)
                location = page.headers.get("location", location)
                time.sleep(0.1)
            reports.append(location)

        uploads = threading.Thread(target=upload_and_wait)
        uploads.start()
        latencies = _healthz_while(uploads, base)
    assert len(reports) == 1 and reports[0].startswith("/encounters/")
    assert len(latencies) >= 20  # 3 s of analysis, polled every 50 ms
    assert max(latencies) < 0.5  # on the event loop, the analysis would have held it for 3 s


def test_a_reader_that_hangs_is_a_400_on_the_api_too(make_app, world):
    from bedside.services import accounts

    client = Client(make_app(pipeline=LoopingPipeline(), settings=Settings(parse_timeout_s=1)), None, None)
    with world.session() as session:
        user = session.get(type(world.users["clinician"]), world.users["clinician"].id)
        client.http.headers["authorization"] = f"Bearer {accounts.create_api_token(session, user, 't').secret}"
    response = client.post("/api/v1/encounters", files=[("files", ("v.txt", TRANSCRIPT))])
    assert response.status_code == 400
    assert "took too long to read" in response.json()["detail"]
