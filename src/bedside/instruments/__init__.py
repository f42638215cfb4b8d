"""Validated questionnaires, social needs, what matters, care plans and safety phrases: all pure.

Instruments are versioned data files (`data/*.v1.yaml`) with their published wording, options,
bands, cut-offs, citation and licence note; scoring is a pure function of an instrument and the
patient's answers::

    >>> from bedside.instruments import score
    >>> score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1]).flags
    ('self_harm_risk',)
"""

from bedside.instruments._definition import (
    INSTRUMENT_IDS,
    AnswerOption,
    Band,
    Cutoff,
    Instrument,
    Item,
    LoincCodes,
    get_instrument,
    load_instrument_file,
    with_wording,
)
from bedside.instruments._scoring import SELF_HARM_RISK, SafetyStatus, Score, score, scorer

__all__ = [
    "INSTRUMENT_IDS",
    "SELF_HARM_RISK",
    "AnswerOption",
    "Band",
    "Cutoff",
    "Instrument",
    "Item",
    "LoincCodes",
    "SafetyStatus",
    "Score",
    "get_instrument",
    "load_instrument_file",
    "score",
    "scorer",
    "with_wording",
]
