"""Every response carries the security headers: pages, redirects, errors, a 413, a 500, /docs.

Issue 11 finding 12: the 413 (made by the body-limit middleware, which sat outside the headers
middleware) and /docs (no CSP) lacked them. The headers middleware is now outermost and the 500
handler, which Starlette runs outside every middleware, adds them itself.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from starlette.testclient import TestClient

from bedside.db.tables import User
from bedside.services import accounts
from bedside.services.encounters import MAX_UPLOAD_BYTES
from web_fixtures import Client

ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def assert_secure(response, *, no_store: bool = True) -> None:
    """The headers every bedside response must carry."""
    where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, f"{where}: {name}={response.headers.get(name)!r}"
    policy = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, f"{where}: CSP {policy!r}"
    assert "default-src 'self'" in policy, f"{where}: CSP {policy!r}"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, f"{where}: CSP {policy!r}"
    if no_store:
        assert response.headers.get("cache-control") == "no-store", f"{where}: cache-control"
    if response.content:  # ASVS 14.4.1: a body says what it is, text with its character set
        kind = response.headers.get("content-type", "")
        assert kind, f"{where}: no content-type"
        assert not kind.startswith("text/") or "charset=" in kind, f"{where}: {kind}"


def _token(world, name: str) -> str:
    with world.session() as session:
        return accounts.create_api_token(session, session.get(User, world.users[name].id), "h").secret


@pytest.fixture
def clinician(app, world) -> Client:
    return Client(app, world, "clinician")


def test_signed_in_page_200(clinician):
    response = clinician.get("/")
    assert response.status_code == 200
    assert_secure(response)


def test_public_pages_200(client_for):
    anonymous = client_for(None)
    for path in ("/login", "/healthz", "/openapi.json"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert_secure(response)


def test_static_files_carry_headers_but_may_be_cached(client_for):
    response = client_for(None).get("/static/app.css")
    assert response.status_code == 200
    assert_secure(response, no_store=False)
    assert response.headers.get("cache-control") != "no-store"


def test_redirect_303(client_for):
    response = client_for(None).get("/encounters")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert_secure(response)


def test_bad_input_400(clinician):
    response = clinician.post(
        "/account/password", data={"current_password": "wrong password!", "new_password": "x" * 20}
    )
    assert response.status_code == 400
    assert_secure(response)


def test_forbidden_403_from_a_route_and_from_the_csrf_check(client_for):
    learner = client_for("learner")
    response = learner.get("/admin/users")
    assert response.status_code == 403
    assert_secure(response)
    forged = learner.post("/account/tokens", data={"name": "x"}, csrf=False)
    assert forged.status_code == 403
    assert "CSRF" in forged.text
    assert_secure(forged)


def test_not_found_404(clinician):
    for path in ("/encounters/999999", "/no-such-page"):
        response = clinician.get(path)
        assert response.status_code == 404, path
        assert_secure(response)


def test_api_401_and_422(app, world):
    api = TestClient(app)
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert_secure(response)
    assert response.headers["content-disposition"] == 'attachment; filename="api.json"'
    signed_in = api.get("/api/v1/me", headers={"authorization": f"Bearer {_token(world, 'clinician')}"})
    assert signed_in.status_code == 200
    assert signed_in.headers["content-disposition"] == 'attachment; filename="api.json"'
    assert "content-disposition" not in api.get("/login").headers
    invalid = api.get(
        "/api/v1/encounters?limit=0", headers={"authorization": f"Bearer {_token(world, 'clinician')}"}
    )
    assert invalid.status_code == 422
    assert_secure(invalid)


def test_body_too_large_413(clinician):
    """Declared too large (refused before reading) and streamed too large (counted)."""
    too_big = MAX_UPLOAD_BYTES + 512 * 1024
    declared = clinician.post("/encounters", files=[("files", ("big.txt", b"a" * too_big))])
    assert declared.status_code == 413
    assert_secure(declared)

    def chunks():
        for _ in range(too_big // 65536 + 1):
            yield b"b" * 65536

    streamed = clinician.http.post(
        "/api/v1/encounters", content=chunks(),
        headers={"content-type": "application/octet-stream", "x-csrftoken": clinician.csrf},
    )
    assert streamed.status_code == 413
    assert_secure(streamed)


def test_internal_error_500_page_and_api(make_app, caplog):
    """A generic message with a reference that support finds in the log (ASVS 7.4.1)."""
    app = make_app()

    def fail() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/explode", fail)
    app.add_api_route("/api/v1/explode", fail)
    client = TestClient(app, raise_server_exceptions=False)
    page = client.get("/explode")
    assert page.status_code == 500
    assert "Something went wrong" in page.text
    assert "a bug" not in page.text  # no internals in the answer
    assert_secure(page)
    api = client.get("/api/v1/explode")
    assert api.status_code == 500
    assert "a bug" not in api.text
    assert api.json()["detail"].startswith("Something went wrong")
    assert_secure(api)
    reference = api.json()["reference"]
    assert re.fullmatch(r"[0-9a-f]{12}", reference)
    assert reference in api.json()["detail"]
    assert any(reference in record.getMessage() for record in caplog.records)
    assert re.search(r"logged as [0-9a-f]{12}", page.text)


def test_docs_have_a_csp_that_allows_only_their_own_inline_script(client_for):
    response = client_for(None).get("/docs")
    assert response.status_code == 200
    assert_secure(response)
    policy = response.headers["content-security-policy"]
    scripts = re.findall(rb"<script>(.*?)</script>", response.content, re.DOTALL)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0]).digest()).decode()
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'", f"'sha256-{digest}'"]


def test_hsts_only_over_https(app, world):
    secure = Client(app, world, "clinician", base_url="https://testserver")
    assert secure.get("/").headers.get("strict-transport-security") == "max-age=31536000"
    plain = Client(app, world, "clinician")
    assert "strict-transport-security" not in plain.get("/").headers


@pytest.mark.browser
def test_swagger_ui_runs_under_the_docs_csp_in_a_real_browser(app, browser):
    """The hash lets the page's own script start Swagger UI: the operations render, and the
    browser reports no CSP violation."""
    from browser_support import serving

    with serving(app) as base:
        page = browser.new_page()
        violations: list[str] = []
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.goto(f"{base}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        assert "/api/v1/encounters" in page.content()
        page.close()
    assert not violations, violations


def test_the_headers_middleware_is_the_outermost(app):
    """Added last, it wraps every other middleware (a new one added after it would not be)."""
    from bedside.web.middleware import SecurityHeadersMiddleware

    assert app.user_middleware[0].cls is SecurityHeadersMiddleware, [
        m.cls.__name__ for m in app.user_middleware
    ]


def test_a_request_timeout_503_carries_the_headers(make_app, world):
    """The slow-request limit answers from its own middleware: inside the headers one."""
    import time

    from bedside.config import Settings

    app = make_app(settings=Settings(request_timeout_s=0.2))

    def slow() -> str:
        time.sleep(1.0)
        return "late"

    app.add_api_route("/slow", slow)
    response = TestClient(app).get("/slow")
    assert response.status_code == 503
    assert_secure(response)


def test_pages_answer_invalid_input_with_an_error_page_that_does_not_echo_it(client_for):
    """A page's 422 names the field, never what was sent (it may be a patient's words)."""
    patient = client_for("patient")
    words = "my private words " * 300  # over the 4,000-character limit of a message
    response = patient.post("/checkins/message", data={"text": words})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "text" in response.text and "my private words" not in response.text
    assert_secure(response)


def test_unknown_pages_get_the_error_page_and_the_api_keeps_json(client_for, app):
    page = client_for("clinician").get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "no such page" in page.text
    api = TestClient(app).get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json() == {"detail": "Not Found"}
    assert_secure(api)


def test_an_error_raised_by_a_failed_commit_is_a_400_page_not_a_500(client_for, world):
    """Found by the form fuzz: a NUL in the export reason is refused at commit; the rollback
    expired the caller's row, and drawing their name on the error page raised: a 500."""
    admin = client_for("admin")
    response = admin.post(f"/admin/patients/{world.users['patient'].id}/export",
                          data={"reason": "nul\x00inside"})
    assert response.status_code == 400, response.status_code
    assert "NUL" in response.text
    assert_secure(response)


def test_a_wrong_method_405_carries_the_headers(clinician, app):
    page = clinician.http.put("/account", headers={"x-csrftoken": clinician.csrf})
    assert page.status_code == 405
    assert page.headers["content-type"].startswith("text/html")
    assert_secure(page)
    api = TestClient(app).delete("/api/v1/me")
    assert api.status_code == 405
    assert "GET" in api.headers["allow"]
    assert_secure(api)
