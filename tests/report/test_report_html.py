"""The HTML report: self-contained, escaped, and showing what the analysis found."""

from __future__ import annotations

import re

from report_factory import build_report

from bedside.model import AnalysisReport
from bedside.report import build_view, render_html

URL_ATTRIBUTE = re.compile(r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def test_page_is_self_contained(report: AnalysisReport) -> None:
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert not URL_ATTRIBUTE.search(page), "the report must not load anything from a network"
    assert "url(http" not in page and "@import" not in page
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "Content-Security-Policy" in page


def test_transcript_text_is_escaped() -> None:
    hostile = '<script>alert("x")</script> <img src=x onerror=alert(1)> & "quoted"'
    page = render_html(build_report(patient_text=hostile))
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page
    assert "&amp; &#34;quoted&#34;" in page or "&amp; &quot;quoted&quot;" in page


def test_conversation_id_is_escaped_in_title(report: AnalysisReport) -> None:
    page = render_html(report)
    assert "visit&lt;1&gt;" in page
    assert "visit<1>" not in page


def test_report_shows_score_missed_cue_and_suggestion(report: AnalysisReport) -> None:
    page = render_html(report)
    assert ">58<" in page
    assert "Okay. Any fever?" in page
    assert "What worries you most?" in page
    assert "Missed" in page and "Explored" in page
    assert '<mark class="explorations">What has been getting you down?</mark>' in page
    assert "Cue response" in page


def test_missed_opportunities_come_first(report: AnalysisReport) -> None:
    view = build_view(report)
    assert [card.response for card in view.cards] == ["missed", "explored"]
    assert view.cards[0].suggestion is not None


def test_timeline_marks_overlap_cues_and_responses(report: AnalysisReport) -> None:
    timeline = build_view(report).timeline
    assert timeline.basis == "seconds"
    assert len(timeline.bars) == len(report.turns)
    # the clinician's turn 2 starts at 8.5 s while the patient speaks until 9.0 s
    assert len(timeline.overlaps) == 1
    kinds = sorted(marker.kind for marker in timeline.markers)
    assert kinds == ["cue", "cue", "explored", "missed"]
    assert all(92 <= bar.x <= 990 for bar in timeline.bars)


def test_untimed_transcript_uses_words() -> None:
    view = build_view(build_report(timed=False))
    assert view.timeline.basis == "words"
    assert not view.timeline.overlaps
    assert "words spoken" in render_html(build_report(timed=False))


def test_report_without_models_says_so() -> None:
    bare = build_report().model_copy(
        update={
            "turns": tuple(
                t.model_copy(
                    update={"emotions": None, "emotion_scores": None, "empathy": None, "cue": None}
                )
                for t in build_report().turns
            ),
            "opportunities": (),
        }
    )
    page = render_html(bare)
    assert "without the language models" in page
    assert "Empathy levels need the language models" in page


def test_empty_conversation_renders() -> None:
    empty = build_report().model_copy(update={"turns": (), "opportunities": ()})
    assert "<!DOCTYPE html>" in render_html(empty)


def test_engine_extras_become_skills_questions_and_plain_language() -> None:
    base = build_report()
    turns = list(base.turns)
    turns[4] = turns[4].model_copy(
        update={
            "extra": {
                "nurse": ["explore"],
                "jargon": [{"term": "stool", "text": "stools", "plain": "poo"}],
            }
        }
    )
    metrics = base.metrics.model_copy(
        update={
            "extra": {
                "mi": {
                    "questions": 3,
                    "open_questions": 1,
                    "closed_questions": 2,
                    "reflections": 1,
                    "reflection_to_question": 0.33,
                    "percent_open_questions": 33.3,
                    "percent_complex_reflections": 100.0,
                    "basis": "rules",
                },
                "nurse": {
                    "name": [],
                    "understand": [],
                    "respect": [],
                    "support": [],
                    "explore": [4],
                },
                "agenda_setting_turns": [],
                "summary_turns": [4],
                "teach_back_turns": [],
                "clinician_readability_grade": 6.2,
                "jargon": {"count": 1, "unexplained": 1},
                "pauses": [{"after": 1, "seconds": 2.5}] * 9,
            }
        }
    )
    view = build_view(base.model_copy(update={"turns": tuple(turns), "metrics": metrics}))
    found = {skill.name: skill.turns for skill in view.skills}
    assert (
        found["NURSE: Explore"] == (4,)
        and found["Summarising"] == (4,)
        and found["Teach-back"] == ()
    )
    assert ("Open questions", "33.3%") in view.questions
    assert ("stool", "poo", 1) in view.jargon
    assert "NURSE explore" in view.turns[4].chips
    assert ("Pauses", "9") in view.facts
    page = render_html(base.model_copy(update={"turns": tuple(turns), "metrics": metrics}))
    assert "Communication skills" in page and "Reading grade of clinician speech" in page
