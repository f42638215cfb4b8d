"""Real-browser test of the training simulator: a learner plays a scenario through htmx to its
debrief, then the educator sees the cohort's progress. Playwright drives Debian's chromium
against a live server on loopback (same set-up as test_web_browser.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import require_chromium, serving
from web_fixtures import PRIMOCK, SECRET, FakePipeline

pytestmark = pytest.mark.browser


REPLIES = [
    "I'll sort the tablets. I was so sorry to hear about Joan. How have you been getting on since she died?",
    "Two cups, after fifty years together. The quiet must be so hard.",
    "I want to ask you directly: have you had thoughts of ending your life?",
    "Thank you for telling me. Can we see each other again in two weeks, and would a bereavement service help?",
]



@pytest.fixture(scope="module")
def live(tmp_path_factory):
    require_chromium()
    from bedside.services import demo
    from bedside.services.database import open_database, upgrade
    from bedside.services.training import ReplyAssessor
    from bedside.web.app import create_app

    folder = tmp_path_factory.mktemp("live-training")
    url = f"sqlite:///{folder / 'live.sqlite3'}"
    upgrade(url)
    database = open_database(url)
    pipeline = FakePipeline()
    with database.sessions() as session:
        logins, problems = demo.seed(session, pipeline=pipeline, samples=PRIMOCK / "none")
    assert problems == []
    app = create_app(database=database, pipeline=pipeline, secret_key=SECRET)
    app.state.training_assessor = ReplyAssessor()  # rules only: the same answers on every machine
    with serving(app) as base:
        yield base, {login.role: login for login in logins}
    database.dispose()



def _sign_in(page, base, login):
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(login.email)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_learner_plays_in_the_browser_and_the_educator_sees_the_cohort(live, browser):
    base, logins = live
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    _sign_in(page, base, logins["learner"])
    page.get_by_role("link", name="Practice", exact=True).click()
    page.wait_for_url(f"{base}/training")
    page.locator('button[data-scenario="grief"]').click()
    page.wait_for_url(f"{base}/training/attempts/*")
    assert "Joan always did all this" in page.locator("#current-line").inner_text()
    attempt_url = page.url

    for number, reply in enumerate(REPLIES, start=1):
        page.get_by_label("Your reply").fill(reply)
        page.get_by_role("button", name="Send").click()
        page.locator(".feedback").nth(number - 1).wait_for()  # swapped in by htmx
        assert page.url == attempt_url  # no page load
    feedback = page.locator(".feedback").first.inner_text()
    assert "A stronger reply" in feedback
    page.locator("#debrief-link").click()
    page.wait_for_url(f"{attempt_url}/debrief")
    assert "Outcome: good" in page.locator("#outcome").inner_text()
    page.get_by_role("link", name="Back to practice").click()
    assert page.locator("#history").inner_text().count("good") == 1
    assert page.locator("svg.chart").count() == 5
    page.close()

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    _sign_in(page, base, logins["educator"])
    page.get_by_role("link", name="Cohorts", exact=True).click()
    page.get_by_role("link", name="Foundation year team").click()
    page.get_by_label("Assign").select_option("grief")
    page.get_by_role("button", name="Assign").click()
    page.get_by_text("Scenario assigned.").wait_for()
    progress = page.locator("#progress").inner_text()
    assert "Demo Learner" in progress and "1 / 1" in progress
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("cohort,member,email,role,attempts,finished")
    assert "learner@" in text
    page.close()
