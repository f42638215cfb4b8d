"""Training simulator on the web: play, debrief, progress, cohorts, CSV export, case studies."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from bedside.db.tables import AuditEvent
from bedside.services.training import ReplyAssessor
from bedside.simulator import shipped_scenario, shipped_scenarios

GRIEF = [
    "I'll sort the tablets. I was so sorry to hear about Joan. How have you been getting on since she died?",
    "Two cups, after fifty years together. The quiet must be so hard.",
    "I want to ask you directly: have you had thoughts of ending your life?",
    "Thank you for telling me. Can we see each other again in two weeks, and would a bereavement service help?",
]


@pytest.fixture
def training_app(app):
    app.state.training_assessor = ReplyAssessor()  # rules only: deterministic and fast
    return app


def start(client, scenario_id: str) -> int:
    response = client.post("/training/start", data={"scenario_id": scenario_id})
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/training/attempts/(\d+)", response.headers["location"])
    assert match
    return int(match.group(1))


def play_grief(client) -> int:
    attempt = start(client, "grief")
    for number, reply in enumerate(GRIEF, start=1):
        response = client.post(f"/training/attempts/{attempt}/reply", data={"text": reply})
        assert response.status_code == 303
        expected = f"/training/attempts/{attempt}" + ("/debrief" if number == len(GRIEF) else "")
        assert response.headers["location"] == expected
    return attempt


def test_learner_plays_a_scenario_to_its_debrief_and_sees_progress(training_app, client_for):
    learner = client_for("learner")
    home = learner.get("/training")
    assert home.status_code == 200
    assert all(s.title in home.text for s in shipped_scenarios())
    assert "No attempts yet" in home.text

    attempt = start(learner, "grief")
    page = learner.get(f"/training/attempts/{attempt}")
    assert page.status_code == 200
    assert "Joan always did all this" in page.text and 'name="text"' in page.text

    for reply in GRIEF:
        learner.post(f"/training/attempts/{attempt}/reply", data={"text": reply})
    debrief = learner.get(f"/training/attempts/{attempt}/debrief")
    assert debrief.status_code == 200
    assert "Outcome: <strong>good</strong>" in debrief.text
    assert "A stronger reply" in debrief.text and "Sources" in debrief.text
    assert "Dazzi T" in debrief.text  # the scenario's sources

    home = learner.get("/training")
    assert "Debrief" in home.text and "<svg" in home.text  # history and the skills chart
    assert "Explorations: share of replies per finished attempt" in home.text

    done = learner.post(f"/training/attempts/{attempt}/reply", data={"text": "Anything else?"})
    assert done.status_code == 400 and "has ended" in done.text


def test_htmx_reply_returns_the_play_fragment_with_feedback(training_app, client_for):
    learner = client_for("learner")
    attempt = start(learner, "worried-parent")
    headers = {"HX-Request": "true"}
    response = learner.post(
        f"/training/attempts/{attempt}/reply",
        data={"text": "It's just a virus, kids get fevers all the time."},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="play"')
    assert "<html" not in response.text
    assert "he ended up in hospital with a kidney infection" in response.text  # the branch's line
    assert "A stronger reply" in response.text
    assert (
        "“Just a virus” before examining him" in response.text
        or "before examining him" in response.text
    )

    empty = learner.post(
        f"/training/attempts/{attempt}/reply", data={"text": "   "}, headers=headers
    )
    assert empty.status_code == 200 and "type a reply before sending it" in empty.text
    plain = learner.post(f"/training/attempts/{attempt}/reply", data={"text": ""})
    assert plain.status_code == 400


def test_who_may_see_and_play(training_app, client_for, world):
    assert client_for("patient").get("/training").status_code == 403
    assert client_for("researcher").get("/training").status_code == 403
    assert client_for(None).get("/training").status_code == 303  # to sign-in
    assert client_for("learner").get("/training/cohorts").status_code == 403

    clinician = client_for("clinician")  # a member of the educator's Cohort A
    attempt = play_grief(clinician)
    assert client_for("learner").get(f"/training/attempts/{attempt}").status_code == 404
    assert client_for("other").get(f"/training/attempts/{attempt}/debrief").status_code == 404
    educator = client_for("educator")
    assert educator.get(f"/training/attempts/{attempt}/debrief").status_code == 200
    view = educator.get(f"/training/attempts/{attempt}")
    assert view.status_code == 200
    assert (
        educator.post(f"/training/attempts/{attempt}/reply", data={"text": "hi"}).status_code == 403
    )
    assert (
        client_for("learner").post("/training/start", data={"scenario_id": "nope"}).status_code
        == 404
    )


def test_educator_runs_a_cohort_and_exports_its_progress(training_app, client_for, world):
    educator = client_for("educator")
    created = educator.post("/training/cohorts", data={"name": "Wednesday group"})
    assert created.status_code == 303
    cohort_url = created.headers["location"]
    assert (
        educator.post(f"{cohort_url}/members", data={"email": "learner@test.example"}).status_code
        == 303
    )
    assert educator.post(f"{cohort_url}/assign", data={"scenario_id": "grief"}).status_code == 303
    assert (
        educator.post(f"{cohort_url}/members", data={"email": "nobody@test.example"}).status_code
        == 404
    )
    assert (
        educator.post(f"{cohort_url}/members", data={"email": "patient@test.example"}).status_code
        == 403
    )
    assert educator.post(f"{cohort_url}/assign", data={"scenario_id": "nope"}).status_code == 404

    # the educator's "add" is an invitation: nothing is shared until the learner accepts it
    assert "Learner" not in educator.get(f"{cohort_url}/progress.csv").text
    learner = client_for("learner")
    home = learner.get("/training").text
    assert "assigned</span>" not in home and "invites you to the cohort" in home
    invitation = re.search(r"/training/invitations/(\d+)/accept", home).group(1)
    assert learner.post(f"/training/invitations/{invitation}/accept").status_code == 303
    assert "assigned</span>" in learner.get("/training").text
    play_grief(learner)

    page = educator.get(cohort_url)
    assert page.status_code == 200
    assert "Learner" in page.text and "1 / 1" in page.text
    assert shipped_scenario("grief").title in page.text
    assert "Wednesday group" in educator.get("/training/cohorts").text

    export = educator.get(f"{cohort_url}/progress.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["email"] == "learner@test.example"
    assert (
        row["attempts"],
        row["finished"],
        row["good_endings"],
        row["assigned"],
        row["assigned_completed"],
    ) == ("1", "1", "1", "1", "1")
    assert 0 <= float(row["rate_missed_cues"]) <= 1

    assert client_for("other").get(cohort_url).status_code == 403  # a clinician
    with world.session() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {
        "cohort.create",
        "cohort.invite",
        "cohort.accept",
        "cohort.assign",
        "cohort.export",
        "training.start",
        "training.finish",
    } <= actions


def test_case_study_library(training_app, client_for):
    learner = client_for("learner")
    library = learner.get("/training/cases")
    assert library.status_code == 200
    assert library.text.count('href="/training/cases/day') == 3
    case = learner.get("/training/cases/day1_consultation02")
    assert case.status_code == 200
    assert "badge cue" in case.text and "Suggestion" in case.text
    assert learner.get("/training/cases/nope").status_code == 404
