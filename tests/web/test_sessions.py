"""Cookies, CSRF rotation, lock-out and throttle, forwarded headers (issue 11, findings 10 and 12)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select
from starlette.testclient import TestClient

from bedside.db.base import utcnow
from bedside.db.tables import AuditEvent, User
from bedside.services import accounts
from bedside.web.throttle import RedisThrottle, Throttle
from web_fixtures import PASSWORD, Client

REDIS_URL = "redis://127.0.0.1:6379/0"


def _login(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def _cookies(response):
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def test_over_https_both_cookies_carry_the_host_prefix(app, world):
    client = Client(app, world, None, base_url="https://testserver")
    response = _login(client, "clinician@test.example")
    cookies = _cookies(response)
    for name in ("__Host-bedside_session", "__Host-csrftoken"):
        cookie = cookies[name]
        assert "Secure" in cookie and "Path=/" in cookie and "HttpOnly" in cookie
        assert "domain" not in cookie.lower()
    assert "bedside_session" not in cookies and "csrftoken" not in cookies
    assert client.get("/").status_code == 200


def test_over_https_an_unprefixed_cookie_is_not_read(app, world):
    """A cookie planted without the prefix (by a sibling subdomain, say) is ignored."""
    with world.session() as session:
        token = accounts.start_session(session, session.get(User, world.users["clinician"].id))
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    client.cookies.set("bedside_session", token)
    assert client.get("/").status_code == 303
    client.cookies.set("__Host-bedside_session", token)
    assert client.get("/").status_code == 200


def test_plain_http_uses_the_unprefixed_names_without_secure(app, world):
    response = _login(Client(app, world, None), "clinician@test.example")
    cookies = _cookies(response)
    assert "Secure" not in cookies["bedside_session"] and "Secure" not in cookies["csrftoken"]


def test_the_csrf_token_is_rotated_at_sign_in(app, world):
    client = Client(app, world, None)
    before = client.csrf
    assert _login(client, "clinician@test.example").status_code == 303
    after = client.csrf
    assert after and after != before
    stale = client.post("/account/tokens", data={"name": "x"}, headers={"x-csrftoken": before})
    assert stale.status_code == 403, "a token learnt before sign-in must not work after it"
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 200


def _audit(world):
    with world.session() as session:
        return session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_known_and_unknown_accounts_get_the_same_answer_also_when_slowed(app, world, monkeypatch):
    app.state.login_throttle.limit = 1000
    work = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password", lambda p, h: work.append(h is None) or real(p, h))
    client = Client(app, world, None)

    def answer(email, password="not the password"):
        response = _login(client, email, password)
        return response.status_code, response.text.replace(email, "EMAIL")

    unknown = answer("nobody@test.example")
    known = answer("learner@test.example")
    assert unknown == known
    for _ in range(accounts.MAX_FAILURES):
        answer("learner@test.example")
    slowed = answer("learner@test.example", PASSWORD)  # the right password during the wait
    assert slowed == unknown
    assert len(work) == accounts.MAX_FAILURES + 3, "one argon2 check per attempt, whatever the case"


def test_sign_in_slows_down_rather_than_locking(world):
    with world.session() as session:
        for _ in range(accounts.MAX_FAILURES):
            with pytest.raises(accounts.LoginFailed):
                accounts.authenticate(session, "learner@test.example", "wrong-wrong")
        user = session.get(User, world.users["learner"].id)
        wait = user.locked_until - utcnow()
        assert timedelta(seconds=20) < wait <= accounts.FIRST_DELAY
        user.locked_until = utcnow() - timedelta(seconds=1)  # the wait is over
        session.commit()
        assert accounts.authenticate(session, "learner@test.example", PASSWORD).id == user.id


def test_the_wait_doubles_and_is_capped():
    waits = [accounts._next_wait(n) for n in range(1, 40)]
    assert waits[: accounts.MAX_FAILURES - 1] == [timedelta(0)] * (accounts.MAX_FAILURES - 1)
    assert waits[accounts.MAX_FAILURES - 1] == accounts.FIRST_DELAY
    assert waits[accounts.MAX_FAILURES] == 2 * accounts.FIRST_DELAY
    assert max(waits) == accounts.LOCKOUT == waits[-1]
    assert accounts._next_wait(10**6) == accounts.LOCKOUT


def test_successful_sign_ins_from_one_address_are_never_throttled(app, world):
    app.state.login_throttle.limit = 3
    clinic = Client(app, world, None)
    for _ in range(10):  # a ward's worth of staff behind one NAT address
        assert _login(clinic, "clinician@test.example").status_code == 303
        clinic.post("/logout")
    statuses = [_login(clinic, f"x{i}@test.example", "whatever pw").status_code for i in range(3)]
    assert statuses == [400, 400, 400]
    assert _login(clinic, "clinician@test.example").status_code == 429, "now the failures count"


def test_wrong_codes_count_as_failures_too(app, world):
    app.state.login_throttle.limit = 2
    client = Client(app, world, None)
    _login(client, "admin@test.example")
    assert client.post("/login/mfa", data={"code": "000000"}).status_code == 400
    assert client.post("/login/mfa", data={"code": "000000"}).status_code == 400
    assert client.post("/login/mfa", data={"code": "000000"}).status_code == 429


def test_in_memory_throttle_looks_without_counting():
    throttle = Throttle(limit=2, window=60)
    for _ in range(5):
        assert not throttle.blocked("a")
    throttle.record_failure("a")
    throttle.record_failure("a")
    assert throttle.blocked("a") and not throttle.blocked("b")


@pytest.fixture
def redis_prefix():
    connection = redis.Redis.from_url(REDIS_URL)
    connection.ping()
    name = f"bedside-test:{uuid.uuid4().hex}:"
    yield connection, name
    for key in connection.scan_iter(match=name + "*"):
        connection.delete(key)
    connection.close()


def test_redis_throttle_shares_failures_only_across_processes(redis_prefix):
    connection, prefix = redis_prefix
    one = RedisThrottle(connection, limit=2, window=60, prefix=prefix)
    two = RedisThrottle(redis.Redis.from_url(REDIS_URL), limit=2, window=60, prefix=prefix)
    for _ in range(5):
        assert not one.blocked("203.0.113.7")
    one.record_failure("203.0.113.7")
    two.record_failure("203.0.113.7")
    assert one.blocked("203.0.113.7") and two.blocked("203.0.113.7")
    assert not two.blocked("198.51.100.1")


def test_forwarded_for_is_ignored_unless_a_proxy_is_configured(app, world):
    """The app sees the socket's peer; a forged X-Forwarded-For neither moves the audit address
    nor escapes the throttle (30/30 rotated attempts got through before the fix)."""
    app.state.login_throttle.limit = 3
    client = Client(app, world, None)
    statuses = [
        client.post(
            "/login", data={"email": "x@test.example", "password": "bad password!"},
            headers={"x-forwarded-for": f"198.51.100.{i}"},
        ).status_code
        for i in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]
    addresses = {event.ip for event in _audit(world) if event.action == "auth.failure"}
    assert addresses == {"testclient"}


def test_serve_trusts_forwarded_headers_only_from_configured_proxies(monkeypatch):
    from bedside.cli import web

    assert web.proxy_options("") == {"proxy_headers": False, "forwarded_allow_ips": []}
    assert web.proxy_options(" 10.0.0.5, 10.0.0.6 ") == {
        "proxy_headers": True, "forwarded_allow_ips": ["10.0.0.5", "10.0.0.6"],
    }
    seen = {}
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: seen.update(kwargs))
    monkeypatch.setattr("bedside.services.database.pending_migrations", lambda url: [])
    monkeypatch.setenv("BEDSIDE_DATABASE_URL", "sqlite:///unused.sqlite3")
    monkeypatch.delenv("BEDSIDE_TRUSTED_PROXIES", raising=False)
    web.serve(host="127.0.0.1", port=1, workers=1)
    assert seen["proxy_headers"] is False
    monkeypatch.setenv("BEDSIDE_TRUSTED_PROXIES", "10.0.0.5")
    web.serve(host="127.0.0.1", port=1, workers=1)
    assert seen["proxy_headers"] is True and seen["forwarded_allow_ips"] == ["10.0.0.5"]


def test_uvicorn_with_no_trusted_proxy_keeps_the_peer_address():
    """uvicorn's own middleware, configured as `bedside serve` configures it with one proxy."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    seen = []

    async def app(scope, receive, send):
        seen.append(scope["client"][0])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    wrapped = ProxyHeadersMiddleware(app, trusted_hosts=["10.0.0.5"])
    TestClient(wrapped).get("/", headers={"x-forwarded-for": "203.0.113.9"})
    assert seen == ["testclient"], "a client that is not the proxy cannot set its own address"


def test_the_account_page_lists_sessions_and_signs_out_the_others(client_for, world):
    here = client_for("clinician")
    elsewhere = client_for("clinician")
    page = here.get("/account")
    assert page.text.count("<tr><td>") >= 2 and "this browser" in page.text
    assert here.post("/account/sessions/end-others").status_code == 303
    assert elsewhere.get("/").status_code == 303
    assert here.get("/").status_code == 200
    actions = [event.action for event in _audit(world)]
    assert "auth.logout_others" in actions
