"""Pure domain objects: no I/O, no frameworks."""

from bedside.model.analysis import (
    SCHEMA,
    AnalysisReport,
    CompassionScore,
    EncounterMetrics,
    Opportunity,
    TurnAnalysis,
)
from bedside.model.conversation import Conversation, Role, Speaker, Turn, infer_role
from bedside.model.labels import (
    EMOTIONS,
    MECHANISMS,
    EmotionLabel,
    EmpathyLabel,
    MICode,
    TurnLabeller,
)

__all__ = [
    "EMOTIONS",
    "MECHANISMS",
    "SCHEMA",
    "AnalysisReport",
    "CompassionScore",
    "Conversation",
    "EmotionLabel",
    "EmpathyLabel",
    "EncounterMetrics",
    "MICode",
    "Opportunity",
    "Role",
    "Speaker",
    "Turn",
    "TurnAnalysis",
    "TurnLabeller",
    "infer_role",
]
