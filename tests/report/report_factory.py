"""A hand-made analysis with every kind of thing a report shows (no engine needed)."""

from __future__ import annotations

from bedside.model import (
    AnalysisReport,
    CompassionScore,
    EncounterMetrics,
    Opportunity,
    Role,
    TurnAnalysis,
)

EMOTIONS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")


def _scores(top: str) -> dict[str, float]:
    return {e: (0.8 if e == top else 0.02) for e in EMOTIONS}


def build_report(
    *, patient_text: str = "I'm scared it's cancer, my dad died of this.", timed: bool = True
) -> AnalysisReport:
    """Six turns: a cue that is missed, one that is explored, an overlap, rationale spans."""
    rows = [
        ("Doctor", Role.CLINICIAN, "Hello, what brings you in today?", 0.0, 3.0),
        ("Patient", Role.PATIENT, patient_text, 3.5, 9.0),
        ("Doctor", Role.CLINICIAN, "Okay. Any fever?", 8.5, 10.0),
        ("Patient", Role.PATIENT, "No. I just feel so tired and down lately.", 10.5, 14.0),
        (
            "Doctor",
            Role.CLINICIAN,
            "That sounds really hard. What has been getting you down?",
            14.5,
            18.0,
        ),
        ("Patient", Role.PATIENT, "Work, mostly.", 18.2, 19.0),
    ]
    turns = []
    for index, (speaker, role, text, start, end) in enumerate(rows):
        clinician = role is Role.CLINICIAN
        empathy = None
        rationales = None
        if clinician:
            explores = 2 if "What has" in text else 0
            reacts = 1 if "hard" in text else 0
            empathy = {
                "emotional_reactions": reacts,
                "interpretations": 0,
                "explorations": explores,
            }
            rationales = {
                "emotional_reactions": ((0, 24),) if reacts else (),
                "interpretations": (),
                "explorations": ((25, len(text)),) if explores else (),
            }
        cue = None if clinician else index in (1, 3)
        turns.append(
            TurnAnalysis(
                index=index,
                speaker=speaker,
                role=role,
                text=text,
                start=start if timed else None,
                end=end if timed else None,
                emotions=None if clinician else (("fear",) if index == 1 else ("sadness",)),
                emotion_scores=None if clinician else _scores("fear" if index == 1 else "sadness"),
                cue=cue,
                empathy=empathy,
                rationales=rationales,
                question=(
                    "open"
                    if "?" in text and "What" in text
                    else ("closed" if "?" in text else None)
                )
                if clinician
                else None,
                reflection="complex" if clinician and "hard" in text else None,
            )
        )
    return AnalysisReport(
        id="visit<1>",
        source="tests/visit.txt",
        turns=tuple(turns),
        metrics=EncounterMetrics(
            talk_time_basis="seconds" if timed else "words",
            talk_time_share={"clinician": 0.45, "patient": 0.55},
            turns={"clinician": 3, "patient": 3},
            interruptions=1,
            first_interruption_s=8.5,
            extra={"reflection_to_question": 0.5},
        ),
        opportunities=(
            Opportunity(
                cue_turn=1,
                response_turn=2,
                response="missed",
                suggestion="It sounds frightening, especially after your dad. What worries you most?",
            ),
            Opportunity(cue_turn=3, response_turn=4, response="explored", suggestion=None),
        ),
        score=CompassionScore(
            compassion=58,
            components={
                "cue_response": {"score": 25, "max": 50, "turns": [2, 4]},
                "empathy": {"score": 20, "max": 30},
                "balance": 13,
            },
        ),
        bedside_version="0.1.0",
        ruleset="bedside.empathy_cues.v1",
    )
