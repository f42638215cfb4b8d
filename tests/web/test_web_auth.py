"""Sign-in, sessions, cookies, CSRF, throttling and lock-out."""

from __future__ import annotations

from sqlalchemy import select
from starlette.testclient import TestClient

from bedside.db.tables import AuditEvent, User, WebSession
from bedside.services import accounts
from web_fixtures import PASSWORD, Client


def _login(client: Client, email: str, password: str, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def test_sign_in_sets_a_hardened_session_cookie_and_redirects(app, world):
    client = Client(app, world, None)
    response = _login(client, "Clinician@Test.example", PASSWORD, next="/encounters")
    assert response.status_code == 303
    assert response.headers["location"] == "/encounters"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("bedside_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in this test
    assert client.get("/").status_code == 200
    with world.session() as session:
        stored = session.scalars(select(WebSession)).all()
        assert len(stored) == 1
        token = client.http.cookies.get("bedside_session")
        assert stored[0].token_hash != token  # only a hash is kept


def test_cookies_are_secure_over_https(app, world):
    first = TestClient(app, base_url="https://testserver").get("/login")
    assert "secure" in first.headers["set-cookie"].lower()
    client = Client(app, world, None, base_url="https://testserver")
    response = _login(client, "clinician@test.example", PASSWORD)
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("__Host-bedside_session="))
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert response.headers["strict-transport-security"]


def test_open_redirects_are_refused(app, world):
    client = Client(app, world, None)
    response = _login(client, "clinician@test.example", PASSWORD, next="//evil.example/")
    assert response.headers["location"] == "/"


def test_wrong_password_is_refused_without_saying_which_part(app, world):
    client = Client(app, world, None)
    wrong = _login(client, "clinician@test.example", "nope nope nope")
    unknown = _login(client, "nobody@test.example", "nope nope nope")
    assert wrong.status_code == unknown.status_code == 400
    assert "Wrong e-mail or password" in wrong.text
    assert "Wrong e-mail or password" in unknown.text
    assert "bedside_session" not in client.http.cookies


def test_repeated_failures_slow_sign_in_and_admin_reset_lifts_it(app, world, client_for):
    client = Client(app, world, None)
    for _ in range(accounts.MAX_FAILURES):
        assert _login(client, "learner@test.example", "bad password!").status_code == 400
    slowed = _login(client, "learner@test.example", PASSWORD)  # right password, but must wait
    assert slowed.status_code == 400
    assert "Wrong e-mail or password" in slowed.text  # the same words as for an unknown account
    admin = client_for("admin")
    reset = admin.post(f"/admin/users/{world.users['learner'].id}/password",
                       data={"new_password": "a fresh password"})
    assert reset.status_code == 200
    assert _login(client, "learner@test.example", "a fresh password").status_code == 303
    with world.session() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "auth.slowdown" in actions
    assert "auth.slowed" in actions
    assert "user.reset_password" in actions
    assert actions[-1] == "auth.login"


def test_sign_in_attempts_are_throttled_per_address(app, world):
    app.state.login_throttle.limit = 3
    client = Client(app, world, None)
    statuses = [_login(client, f"x{i}@test.example", "whatever pw").status_code for i in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_sign_out_kills_the_session_on_the_server(app, world):
    client = Client(app, world, "clinician")
    token = client.http.cookies.get("bedside_session")
    assert client.post("/logout").status_code == 303
    again = Client(app, world, None)
    again.http.cookies.set("bedside_session", token)
    response = again.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_disabled_account_cannot_use_its_session(app, world, client_for):
    clinician = client_for("clinician")
    assert clinician.get("/").status_code == 200
    admin = client_for("admin")
    assert admin.post(f"/admin/users/{world.users['clinician'].id}/active", data={"active": "false"}).status_code == 303
    assert clinician.get("/").status_code == 303


def test_every_form_needs_the_csrf_token(app, world, client_for):
    clinician = client_for("clinician")
    assert clinician.post("/account/tokens", data={"name": "x"}, csrf=False).status_code == 403
    # the token in a hidden form field works as well as the header
    ok = clinician.post("/account/tokens", data={"name": "x", "csrf_token": clinician.csrf}, csrf=False)
    assert ok.status_code == 200
    forged = clinician.post("/account/tokens", data={"name": "x", "csrf_token": "forged"}, csrf=False)
    assert forged.status_code == 403
    # multipart forms (the upload) carry it as a field too
    upload = clinician.post(
        "/encounters", csrf=False, data={"csrf_token": clinician.csrf},
        files=[("files", ("a.txt", b"Dr A: Hello\nPatient: Hi\n"))],
    )
    assert upload.status_code == 303


def test_sign_in_itself_is_csrf_protected(app, world):
    client = Client(app, world, None)
    response = client.post("/login", csrf=False, data={"email": "clinician@test.example", "password": PASSWORD})
    assert response.status_code == 403


def test_pages_render_the_csrf_token_and_security_headers(client_for):
    page = client_for("clinician").get("/account")
    assert 'name="csrf_token"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


def test_change_own_password(client_for, world):
    clinician = client_for("clinician")
    short = clinician.post("/account/password", data={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 400
    done = clinician.post("/account/password", data={"current_password": PASSWORD, "new_password": "a much longer one"})
    assert done.status_code == 200
    with world.session() as session:
        user = session.get(User, world.users["clinician"].id)
        assert accounts.verify_password("a much longer one", user.password_hash)
        assert user.password_hash.startswith("$argon2id$")
