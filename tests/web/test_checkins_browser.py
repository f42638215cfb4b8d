"""Browser test: a patient completes a PHQ-9 on a phone with item 9 positive; the clinician sees the
urgent task at once. Playwright drives Debian's chromium against a live uvicorn server.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser_support import require_chromium, serving

pytestmark = pytest.mark.browser

PASSWORD = "a long care test passphrase"



@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """An organisation with one patient and their clinician, served on loopback."""
    require_chromium()
    from bedside.services import accounts, grants
    from bedside.services.database import open_database, upgrade
    from bedside.web.app import create_app

    folder = tmp_path_factory.mktemp("care-live")
    url = f"sqlite:///{folder / 'live.sqlite3'}"
    upgrade(url)
    database = open_database(url)
    with database.sessions() as session:
        organisation = accounts.create_organisation(session, "Riverside Practice")
        digest = accounts.hash_password(PASSWORD)
        clinician = accounts.create_user(
            session,
            None,
            organisation_id=organisation.id,
            email="dr.lee@care.example",
            display_name="Dr Lee",
            role="clinician",
            password=PASSWORD,
            password_hash=digest,
        )
        patient = accounts.create_user(
            session,
            None,
            organisation_id=organisation.id,
            email="sam@care.example",
            display_name="Sam Patel",
            role="patient",
            password=PASSWORD,
            password_hash=digest,
        )
        admin = accounts.create_user(
            session,
            None,
            organisation_id=organisation.id,
            email="admin@care.example",
            display_name="Practice Admin",
            role="admin",
            password=PASSWORD,
            password_hash=digest,
        )
        grants.grant_care(session, admin, patient.id, clinician.email, consent=True)
    app = create_app(database=database, secret_key="care-browser-secret-" + "y" * 32)
    with serving(app) as base:
        yield base
    database.dispose()



@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    target = os.environ.get("BEDSIDE_SCREENSHOTS")
    folder = Path(target) if target else tmp_path_factory.mktemp("care-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_patient_phq9_item9_positive_then_clinician_sees_the_urgent_task(live, browser, shots):
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    patient = phone.new_page()
    _sign_in(patient, live, "sam@care.example")
    patient.goto(f"{live}/checkins")
    patient.get_by_role("link", name="PHQ-9").click()
    patient.wait_for_url(f"{live}/checkins/new/phq9")
    # the questionnaire fits the phone: no sideways scrolling
    assert patient.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    for number in range(1, 9):
        patient.locator(f"#item{number}-0").check()
    patient.locator("#item9-2").check()  # "More than half the days"
    patient.screenshot(path=str(shots / "checkin-phq9-phone.png"), full_page=True)
    patient.get_by_role("button", name="Send my answers").click()
    alert = patient.get_by_role("alert")
    alert.wait_for()
    assert "Getting help now" in alert.inner_text()
    assert "988" in alert.inner_text()
    patient.screenshot(path=str(shots / "checkin-crisis-phone.png"), full_page=True)

    desk = browser.new_context(viewport={"width": 1200, "height": 900})
    clinician = desk.new_page()
    _sign_in(clinician, live, "dr.lee@care.example")
    clinician.goto(f"{live}/care")
    task = clinician.locator(".task.urgent").first
    assert "PHQ-9 item 9 above 0" in task.inner_text()
    assert "Sam Patel" in task.inner_text()
    clinician.screenshot(path=str(shots / "care-urgent-task.png"), full_page=True)
    task.get_by_role("link").click()
    clinician.wait_for_url(f"{live}/care/patients/*")
    assert "item 9 above 0: assess now" in clinician.content()
    phone.close()
    desk.close()
