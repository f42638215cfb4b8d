"""Every error page carries the crisis lines (issue 11, finding 4 and the safety notes after it).

The safety protocol answers a patient with crisis resources when it fails; a failure before it
starts (the sign-in lookup, an unexpected bug) meets the generic error pages instead, so they
carry the same lines, read from the crisis data file without the database.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from bedside.instruments import crisis_resources


def _lines_in(text: str) -> bool:
    return all(line.contact in text for line in crisis_resources().resources)


def test_a_patient_meeting_a_404_page_sees_the_crisis_lines(client_for, world):
    patient = client_for("patient")
    response = patient.get("/encounters/999999")
    assert response.status_code == 404
    assert "Getting help now" in response.text
    assert _lines_in(response.text)


def test_the_plain_500_page_carries_the_crisis_lines(make_app):
    app = make_app()

    def fail() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/explode", fail)
    page = TestClient(app, raise_server_exceptions=False).get("/explode")
    assert page.status_code == 500
    assert _lines_in(page.text)
    assert "a bug" not in page.text
