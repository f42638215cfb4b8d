"""LLM rewrites of suggestions, against a fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bedside.config import Settings
from bedside.engine import analyse
from bedside.model import AnalysisReport, Conversation, Speaker, Turn
from bedside.services.rewrite import LLMRewriter, rewrite_suggestions

Reply = Callable[[dict[str, Any]], tuple[int, bytes]]


class FakeServer:
    """Answers POST /v1/chat/completions with whatever `reply` returns; records the requests."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.reply: Reply = lambda body: (200, b"{}")
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                server.requests.append({"path": self.path, **body})
                server.headers.append(dict(self.headers))
                status, payload = server.reply(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *args: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def completion(text: str) -> tuple[int, bytes]:
    return 200, json.dumps(
        {"choices": [{"message": {"role": "assistant", "content": text}}]}
    ).encode()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def missed_report(cues: int = 2) -> AnalysisReport:
    def turn(name: str, role: str, text: str) -> Turn:
        return Turn(speaker=Speaker(name=name, role=role), text=text)

    turns = []
    for number in range(cues):
        turns.append(turn("Patient", "patient", f"I'm scared it's cancer, number {number}."))
        turns.append(turn("Doctor", "clinician", "Do you smoke?"))
        turns.append(turn("Patient", "patient", "No."))
    report = analyse(Conversation(id="missed", turns=tuple(turns)))
    assert [o.response for o in report.opportunities] == ["missed"] * cues
    return report


def test_off_by_default_returns_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BEDSIDE_LLM_URL", raising=False)
    report = missed_report()
    assert rewrite_suggestions(report) is report


def test_rewrite_replaces_the_suggestion_and_keeps_the_template(server: FakeServer) -> None:
    server.reply = lambda body: completion('"That sounds frightening. What worries you most?"')
    report = missed_report()
    rewritten = rewrite_suggestions(report, settings=Settings(llm_url=server.url, llm_api_key="k"))
    for before, after in zip(report.opportunities, rewritten.opportunities, strict=True):
        assert after.suggestion == "That sounds frightening. What worries you most?"
        assert after.extra["suggestion_source"] == "llm"
        assert after.extra["template_suggestion"] == before.suggestion
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["model"] == "gpt-4o-mini"
    assert "I'm scared it's cancer, number 0." in request["messages"][1]["content"]
    assert "Do you smoke?" in request["messages"][1]["content"]
    assert server.headers[0]["Authorization"] == "Bearer k"
    assert rewritten.to_json()["opportunities"][0]["suggestion_source"] == "llm"


def test_env_variable_switches_it_on(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    server.reply = lambda body: completion("It sounds like you're scared. Tell me more?")
    monkeypatch.setenv("BEDSIDE_LLM_URL", server.url)
    monkeypatch.setenv("BEDSIDE_LLM_MODEL", "local-model")
    rewritten = rewrite_suggestions(missed_report(1))
    assert rewritten.opportunities[0].extra["suggestion_source"] == "llm"
    assert server.requests[0]["model"] == "local-model"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (lambda body: (500, b'{"error": "boom"}'), "HTTPError"),
        (lambda body: (200, b"not json"), "JSONDecodeError"),
        (lambda body: (200, b'{"choices": []}'), "no choices"),
        (lambda body: completion("   "), "empty"),
        (lambda body: completion("x" * 1000), "longer than"),
    ],
    ids=["http-500", "not-json", "no-choices", "empty", "too-long"],
)
def test_failures_fall_back_to_the_template(server: FakeServer, reply: Reply, reason: str) -> None:
    server.reply = reply
    report = missed_report()
    rewritten = rewrite_suggestions(report, rewriter=LLMRewriter(url=server.url))
    for before, after in zip(report.opportunities, rewritten.opportunities, strict=True):
        assert after.suggestion == before.suggestion
        assert after.extra["suggestion_source"] == "template"
        assert reason in after.extra["rewrite_error"]
    assert len(server.requests) == 1  # gave up after the first failure


def test_timeout_falls_back_quickly(server: FakeServer) -> None:
    def slow(body: dict[str, Any]) -> tuple[int, bytes]:
        time.sleep(1.0)
        return completion("too late")

    server.reply = slow
    report = missed_report(3)
    started = time.perf_counter()
    rewritten = rewrite_suggestions(report, rewriter=LLMRewriter(url=server.url, timeout=0.2))
    assert time.perf_counter() - started < 1.0
    assert all(o.extra["suggestion_source"] == "template" for o in rewritten.opportunities)


def test_unreachable_endpoint_falls_back() -> None:
    rewriter = LLMRewriter(url="http://127.0.0.1:9/v1", timeout=0.5)
    rewritten = rewrite_suggestions(missed_report(1), rewriter=rewriter)
    assert rewritten.opportunities[0].extra["suggestion_source"] == "template"


def test_request_cap(server: FakeServer) -> None:
    server.reply = lambda body: completion("Tell me more about that worry.")
    rewritten = rewrite_suggestions(
        missed_report(3), rewriter=LLMRewriter(url=server.url), max_requests=2
    )
    sources = [o.extra["suggestion_source"] for o in rewritten.opportunities]
    assert sources == ["llm", "llm", "template"]
    assert len(server.requests) == 2


def test_full_endpoint_url_is_used_as_is() -> None:
    assert (
        LLMRewriter(url="http://h/v1/chat/completions").endpoint == "http://h/v1/chat/completions"
    )
    assert LLMRewriter(url="http://h/v1/").endpoint == "http://h/v1/chat/completions"
