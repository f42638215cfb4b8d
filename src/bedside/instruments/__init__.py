"""Validated questionnaires, social needs, what matters, care plans and safety phrases: all pure.

Instruments are versioned data files (`data/*.v1.yaml`) with their published wording, options,
bands, cut-offs, citation and licence note; scoring is a pure function of an instrument and the
patient's answers::

    >>> from bedside.instruments import score
    >>> score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1]).flags
    ('self_harm_risk',)
"""

from bedside.instruments._careplan import (
    CarePlan,
    CarePlanAction,
    CarePlanGoal,
    CarePlanRules,
    Problem,
    Referral,
    build_care_plan,
    get_care_plan_rules,
    load_care_plan_rules,
    revise_care_plan,
    sign_care_plan,
)
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
from bedside.instruments._plain import render_patient_plan
from bedside.instruments._prompts import WhatMattersPrompt, what_matters_prompts
from bedside.instruments._safety import (
    CrisisResource,
    CrisisResources,
    SafetyMatch,
    SafetyScreen,
    crisis_resources,
    screen_message,
)
from bedside.instruments._scoring import SELF_HARM_RISK, SafetyStatus, Score, score, scorer
from bedside.instruments._social import (
    SocialNeedsItem,
    SocialNeedsOption,
    SocialNeedsResult,
    SocialNeedsTool,
    get_social_needs_tool,
    screen_social_needs,
)

__all__ = [
    "INSTRUMENT_IDS",
    "SELF_HARM_RISK",
    "AnswerOption",
    "Band",
    "CarePlan",
    "CarePlanAction",
    "CarePlanGoal",
    "CarePlanRules",
    "CrisisResource",
    "CrisisResources",
    "Cutoff",
    "Instrument",
    "Item",
    "LoincCodes",
    "Problem",
    "Referral",
    "SafetyMatch",
    "SafetyScreen",
    "SafetyStatus",
    "Score",
    "SocialNeedsItem",
    "SocialNeedsOption",
    "SocialNeedsResult",
    "SocialNeedsTool",
    "WhatMattersPrompt",
    "build_care_plan",
    "crisis_resources",
    "get_care_plan_rules",
    "get_instrument",
    "get_social_needs_tool",
    "load_care_plan_rules",
    "load_instrument_file",
    "render_patient_plan",
    "revise_care_plan",
    "score",
    "scorer",
    "screen_message",
    "screen_social_needs",
    "sign_care_plan",
    "what_matters_prompts",
    "with_wording",
]
