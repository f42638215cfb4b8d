"""Branching simulated-patient scenarios: a pure state machine over versioned YAML files.

The learner's reply is judged elsewhere (`bedside.services.training` runs the analysis engine) and
arrives here as a `ReplyAssessment`; the simulator chooses the branch, moves the person's trust and
distress, answers in their words, and gives feedback and a debrief. No I/O apart from reading
scenario files in `loader`.
"""

from bedside.simulator.assessment import (
    SIGNALS,
    CueResponse,
    JargonTerm,
    ReplyAssessment,
    Signal,
    signals_of,
)
from bedside.simulator.checker import CheckResult, Problem, check_file, check_scenario, longest_path
from bedside.simulator.debrief import SKILLS, Debrief, SkillTally, build_debrief, tally
from bedside.simulator.feedback import Feedback, FeedbackPoint, build_feedback
from bedside.simulator.loader import (
    load_scenario,
    parse_scenario,
    shipped_scenario,
    shipped_scenarios,
)
from bedside.simulator.machine import Attempt, Exchange, Step, choose_branch, respond, start
from bedside.simulator.schema import (
    SCHEMA,
    Branch,
    Cue,
    EmotionalState,
    Ending,
    Node,
    Persona,
    Scenario,
    Source,
)

__all__ = [
    "SCHEMA",
    "SIGNALS",
    "SKILLS",
    "Attempt",
    "Branch",
    "CheckResult",
    "Cue",
    "CueResponse",
    "Debrief",
    "EmotionalState",
    "Ending",
    "Exchange",
    "Feedback",
    "FeedbackPoint",
    "JargonTerm",
    "Node",
    "Persona",
    "Problem",
    "ReplyAssessment",
    "Scenario",
    "Signal",
    "SkillTally",
    "Source",
    "Step",
    "build_debrief",
    "build_feedback",
    "check_file",
    "check_scenario",
    "choose_branch",
    "load_scenario",
    "longest_path",
    "parse_scenario",
    "respond",
    "shipped_scenario",
    "shipped_scenarios",
    "signals_of",
    "start",
    "tally",
]
