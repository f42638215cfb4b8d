"""Training service: real replies judged by the real engine take the right branches."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bedside.errors import ModelError, NotFound
from bedside.model import EmotionLabel, EmpathyLabel, MICode
from bedside.services.training import ReplyAssessor, begin_practice, load_assessor
from bedside.simulator import choose_branch, shipped_scenario, shipped_scenarios, signals_of

RULES = ReplyAssessor()


def branch_for(scenario_id: str, node: str, reply: str, assessor: ReplyAssessor = RULES) -> str:
    scenario = shipped_scenario(scenario_id)
    assessment = assessor.assess(scenario, node, reply)
    return choose_branch(scenario.node(node), assessment, scenario.initial_state)[1].goto


# Real text, scored by the engine's rules, and where each reply must lead.
REPLIES = [
    ("anxious-before-surgery", "opening", "Don't worry, it's a routine operation.", "dismissed"),
    (
        "anxious-before-surgery",
        "opening",
        "You haven't slept? What's been keeping you awake?",
        "fear_named",
    ),
    (
        "anxious-before-surgery",
        "information",
        "You'll have a GA and we'll do a laparoscopic cholecystectomy.",
        "ending_partial",
    ),
    ("breaking-bad-news", "opening", "The biopsy shows you have cancer.", "shock"),
    ("breaking-bad-news", "opening", "Don't worry, I'm sure it's fine.", "false_hope"),
    (
        "breaking-bad-news",
        "perception",
        "The histology confirms a malignant adenocarcinoma with possible metastasis.",
        "confusion",
    ),
    ("grief", "loss", "At least she didn't suffer at the end.", "platitude"),
    ("grief", "point", "Have you had any thoughts of ending your life?", "safety"),
    ("grief", "point", "Let's check your blood pressure.", "ending_missed"),
    (
        "teach-back",
        "explain",
        "Take one with your tea. Can you tell me how you're going to take it, in your own words?",
        "teach_back",
    ),
    ("teach-back", "explain", "Take one with your tea. Do you understand?", "ending_unsure"),
    ("teach-back", "opening", "Take it home and read it later.", "embarrassed"),
    ("worried-parent", "opening", "It's just a virus, kids get fevers all the time.", "dismissed"),
    ("worried-parent", "opening", "You did the right thing. What worries you most?", "concerns"),
    ("colleague-burnout", "dark", "Are you having thoughts of suicide?", "safety"),
    ("stopped-medicine", "opening", "You need to take them or you'll have a stroke.", "defensive"),
    ("cultural-humility", "opening", "You can't fast with diabetes, you're exempt.", "dismissed"),
    ("angry-patient", "opening", "Calm down, there's nothing I can do, it's policy.", "escalation"),
    ("interpreter", "intro", "Ask him how long he has had the pain.", "third_person"),
    ("chronic-pain", "opening", "I can't prescribe anything stronger.", "disbelieved"),
]


@pytest.mark.parametrize(("scenario_id", "node", "reply", "goto"), REPLIES)
def test_real_replies_take_their_branch(scenario_id, node, reply, goto):
    assert branch_for(scenario_id, node, reply) == goto


def test_assessment_carries_the_engine_findings():
    scenario = shipped_scenario("breaking-bad-news")
    a = RULES.assess(
        scenario,
        "opening",
        "Don't worry, the metastatic lesion is small. What do you understand so far?",
    )
    assert a.premature_reassurance and a.reassurance
    assert [j.term for j in a.jargon] == ["metastatic"] and a.jargon[0].plain
    assert a.question == "open"
    assert a.cue_response == "missed"
    assert a.reading_grade is not None
    assert {"premature_reassurance", "jargon", "open_question", "missed"} <= signals_of(a)


def test_planted_cue_is_judged_even_when_the_rules_see_no_cue():
    scenario = shipped_scenario(
        "teach-back"
    )  # "I always get muddled with tablets" is a planted concern
    a = RULES.assess(scenario, "explain", "One with your tea.")
    assert a.cue_response in ("missed", "acknowledged", "explored")


@pytest.mark.parametrize("scenario", shipped_scenarios(), ids=lambda s: s.id)
def test_example_replies_play_every_scenario_to_a_good_ending(scenario):
    session = begin_practice(scenario.id, RULES)
    while not session.finished:
        example = scenario.node(session.attempt.node).example_reply
        assert example
        step = session.reply(example)
        assert step.feedback.note
    debrief = session.debrief()
    assert debrief.ending.outcome == "good"
    assert len(session.timings) == debrief.skills.replies


def test_unknown_scenario():
    with pytest.raises(NotFound):
        begin_practice("nope", RULES)


class FixedLabeller:
    """A stand-in labeller with fixed outputs: checks that model labels reach the assessment."""

    def emotions(self, texts: Sequence[str]) -> list[EmotionLabel]:
        return [EmotionLabel(emotions=("fear",), scores={"fear": 0.9}) for _ in texts]

    def empathy(self, contexts: Sequence[str], responses: Sequence[str]) -> list[EmpathyLabel]:
        levels = {"emotional_reactions": 2, "interpretations": 1, "explorations": 0}
        return [
            EmpathyLabel(levels=levels, rationales=dict.fromkeys(levels, ())) for _ in responses
        ]

    def mi_codes(self, contexts: Sequence[str], responses: Sequence[str]) -> list[MICode]:
        return [MICode(question=None, reflection="complex") for _ in responses]


def test_model_labels_are_used_when_a_labeller_is_given():
    assessor = ReplyAssessor(labeller=FixedLabeller())
    assert assessor.basis == "models"
    a = assessor.assess(shipped_scenario("grief"), "loss", "Two cups.")
    assert dict(a.empathy) == {"emotional_reactions": 2, "interpretations": 1, "explorations": 0}
    assert a.reflection == "complex" and a.question is None
    assert {"strong_empathy", "complex_reflection", "emotional_reaction"} <= signals_of(a)


@pytest.fixture(scope="module")
def models():
    try:
        return load_assessor(models=True)
    except ModelError as error:
        pytest.skip(f"shipped models not available: {error}")


def test_shipped_models_when_present(models):
    assert models.basis == "models"
    assert (
        branch_for("grief", "point", "Have you had any thoughts of ending your life?", models)
        == "safety"
    )
    assert (
        branch_for(
            "worried-parent", "opening", "It's just a virus, kids get fevers all the time.", models
        )
        == "dismissed"
    )
    a = models.assess(
        shipped_scenario("grief"), "loss", "That sounds so lonely. What are the mornings like now?"
    )
    assert set(a.empathy) == {"emotional_reactions", "interpretations", "explorations"}
    assert a.question in ("open", "closed", None)


@pytest.mark.parametrize("scenario", shipped_scenarios(), ids=lambda s: s.id)
def test_example_replies_reach_a_good_ending_with_the_models(scenario, models):
    session = begin_practice(scenario.id, models)
    while not session.finished:
        session.reply(scenario.node(session.attempt.node).example_reply)
    assert session.debrief().ending.outcome == "good"


# ----- the optional LLM voice ------------------------------------------------------------------


class FakeChat:
    """A local OpenAI-compatible endpoint answering with a fixed line (or an error)."""

    def __init__(self, content, status=200):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        outer = self
        self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["content-length"])
                outer.requests.append(
                    (
                        self.path,
                        self.headers.get("authorization"),
                        json.loads(self.rfile.read(length)),
                    )
                )
                body = json.dumps(
                    {"choices": [{"message": {"role": "assistant", "content": content}}]}
                ).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def chat(request):
    servers = []

    def make(content, status=200):
        server = FakeChat(content, status)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def test_llm_voice_rephrases_but_keeps_cues_and_branches(chat):
    from bedside.services.training import LLMVoice

    line = "Six weeks on Tuesday now. I still set out two cups in the morning, daft as it sounds."
    server = chat(line)
    voice = LLMVoice(url=server.url, api_key="k")
    session = begin_practice("grief", RULES, voice=voice)
    step = session.reply("I was so sorry to hear about Joan. How have you been since she died?")
    assert step.attempt.node == "loss"  # the rules chose the branch
    assert session.spoken == line
    path, auth, body = server.requests[0]
    assert path == "/v1/chat/completions" and auth == "Bearer k"
    assert "I still set out two cups in the morning" in body["messages"][0]["content"]  # cue kept


def test_llm_voice_falls_back_to_the_script(chat):
    from bedside.services.training import LLMVoice

    scripted = shipped_scenario("grief").node("loss").patient
    dropped_cue = chat("It's been six weeks. The house is quiet.")
    session = begin_practice("grief", RULES, voice=LLMVoice(url=dropped_cue.url))
    session.reply("I was so sorry to hear about Joan. How have you been since she died?")
    assert session.spoken == scripted
    broken = chat("whatever", status=500)
    session = begin_practice("grief", RULES, voice=LLMVoice(url=broken.url + "/chat/completions"))
    session.reply("I was so sorry to hear about Joan. How have you been since she died?")
    assert session.spoken == scripted
    session = begin_practice(
        "grief", RULES, voice=LLMVoice(url="http://127.0.0.1:9/v1", timeout=0.5)
    )
    session.reply("I was so sorry to hear about Joan. How have you been since she died?")
    assert session.spoken == scripted


def test_voice_from_settings():
    from bedside.config import Settings
    from bedside.services.training import voice_from_settings

    assert voice_from_settings(Settings(llm_url=None)) is None
    voice = voice_from_settings(Settings(llm_url="http://example.invalid/v1", llm_model="m"))
    assert voice is not None and voice.model == "m"
