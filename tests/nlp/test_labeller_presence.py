"""The empathy model's probability reaches the reports (issue 12 item 11): each EPITOME label carries
the probability that its mechanism is there, and the engine keeps it as `empathy_scores`."""

from __future__ import annotations

from bedside.engine import analyse
from bedside.model import Conversation, Role, Speaker, Turn
from bedside.model.labels import MECHANISMS
from bedside.nlp import Labeller

CONTEXT = "I've just been feeling really low since my dad died."
REPLIES = [
    "I'm so sorry to hear about your dad. How have you been coping with it?",
    "Okay. And how long have you had the cough for?",
]


def test_every_empathy_label_has_a_presence_probability(labeller: Labeller) -> None:
    for label in labeller.empathy([CONTEXT] * len(REPLIES), REPLIES):
        assert label.presence is not None and set(label.presence) == set(MECHANISMS)
        for mechanism, p in label.presence.items():
            assert 0.0 <= p <= 1.0
            if label.levels[mechanism] >= 1:  # a level 1 or 2 outranks level 0: P(present) > 1/2
                assert p > 0.5


def test_the_engine_keeps_the_probability_on_clinician_turns(labeller: Labeller) -> None:
    doctor, patient = Speaker(name="Dr A", role=Role.CLINICIAN), Speaker(name="Pat", role=Role.PATIENT)
    conversation = Conversation(
        id="presence",
        turns=(Turn(speaker=patient, text=CONTEXT), Turn(speaker=doctor, text=REPLIES[0])),
    )
    report = analyse(conversation, labeller=labeller)
    clinician = report.turns[1]
    assert clinician.empathy_scores is not None and set(clinician.empathy_scores) == set(MECHANISMS)
    assert report.turns[0].empathy_scores is None
    assert "empathy_scores" in report.to_json()["turns"][1]
