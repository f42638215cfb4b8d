import pytest
from pydantic import ValidationError

from bedside.model import Conversation, Role, Speaker, Turn, infer_role


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("Doctor", Role.CLINICIAN),
        ("Dr Lee", Role.CLINICIAN),
        ("GP", Role.CLINICIAN),
        ("Nurse Ann", Role.CLINICIAN),
        ("Counselor", Role.CLINICIAN),
        ("Patient", Role.PATIENT),
        ("Pt", Role.PATIENT),
        ("Client", Role.PATIENT),
        ("Mother", Role.FAMILY),
        ("Interpreter", Role.OTHER),
        ("Drew", Role.OTHER),
    ],
)
def test_infer_role_from_name(name, role):
    assert infer_role(name) is role


def test_override_wins():
    assert infer_role("Sam", {"Sam": Role.CLINICIAN}) is Role.CLINICIAN


def test_turn_rejects_reversed_and_negative_times():
    speaker = Speaker(name="Doctor", role=Role.CLINICIAN)
    with pytest.raises(ValidationError, match="before start"):
        Turn(speaker=speaker, text="hi", start=2.0, end=1.0)
    with pytest.raises(ValidationError, match="negative"):
        Turn(speaker=speaker, text="hi", start=-1.0, end=1.0)


def test_conversation_is_frozen_and_lists_speakers():
    doctor = Speaker(name="Doctor", role=Role.CLINICIAN)
    patient = Speaker(name="Patient", role=Role.PATIENT)
    conv = Conversation(
        id="c1",
        turns=(
            Turn(speaker=doctor, text="Hello", start=0, end=1),
            Turn(speaker=patient, text="Hi there", start=1, end=2),
            Turn(speaker=doctor, text="How are you?", start=2, end=3),
        ),
    )
    assert conv.speakers == (doctor, patient)
    assert conv.has_times
    with pytest.raises(ValidationError):
        conv.id = "other"  # type: ignore[misc]
