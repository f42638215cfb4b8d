"""Real-browser tests: Playwright driving Debian's chromium against a live server on loopback.

Sign in, upload a PriMock57 pair, open the report, see a denial as the wrong role, sign out.
Screenshots of every page go to a temporary folder, or to the folder named by
BEDSIDE_SCREENSHOTS (the README's come from `BEDSIDE_SCREENSHOTS=docs/screenshots`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from browser_support import require_chromium, serving
from web_fixtures import PRIMOCK, SECRET

pytestmark = pytest.mark.browser




@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A seeded demo organisation served by uvicorn in a thread; yields (base URL, logins)."""
    require_chromium()
    from bedside.services import demo
    from bedside.services.database import open_database, upgrade
    from bedside.services.encounters import DefaultPipeline
    from bedside.web.app import create_app

    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder / 'live.sqlite3'}"
    upgrade(url)
    database = open_database(url)
    pipeline = DefaultPipeline()  # the real readers and engine, end to end
    with database.sessions() as session:
        logins, problems = demo.seed(session, pipeline=pipeline, samples=PRIMOCK)
    assert problems == []
    app = create_app(database=database, pipeline=pipeline, secret_key=SECRET)
    with serving(app) as base:
        yield base, {login.role: login for login in logins}
    database.dispose()



@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    target = os.environ.get("BEDSIDE_SCREENSHOTS")
    folder = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(page, base, login):
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(login.email)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    if login.totp_secret:  # admins give their authenticator code next
        import pyotp

        page.get_by_label("Authentication code").fill(pyotp.TOTP(login.totp_secret).now())
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}/")


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => !(el.id && document.querySelector(`label[for="${el.id}"]`)) && !el.getAttribute('aria-label'))
  .map(el => el.name)"""


def test_clinician_signs_in_uploads_a_pair_reads_the_report_and_signs_out(live, browser, shots):
    base, logins = live
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{base}/encounters")
    page.wait_for_url(re.compile(r"/login\?next=/encounters$"))
    page.screenshot(path=shots / "login.png", full_page=True)
    page.get_by_label("E-mail").fill(logins["clinician"].email)
    page.get_by_label("Password").fill(logins["clinician"].password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/encounters")
    page.get_by_role("link", name="Upload", exact=True).click()
    assert page.evaluate(UNLABELLED) == []
    page.screenshot(path=shots / "upload.png", full_page=True)

    # a bad file first: the reader's message, plainly
    page.get_by_label("Transcript file(s)").set_input_files(
        files=[{"name": "broken.json", "mimeType": "application/json", "buffer": b'{"turns": 3}'}])
    page.get_by_role("button", name="Upload and analyse").click()
    assert page.get_by_role("alert").inner_text().count("broken.json") == 1
    page.screenshot(path=shots / "upload-error.png", full_page=True)

    pair = sorted(PRIMOCK.glob("day1_consultation01_*.TextGrid"))
    page.get_by_label("Transcript file(s)").set_input_files(pair)
    page.get_by_label("Title").fill("Day 1, consultation 1")
    page.get_by_role("button", name="Upload and analyse").click()
    # the upload answers with a progress page that turns into the report when the job is done
    page.wait_for_url(re.compile(r"/encounters/\d+$"), timeout=120_000)
    assert page.get_by_role("heading", name="Day 1, consultation 1").is_visible()
    assert page.get_by_text("Compassion score (0–100)").is_visible()
    assert page.locator(".turn").count() > 20
    page.screenshot(path=shots / "encounter-report.png")
    report_url = page.url

    # one side of the pair alone: the report says so first, and the score is not assessable
    page.goto(f"{base}/encounters/new")
    page.get_by_label("Transcript file(s)").set_input_files(pair[:1])
    page.get_by_role("button", name="Upload and analyse").click()
    page.wait_for_url(re.compile(r"/encounters/\d+$"), timeout=120_000)
    assert page.get_by_role("heading", name="About this input").is_visible()
    assert page.get_by_text(re.compile(r"only one speaker found \(Doctor\)")).is_visible()
    assert page.get_by_text(re.compile("not assessable")).first.is_visible()
    page.goto(report_url)

    # share with the learner through htmx (no page load)
    page.get_by_label("Colleague's e-mail").fill(logins["learner"].email)
    page.get_by_role("button", name="Share").click()
    page.get_by_text("Shared with Demo Learner").wait_for()
    assert page.url == report_url

    for name, path in (("dashboard", "/"), ("encounters", "/encounters"), ("trends", "/trends"),
                       ("account", "/account")):
        page.goto(base + path)
        assert page.evaluate(UNLABELLED) == []
        page.screenshot(path=shots / f"{name}.png", full_page=True)

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(report_url)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    phone.screenshot(path=shots / "report-phone.png")
    phone.close()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")
    page.goto(report_url)
    page.wait_for_url(re.compile(r"/login\?next="))
    page.close()


def test_wrong_roles_are_denied(live, browser, shots):
    base, logins = live
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    _sign_in(page, base, logins["researcher"])
    page.screenshot(path=shots / "dashboard-researcher.png", full_page=True)
    response = page.goto(f"{base}/encounters/1")  # a demo encounter, not the researcher's to read
    assert response.status == 404
    response = page.goto(f"{base}/admin/users")
    assert response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    page.screenshot(path=shots / "denied.png", full_page=True)
    page.goto(f"{base}/research")
    page.screenshot(path=shots / "research.png", full_page=True)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")

    _sign_in(page, base, logins["admin"])
    for name, path in (("admin-users", "/admin/users"), ("audit-log", "/admin/audit")):
        page.goto(base + path)
        assert page.evaluate(UNLABELLED) == []
        page.screenshot(path=shots / f"{name}.png", full_page=True)
    assert page.get_by_role("cell", name="encounter.upload").count() >= 1
    page.close()

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    _sign_in(page, base, logins["educator"])
    page.goto(f"{base}/team")
    page.screenshot(path=shots / "team.png", full_page=True)
    page.close()


def test_keyboard_users_can_skip_to_content_and_reach_sign_in(live, browser):
    from playwright.sync_api import expect

    base, logins = live
    context = browser.new_context()  # its own window: earlier tests' pages cannot hold the focus
    page = context.new_page()
    page.bring_to_front()
    page.goto(f"{base}/login")
    # the e-mail field has focus on arrival; the whole sign-in works from the keyboard
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.keyboard.type(logins["patient"].email)
    page.keyboard.press("Tab")
    page.keyboard.type(logins["patient"].password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("heading", name="Hello, Demo Patient").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    context.close()
