"""TOTP multi-factor sign-in (issue 11, findings 8 and 12; ASVS 2.7/2.8): offered to all, required
for admins, codes accepted once, secrets sealed and never logged, recovery codes hashed."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlparse

import pyotp
from sqlalchemy import select, text

from bedside.db.tables import User
from bedside.db.tables_credentials import RecoveryCode, TotpCredential
from bedside.services import accounts, mfa
from web_fixtures import ADMIN_TOTP_SECRET, PASSWORD, Client, totp_now


def _login(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def _enrol(client):
    """Start and confirm an authenticator on the account page; returns (secret, recovery codes)."""
    started = client.post("/account/mfa/start")
    assert started.status_code == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', started.text).group(1)
    confirmed = client.post("/account/mfa/confirm", data={"code": totp_now(secret)})
    assert confirmed.status_code == 200, confirmed.text
    codes = re.findall(r"<li><code>([A-Z2-7-]+)</code></li>", confirmed.text)
    return secret, codes


def test_any_account_can_add_an_authenticator_and_sign_in_with_it(app, world, client_for):
    clinician = client_for("clinician")
    started = clinician.post("/account/mfa/start")
    uri = re.search(r'id="totp-uri"><code>([^<]+)</code>', started.text).group(1).replace("&amp;", "&")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert parse_qs(parsed.query)["issuer"] == ["bedside"]
    secret = parse_qs(parsed.query)["secret"][0]
    wrong = clinician.post("/account/mfa/confirm", data={"code": "000000"})
    assert wrong.status_code == 400
    confirmed = clinician.post("/account/mfa/confirm", data={"code": totp_now(secret)})
    assert confirmed.status_code == 200
    assert len(re.findall(r"<li><code>", confirmed.text)) == mfa.RECOVERY_CODES

    browser = Client(app, world, None)
    first = _login(browser, "clinician@test.example", next="/trends")
    assert first.status_code == 303 and first.headers["location"] == "/login/mfa?next=/trends"
    assert browser.get("/").status_code == 303, "the password alone opens nothing"
    assert browser.get("/login/mfa").status_code == 200
    second = browser.post("/login/mfa", data={"code": totp_now(secret, offset=1), "next": "/trends"})
    assert second.status_code == 303 and second.headers["location"] == "/trends"
    assert browser.get("/").status_code == 200


def test_a_used_code_cannot_be_replayed(app, world):
    browser = Client(app, world, None)
    code = totp_now()
    _login(browser, "admin@test.example")
    assert browser.post("/login/mfa", data={"code": code}).status_code == 303
    thief = Client(app, world, None)
    _login(thief, "admin@test.example")
    replay = thief.post("/login/mfa", data={"code": code})
    assert replay.status_code == 400
    assert "already used" in replay.text
    assert thief.get("/admin/users").status_code == 303
    with world.session() as session:
        actions = session.scalars(text("SELECT action FROM audit_events ORDER BY id")).all()
    assert "auth.mfa" in actions and "auth.mfa_failure" in actions


def test_older_and_far_future_codes_are_refused():
    with_now = pyotp.TOTP(ADMIN_TOTP_SECRET)
    assert mfa._matching_step(ADMIN_TOTP_SECRET, totp_now(offset=-3), 0, _now()) is None
    assert mfa._matching_step(ADMIN_TOTP_SECRET, totp_now(offset=3), 0, _now()) is None
    step = with_now.timecode(_now())
    assert mfa._matching_step(ADMIN_TOTP_SECRET, totp_now(), step, _now()) is None  # already used


def _now():
    from bedside.db.base import utcnow

    return utcnow()


def test_a_recovery_code_signs_in_once_and_is_stored_hashed(app, world, client_for):
    _, codes = _enrol(client_for("learner"))
    with world.session() as session:
        stored = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == mfa.RECOVERY_CODES
    assert not set(codes) & set(stored) and all(c.replace("-", "") not in stored for c in codes)
    browser = Client(app, world, None)
    _login(browser, "learner@test.example")
    assert browser.post("/login/mfa", data={"code": codes[0].lower()}).status_code == 303
    again = Client(app, world, None)
    _login(again, "learner@test.example")
    assert again.post("/login/mfa", data={"code": codes[0]}).status_code == 400


def test_too_many_wrong_codes_drop_the_half_open_sign_in(app, world):
    browser = Client(app, world, None)
    _login(browser, "admin@test.example")
    for _ in range(accounts.MFA_MAX_FAILURES - 1):
        assert browser.post("/login/mfa", data={"code": "123456"}).status_code == 400
    last = browser.post("/login/mfa", data={"code": "123456"})
    assert last.status_code == 400 and "e-mail and password again" in last.text
    late = browser.post("/login/mfa", data={"code": totp_now()})
    assert late.status_code == 400, "a right code after the limit still needs the password again"


def test_an_admin_without_an_authenticator_must_add_one_before_anything_else(app, world, client_for):
    with world.session() as session:
        session.execute(text("DELETE FROM totp_credentials"))
        session.commit()
    admin = client_for("admin")
    for path in ("/", "/admin/users", "/admin/audit"):
        response = admin.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/account", path
    page = admin.get("/account")
    assert "Admin accounts need an authenticator app" in page.text
    with world.session() as session:
        token = accounts.create_api_token(session, session.get(User, world.users["admin"].id), "x")
    api = Client(app, None, None)
    api.http.headers["authorization"] = f"Bearer {token.secret}"
    assert api.get("/api/v1/aggregates").status_code == 403
    _enrol(admin)
    assert admin.get("/admin/users").status_code == 200
    assert api.get("/api/v1/aggregates").status_code == 200


def test_the_test_admin_signs_in_through_the_code_step(app, world):
    browser = Client(app, world, None)
    assert _login(browser, "admin@test.example").headers["location"].startswith("/login/mfa")
    assert browser.post("/login/mfa", data={"code": totp_now()}).status_code == 303
    assert browser.get("/admin/users").status_code == 200


def test_the_secret_is_sealed_at_rest_and_never_logged(app, world, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    secret, codes = _enrol(client_for("patient"))
    browser = Client(app, world, None)
    _login(browser, "patient@test.example")
    browser.post("/login/mfa", data={"code": totp_now(secret)})
    with world.database.engine.connect() as connection:
        raw = connection.execute(
            text("SELECT secret FROM totp_credentials WHERE user_id = :id"), {"id": world.users["patient"].id}
        ).scalar_one()
    assert secret not in raw and raw.startswith("bsd1:")
    with world.session() as session:
        assert session.get(TotpCredential, world.users["patient"].id).secret == secret
    logged = caplog.text
    assert secret not in logged and not any(code in logged for code in codes)


def test_removing_the_authenticator_needs_the_password_and_ends_other_sessions(app, world, client_for):
    here = client_for("educator")
    _enrol(here)
    elsewhere = client_for("educator")
    assert here.post("/account/mfa/remove", data={"current_password": "wrong password!"}).status_code == 400
    removed = here.post("/account/mfa/remove", data={"current_password": PASSWORD})
    assert removed.status_code == 200
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 303
    with world.session() as session:
        assert not mfa.is_enrolled(session, session.get(User, world.users["educator"].id))


def test_an_admin_reset_can_remove_a_lost_authenticator(app, world, client_for):
    _enrol(client_for("clinician"))
    admin = client_for("admin")
    kept = admin.post(f"/admin/users/{world.users['clinician'].id}/password",
                      data={"new_password": "a reset passphrase"})
    assert kept.status_code == 200
    with world.session() as session:
        assert mfa.is_enrolled(session, session.get(User, world.users["clinician"].id))
    removed = admin.post(f"/admin/users/{world.users['clinician'].id}/password",
                         data={"new_password": "a reset passphrase", "remove_mfa": "true"})
    assert removed.status_code == 200
    with world.session() as session:
        assert not mfa.is_enrolled(session, session.get(User, world.users["clinician"].id))
        assert session.scalars(select(RecoveryCode)).all() == []
    browser = Client(app, world, None)
    signed_in = _login(browser, "clinician@test.example", "a reset passphrase")
    assert signed_in.headers["location"] == "/", "no code asked for: the authenticator is gone"
