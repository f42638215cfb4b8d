"""Honest reports (issue 12 item 11): confidence on every chip, no chips where labels mean nothing,
named emotions over the model, badges and chips that do not silently contradict, one validity line.

Turn texts are from (or of the same kind as) the PriMock57 consultations of the gold standard.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml
from markupsafe import escape
from report_factory import EMOTIONS, build_report

from bedside.model import (
    AnalysisReport,
    CompassionScore,
    EncounterMetrics,
    Opportunity,
    Role,
    TurnAnalysis,
)
from bedside.report import _view, build_view, render_html, render_html_body, render_text, scoped_css
from bedside.report._honesty import (
    emotion_chips,
    empathy_chips,
    load_honesty,
    named_emotions,
    not_assessable,
    validity_line,
)

ROOT = Path(__file__).resolve().parents[2]
MECHANISMS = ("emotional_reactions", "interpretations", "explorations")


@pytest.fixture
def rules():
    """The shipped rules with every threshold set, so tests do not depend on the fitted values."""
    return dataclasses.replace(
        load_honesty(),
        emotion_thresholds=dict.fromkeys(("anger", "disgust", "fear", "joy", "sadness", "surprise"), 0.6),
        empathy_thresholds=dict.fromkeys(MECHANISMS, 0.7),
    )


@pytest.fixture
def honest(monkeypatch, rules):
    monkeypatch.setattr(_view, "load_honesty", lambda: rules)
    return rules


def _scores(**high: float) -> dict[str, float]:
    return {e: high.get(e, 0.02) for e in EMOTIONS}


# -- the thresholds are data, chosen and documented --------------------------------------------


def test_thresholds_file_names_every_label_and_how_it_was_chosen():
    document = yaml.safe_load(
        (ROOT / "src/bedside/report/label_thresholds.v1.yaml").read_text(encoding="utf-8")
    )
    assert set(document["emotions"]) == set(EMOTIONS) - {"neutral"}
    assert set(document["empathy"]) == set(MECHANISMS)
    for value in [*document["emotions"].values(), *document["empathy"].values()]:
        assert value is None or 0.0 < value < 1.0
    assert "GoEmotions" in document["chosen_on"]["emotions"]
    assert "day1" in document["chosen_on"]["empathy"]
    assert "day2" not in document["chosen_on"]["empathy"]


def test_unknown_keys_in_the_threshold_file_are_errors(monkeypatch):
    from bedside.report import _honesty

    real = _honesty._yaml

    def misspelt(name):
        document = real(name)
        if name.startswith("label_thresholds"):
            document["tresholds"] = {}
        return document

    load_honesty.cache_clear()
    monkeypatch.setattr(_honesty, "_yaml", misspelt)
    try:
        with pytest.raises(ValueError, match="tresholds"):
            load_honesty()
    finally:
        load_honesty.cache_clear()


# -- not assessable: greetings, admin, history-taking -------------------------------------------


@pytest.mark.parametrize(
    ("text", "role", "reason"),
    [
        ("Hello, how are you?", "patient", "greeting"),
        ("Hello? Hi. Um, should we start? Yeah, okay.", "clinician", "greeting"),
        ("Thank you very much. Bye bye.", "clinician", "greeting"),
        ("Yep, sure, yep.", "patient", "backchannel"),
        ("Okay.", "clinician", "backchannel"),
        ("Can you hear me okay?", "clinician", "admin"),
        ("Could you confirm your full name and date of birth for me, please?", "clinician", "admin"),
        ("Sorry, I didn't catch that.", "clinician", "admin"),
        ("And how long have you had the diarrhoea for?", "clinician", "history-taking"),
        ("Any fever?", "clinician", "history-taking"),
        ("Do you smoke at all?", "clinician", "history-taking"),
        ("Sorry to hear that.", "clinician", None),
        ("And what worries you most about the pain?", "clinician", None),
        ("Tell me more about that.", "clinician", None),
        ("Good morning sir, how can I help you this morning?", "clinician", None),
        ("I've just been feeling really low.", "patient", None),
    ],
)
def test_not_assessable_turns(text, role, reason):
    assert not_assessable(text, role) == reason


def test_an_answer_to_an_identity_check_is_admin_too():
    previous = "Can I just confirm your name and date of birth?"
    assert not_assessable("Jack Smith, thirty first October nineteen ninety.", "patient",
                          previous=previous) == "admin"
    assert emotion_chips("Jack Smith, thirty first October nineteen ninety.", "patient",
                         _scores(joy=0.95), previous=previous) == ()


def test_a_history_answer_gets_no_emotion_chip_unless_it_names_one(rules):
    """day1_consultation01 turn 65: "Uh, no, I don't smoke." got anger .82 from the model."""
    question = "Okay. And do you smoke at all?"
    assert emotion_chips("Uh, no, I don't smoke.", "patient", _scores(anger=0.82),
                         previous=question, rules=rules) == ()
    assert not_assessable("Uh, no, I don't smoke.", "patient", previous=question) == "history answer"
    named = emotion_chips("No, but honestly I'm worried about my lungs.", "patient",
                          _scores(anger=0.82), previous=question, rules=rules)
    assert [c.key for c in named] == ["fear"]


def test_a_cue_is_never_a_mere_history_answer(honest):
    """day1_consultation01 turn 60 (after "Have you been going into work?"): a coded cue."""
    report = build_report(patient_text="Uh, yeah, I've been going to work. Yeah, it's been quite difficult.")
    turns = list(report.turns)
    turns[0] = turns[0].model_copy(update={"text": "Have you been going into work the last three days?"})
    turns[1] = turns[1].model_copy(update={"emotion_scores": _scores(sadness=0.8), "emotions": ("sadness",)})
    view = build_view(report.model_copy(update={"turns": tuple(turns)}))
    assert view.turns[1].not_assessable is None
    assert view.turns[1].emotions == ("sadness",)


def test_not_assessable_is_shown_only_where_it_replaces_a_label(honest):
    view = build_view(build_report())
    assert view.turns[0].not_assessable is None  # "Hello, what brings you in today?": no label


def test_greetings_and_history_questions_carry_no_empathy_chip(rules):
    levels = {"emotional_reactions": 2, "interpretations": 2, "explorations": 2}
    scores = dict.fromkeys(MECHANISMS, 0.99)
    for text in ("Hello, how are you?", "Can you hear me?", "How long has the pain been there?"):
        assert empathy_chips(text, levels, scores, rules=rules) == ()
    shown = empathy_chips("That must be really hard for you.", levels, scores, rules=rules)
    assert [c.key for c in shown] == list(MECHANISMS)


# -- confidence on every chip, hidden below the threshold ---------------------------------------


def test_emotion_chip_shows_its_probability_and_hides_below_threshold(rules):
    shown = emotion_chips("I don't know what to do any more.", "patient", _scores(sadness=0.82),
                          rules=rules)
    assert [(c.key, c.text, c.probability) for c in shown] == [("sadness", "sadness .82", 0.82)]
    assert emotion_chips("I don't know what to do any more.", "patient", _scores(sadness=0.55),
                         rules=rules) == ()


def test_a_label_without_a_threshold_is_never_a_chip(rules):
    rules = dataclasses.replace(rules, emotion_thresholds={**rules.emotion_thresholds, "joy": None})
    assert emotion_chips("That's brilliant news then.", "patient", _scores(joy=0.99),
                         rules=rules) == ()


def test_empathy_chip_shows_level_and_probability_and_needs_one(rules):
    levels = {"emotional_reactions": 1, "interpretations": 0, "explorations": 2}
    scores = {"emotional_reactions": 0.55, "interpretations": 0.1, "explorations": 0.93}
    shown = empathy_chips("What has been getting you down?", levels, scores, rules=rules)
    assert [(c.key, c.text) for c in shown] == [("explorations", "EX 2 · .93")]
    assert empathy_chips("What has been getting you down?", levels, None, rules=rules) == ()


def test_a_plain_symptom_report_gets_no_emotion_chip_unless_it_names_one(rules):
    text = "It's like loose and watery stool, going to the toilet quite often, and some pain."
    assert emotion_chips(text, "patient", _scores(sadness=0.95, fear=0.9), rules=rules) == ()
    named = emotion_chips("The pain is really worrying me.", "patient", _scores(sadness=0.95),
                          rules=rules)
    assert [(c.key, c.named) for c in named] == [("fear", True)]


# -- named emotions outrank the model ("joy" on "it's been really stressful") --------------------


def test_joy_on_stressful_is_corrected_to_the_named_emotion(rules):
    chips = emotion_chips("Yeah, it's been really stressful.", "patient", _scores(joy=0.91),
                          ["joy"], rules=rules)
    assert [c.key for c in chips] == ["fear"]
    assert chips[0].text == "fear (said)"


def test_negated_emotion_words_name_nothing():
    assert named_emotions("No, I'm not worried about it, just wanted it checked.") == ()
    assert named_emotions("I've been feeling quite low lately") == ("sadness",)


def test_joy_on_stressful_in_every_report(honest):
    report = build_report(patient_text="It's been really stressful, to be honest.")
    turns = list(report.turns)
    turns[1] = turns[1].model_copy(
        update={"emotions": ("joy",), "emotion_scores": _scores(joy=0.91)}
    )
    report = report.model_copy(update={"turns": tuple(turns)})
    view = build_view(report)
    row = view.turns[1]
    assert row.emotions == ("fear",)
    card = next(c for c in view.cards if c.cue_turn == 1)
    assert card.cue_emotions == ("fear",)
    for page in (render_html(report), render_html_body(report)):
        assert "fear (said)" in page
        assert ">joy" not in page


# -- the opportunity badge and the turn's labels agree, or say they do not ----------------------


def _missed_reply(text: str) -> AnalysisReport:
    report = build_report()
    turns = list(report.turns)
    turns[2] = turns[2].model_copy(
        update={
            "text": text,
            "empathy": {"emotional_reactions": 0, "interpretations": 0, "explorations": 2},
            "empathy_scores": {"emotional_reactions": 0.1, "interpretations": 0.2, "explorations": 0.94},
            "rationales": dict.fromkeys(MECHANISMS, ()),
        }
    )
    return report.model_copy(update={"turns": tuple(turns)})


def test_missed_badge_beside_strong_exploration_says_the_labels_disagree(honest):
    report = _missed_reply("Oh no. What has been going on for you with all this?")
    view = build_view(report)
    card = next(c for c in view.cards if c.cue_turn == 1)
    assert card.response == "missed"
    assert card.check and "strong exploration" in card.check and "0.94" in card.check
    assert view.turns[2].checks == (card.check,)
    html = render_html(report)
    assert "Labels disagree" in html
    assert "Labels disagree" in render_text(report, width=200)


def test_history_question_after_a_cue_is_missed_without_an_exploration_chip(honest):
    report = _missed_reply("Okay. And how long have you had the pain for?")
    view = build_view(report)
    card = next(c for c in view.cards if c.cue_turn == 1)
    assert card.response == "missed" and card.check is None
    assert view.turns[2].empathy == () and view.turns[2].not_assessable == "history-taking"
    assert "not assessable: history-taking" in render_html(report)


# -- one line on what the score is and is not, in every report ----------------------------------


def test_validity_line_quotes_the_benchmark_figures_and_says_targets_are_not_met():
    line = validity_line()
    document = yaml.safe_load(
        (ROOT / "src/bedside/report/validity.v1.yaml").read_text(encoding="utf-8")
    )
    for figure in document["figures"]:
        if figure["value"] is not None:
            assert f"{figure['name']} {figure['value']:.2f}" in line
    assert "not met" in line and "not a measure of compassion" in line


def test_validity_figures_are_those_of_docs_benchmarks():
    """The YAML quotes docs/benchmarks.md; a re-measured page without an updated YAML fails here."""
    page = (ROOT / "docs/benchmarks.md").read_text(encoding="utf-8")
    # the latest held-out measurement: the engine as shipped, in the "after" column
    section = page[page.index("### After the issue-12 rules: measured once on the held-out part") :]
    rows = {
        "cues found": "cue recall",
        "cue precision": "cue precision",
        "response agreement": "response space agreement",
        "empathic-turn F1": "empathic clinician turn F1",
    }
    document = yaml.safe_load(
        (ROOT / "src/bedside/report/validity.v1.yaml").read_text(encoding="utf-8")
    )
    for figure in document["figures"]:
        if figure["name"] not in rows:
            continue
        row = re.search(rf"^\| {re.escape(rows[figure['name']])} \|([^\n]*)$", section, re.M)
        assert row, rows[figure["name"]]
        cells = [c.strip() for c in row.group(1).split("|")]
        assert cells[0] == f"≥ {figure['target']:.2f}"
        assert cells[2].startswith(f"**{figure['value']:.2f}"), (figure["name"], cells)
    auc = next(f for f in document["figures"] if "AUC" in f["name"])
    score = page[page.index("## Compassion score validity (issue 12)") :]
    assert f"**compassion score v2, with the shipped models** | **{auc['value']:.3f}**" in score
    assert f"| {auc['human']:.3f} |" in score and "Target AUC ≥ 0.80" in score


def test_every_report_shows_the_validity_line(report):
    line = str(escape(validity_line()))
    assert line in render_html(report)
    assert line in render_html_body(report)
    text = " ".join(render_text(report, width=300).split())
    assert validity_line(short=True) in text
    assert "cues found 0.32 (target 0.70)" in text and "targets not met" in text


# -- no raw None anywhere -----------------------------------------------------------------------


def _bare_report() -> AnalysisReport:
    """Every optional field None (or empty): what an old or a rules-only analysis can hold."""
    turns = (
        TurnAnalysis(index=0, speaker="Dr A", role=Role.CLINICIAN, text="Hello."),
        TurnAnalysis(index=1, speaker="Pat", role=Role.PATIENT, text="I'm worried.", cue=True),
        TurnAnalysis(index=2, speaker="Dr A", role=Role.CLINICIAN, text="Okay."),
    )
    return AnalysisReport(
        id="bare",
        turns=turns,
        metrics=EncounterMetrics(
            talk_time_basis="words",
            talk_time_share={"clinician": 0.5, "patient": 0.5},
            turns={"clinician": 2, "patient": 1},
            extra={"opening_statement": None, "mi": None, "risk_turns": None, "warnings": None},
        ),
        opportunities=(Opportunity(cue_turn=1, response_turn=None, response="missed"),),
        score=CompassionScore(
            compassion=None,
            components={"cue_responses": None, "empathy": {"points": None, "max": None}},
            breakdown={"cue_responses": {"applies": False, "points": None, "value": None,
                                         "applied_weight": None, "why": None, "turns": None}},
        ),
    )


def test_no_report_template_prints_none():
    from bedside.web.templating import templates

    report = _bare_report()
    document = report.to_json()
    pages = {
        "html": render_html(report),
        "html body": render_html_body(report),
        "text": render_text(report),
        "web body": templates.env.get_template("encounters/_report_body.html").render(
            analysis=document
        ),
        "web standalone": templates.env.get_template("encounters/standalone.html").render(
            analysis=document, encounter={"title": "Visit"}
        ),
    }
    for name, page in pages.items():
        assert "None" not in page, (name, page[max(0, page.find("None") - 200) : page.find("None") + 40])


def test_the_web_stylesheet_is_the_reports_own_scoped():
    """`web/static/report.css` is generated: `python -c 'from bedside.report import scoped_css;
    print(scoped_css(), end="")' > src/bedside/web/static/report.css`."""
    static = (ROOT / "src/bedside/web/static/report.css").read_text(encoding="utf-8")
    assert static == scoped_css()
    assert "\nbody" not in static and ":root" not in static


def test_the_report_body_has_no_inline_style_for_the_web_csp(report):
    body = render_html_body(report)
    assert 'style="' not in body and "<script" not in body and "<style" not in body
