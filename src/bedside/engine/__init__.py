"""The pure encounter-analysis engine: a `Conversation` in, an `AnalysisReport` out.

    >>> from bedside.engine import analyse
    >>> report = analyse(conversation)                    # rules only
    >>> report = analyse(conversation, labeller=models)   # plus emotion, empathy and MI models
    >>> report.to_json()["score"]["compassion"]

Nothing here reads files at call time, looks at the clock, uses the network or prints: the
ruleset (`rules/en/*.v1.yaml`) is compiled once at import. See docs/analysis.md for every label
and metric and the research behind it.
"""

from bedside.engine._analyse import DEFAULT_RULES, AnalysisConfig, analyse
from bedside.engine._readability import count_syllables, readability_grade
from bedside.engine._rules import RuleSet, load_ruleset

__all__ = [
    "DEFAULT_RULES",
    "AnalysisConfig",
    "RuleSet",
    "analyse",
    "count_syllables",
    "load_ruleset",
    "readability_grade",
]
