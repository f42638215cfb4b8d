"""The slow-request limit: an ordinary request still unanswered after the limit gets a 503;
uploads are exempt (they have their own read limit and analyse as a job)."""

from __future__ import annotations

import asyncio
import threading
import time

from fastapi.responses import PlainTextResponse

from bedside.config import Settings
from bedside.services import accounts
from web_fixtures import TRANSCRIPT, Client, FakePipeline


class SlowPipeline(FakePipeline):
    def analyse(self, conversation):
        time.sleep(1.0)
        return super().analyse(conversation)


def test_a_slow_request_is_a_503_at_the_limit_in_a_sync_or_async_route(make_app, world):
    app = make_app(settings=Settings(request_timeout_s=0.5))
    release = threading.Event()

    @app.get("/test/slow")
    def slow() -> PlainTextResponse:
        release.wait(10)
        return PlainTextResponse("late")

    @app.get("/test/slow-async")
    async def slow_async() -> PlainTextResponse:
        await asyncio.sleep(10)
        return PlainTextResponse("late")

    client = Client(app, world, "clinician")
    try:
        for path in ("/test/slow", "/test/slow-async"):
            started = time.monotonic()
            response = client.get(path)
            assert 0.5 <= time.monotonic() - started < 3, path
            assert response.status_code == 503
            assert "took too long" in response.text
            assert response.headers["retry-after"] == "5"
            assert response.headers["x-content-type-options"] == "nosniff"  # still dressed
    finally:
        release.set()
    assert client.get("/healthz").text == "ok"


def test_the_api_answers_a_slow_request_in_json(make_app, world):
    app = make_app(settings=Settings(request_timeout_s=0.3))

    @app.get("/api/v1/test-slow")
    async def slow() -> PlainTextResponse:
        await asyncio.sleep(5)
        return PlainTextResponse("late")

    response = Client(app, None, None).get("/api/v1/test-slow")
    assert response.status_code == 503
    assert "took too long" in response.json()["detail"]


def test_uploads_are_not_cut_by_the_limit(make_app, world):
    app = make_app(pipeline=SlowPipeline(), settings=Settings(request_timeout_s=0.3))
    client = Client(app, None, None)
    with world.session() as session:
        user = session.get(type(world.users["clinician"]), world.users["clinician"].id)
        client.http.headers["authorization"] = f"Bearer {accounts.create_api_token(session, user, 't').secret}"
    response = client.post("/api/v1/encounters", files=[("files", ("v.txt", TRANSCRIPT))])
    assert response.status_code == 201  # the analysis took ~1 s, over the 0.3 s limit
