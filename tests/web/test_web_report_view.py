"""The web report shows what the HTML report shows (issue 12 item 11, issue 16 item 4): the
timeline, the score breakdown with each part's maximum, skills, the score's validity line, and no
raw `None` anywhere."""

from __future__ import annotations

from markupsafe import escape

from bedside.model import CompassionScore
from bedside.report import validity_line
from web_fixtures import store_encounter


def _explained(pipeline, monkeypatch):
    original = pipeline.analyse

    def analyse(conversation):
        report = original(conversation)
        metrics = report.metrics.model_copy(
            update={"extra": {**report.metrics.extra, "summary_turns": [2],
                              "agenda_setting_turns": [], "teach_back_turns": None,
                              "opening_statement": None, "mi": None}}
        )
        score = CompassionScore(
            compassion=None,
            components={"cue_responses": 12.5, "empathy": None},
            weights={"cue_responses": 0.25, "empathy": 0.3},
            breakdown={
                "cue_responses": {"applies": True, "points": 12.5, "applied_weight": 0.25,
                                  "value": 0.5, "why": "1 of 2 cues explored", "turns": [1]},
                "empathy": {"applies": False, "points": None, "applied_weight": None,
                            "value": None, "why": None, "turns": None},
            },
        )
        return report.model_copy(update={"metrics": metrics, "score": score})

    monkeypatch.setattr(pipeline, "analyse", analyse)


def test_web_report_shows_timeline_maxima_skills_and_validity(client_for, world, pipeline, monkeypatch):
    _explained(pipeline, monkeypatch)
    encounter_id = store_encounter(world, "clinician", pipeline)
    page = client_for("clinician").get(f"/encounters/{encounter_id}")
    assert page.status_code == 200
    text = page.text
    assert "Who spoke when" in text and "<svg" in text  # the timeline
    assert "How the score is made" in text
    assert "12.5 of 25 pts" in text  # a part with its maximum
    assert "does not apply" in text
    assert "Communication skills" in text and "Summarising" in text
    assert str(escape(validity_line())) in text
    assert 'href="/static/report.css"' in text
    assert "None" not in text


def test_the_report_stylesheet_is_served(client_for):
    response = client_for("clinician").get("/static/report.css")
    assert response.status_code == 200
    assert ".bedside-report" in response.text
