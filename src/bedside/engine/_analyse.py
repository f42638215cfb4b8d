"""`analyse`: one conversation in, the whole `bedside.analysis/1` report out. Pure.

No files, clock, network, globals or printing: the ruleset is loaded once at import (or passed in
the config), and the language models arrive as a `TurnLabeller`. That is what lets the batch
layer ship this function to Dask workers unchanged and get the same answer everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from bedside.engine._clinician import ClinicianFeatures, clinician_features
from bedside.engine._cues import Cue, detect_cue
from bedside.engine._mi_behaviour import (
    DEFAULT_MI_RULES,
    MIBehaviourRules,
    TurnBehaviour,
    mi_behaviour,
)
from bedside.engine._mi_behaviour import summarise as summarise_mi
from bedside.engine._readability import readability_grade
from bedside.engine._responses import code_responses
from bedside.engine._risk import input_warnings, not_assessable_reason, risk_turns
from bedside.engine._rules import RuleSet, ScoreRules, load_ruleset
from bedside.engine._score import (
    DEFAULT_SCORE_RULES,
    ScoreInputs,
    ScoreRulesV2,
    compassion_score,
)
from bedside.engine._structure import consultation_agenda
from bedside.engine._suggestions import suggest
from bedside.engine._text import is_backchannel, match_form
from bedside.engine._timing import timing_metrics
from bedside.errors import ConfigError, ModelError
from bedside.model import (
    AnalysisReport,
    CompassionScore,
    Conversation,
    EmotionLabel,
    EmpathyLabel,
    MICode,
    Opportunity,
    Role,
    Turn,
    TurnAnalysis,
    TurnLabeller,
)

__all__ = ["DEFAULT_RULES", "AnalysisConfig", "analyse"]

DEFAULT_RULES: RuleSet = load_ruleset("en", "v1")
"""The shipped English ruleset, compiled once when the engine is imported."""

_LISTENERS = (Role.PATIENT, Role.FAMILY)
_CONTEXT_CHARS = 1000
_T = TypeVar("_T")

try:
    _VERSION = version("bedside")
except PackageNotFoundError:  # a source tree that was never installed
    _VERSION = "0.0.0"


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings of one analysis; immutable, so one default instance is safe to share.

    Attributes:
        rules: the compiled ruleset (default: the shipped English `bedside.en.v1`).
        cue_emotion_threshold: the emotion model's probability of fear, sadness, anger or
            disgust at which it supports a rule's cue (it never makes one alone).
        response_window: how many substantive clinician turns after a cue (before the patient
            speaks again) may count as its response.
        emotion_roles: whose turns the emotion model labels. Patients, family and others by
            default: cues come from their speech, and leaving clinician turns out (their
            `emotions` is null) saves about 40 % of the model's work on a consultation. Add
            "clinician" to label every turn.
        model_cue_emotions: model emotions that support a rule's cue (`source` "rules+model");
            the model never makes a cue on its own (issue 12: alone it heard repair talk and
            plain symptoms). Anger is left out because the GoEmotions grouping counts
            disapproval as anger ("No, I don't smoke.").
        mi_rules: the MI-consistent and MI-inconsistent behaviour phrases (MITI 4.2).
        score_rules: the compassion score's weights: v2 by default (`score.v2.yaml`, chosen on
            AnnoMI development data); pass `rules.score` (v1) for the score as shipped before.
    """

    rules: RuleSet = field(default=DEFAULT_RULES, repr=False)
    cue_emotion_threshold: float = 0.5
    response_window: int = 3
    emotion_roles: tuple[str, ...] = ("patient", "family", "other")
    model_cue_emotions: tuple[str, ...] = ("fear", "sadness", "disgust")
    mi_rules: MIBehaviourRules = field(default=DEFAULT_MI_RULES, repr=False)
    score_rules: ScoreRulesV2 | ScoreRules = field(default=DEFAULT_SCORE_RULES, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.cue_emotion_threshold <= 1.0:
            raise ConfigError(
                f"cue_emotion_threshold must be a probability from 0 to 1, "
                f"not {self.cue_emotion_threshold}"
            )
        if self.response_window < 1:
            raise ConfigError(f"response_window must be at least 1, not {self.response_window}")
        strange = set(self.model_cue_emotions) - {"fear", "sadness", "anger", "disgust"}
        if strange:
            raise ConfigError(
                f"model_cue_emotions may name fear, sadness, anger or disgust, not {sorted(strange)}"
            )
        unknown = set(self.emotion_roles) - {role.value for role in Role}
        if unknown:
            raise ConfigError(
                f"emotion_roles names unknown roles {sorted(unknown)}; "
                f"use {[role.value for role in Role]}"
            )


@dataclass(frozen=True)
class _ModelLabels:
    emotions: dict[int, EmotionLabel]
    empathy: dict[int, EmpathyLabel]
    mi: dict[int, MICode]
    talk: dict[int, str] = field(default_factory=dict)
    """Change / neutral / sustain talk of patient and family turns (labellers with `talk_types`)."""


def _clinician_context(turns: Sequence[Turn], index: int) -> str:
    """The clinician's words before a patient or family turn: their last run of turns."""
    collected: list[str] = []
    for position in range(index - 1, -1, -1):
        if turns[position].role is Role.CLINICIAN:
            collected.append(turns[position].text)
        elif collected:
            break
    return " ".join(reversed(collected))[-_CONTEXT_CHARS:]


def _context(turns: Sequence[Turn], index: int, backchannels: frozenset[str]) -> str:
    """The patient/family speech a clinician turn answers: their last run of turns before it."""
    collected: list[str] = []
    for position in range(index - 1, -1, -1):
        turn = turns[position]
        if turn.role in _LISTENERS:
            collected.append(turn.text)
        elif (
            collected
            and turn.role is Role.CLINICIAN
            and not is_backchannel(turn.text, backchannels)
        ):
            break
    text = " ".join(reversed(collected))
    return text[-_CONTEXT_CHARS:]


def _checked(found: Sequence[_T], expected: int, method: str) -> Sequence[_T]:
    if len(found) != expected:
        raise ModelError(
            f"the labeller's {method}() returned {len(found)} labels for {expected} texts; "
            "a labeller must return exactly one label per text"
        )
    return found


def _label(
    turns: Sequence[Turn], labeller: TurnLabeller | None, config: AnalysisConfig
) -> _ModelLabels:
    """Call the labeller once per method for the whole conversation (batched, so it is fast)."""
    if labeller is None:
        return _ModelLabels({}, {}, {})
    backchannels = config.rules.backchannels
    emotion_turns = [i for i, t in enumerate(turns) if t.role.value in config.emotion_roles]
    clinician_turns = [i for i, t in enumerate(turns) if t.role is Role.CLINICIAN]
    emotions: dict[int, EmotionLabel] = {}
    if emotion_turns:
        found = labeller.emotions([turns[i].text for i in emotion_turns])
        emotions = dict(
            zip(emotion_turns, _checked(found, len(emotion_turns), "emotions"), strict=True)
        )
    empathy: dict[int, EmpathyLabel] = {}
    mi: dict[int, MICode] = {}
    if clinician_turns:
        contexts = [_context(turns, i, backchannels) for i in clinician_turns]
        responses = [turns[i].text for i in clinician_turns]
        found_empathy = _checked(labeller.empathy(contexts, responses), len(responses), "empathy")
        found_mi = _checked(labeller.mi_codes(contexts, responses), len(responses), "mi_codes")
        empathy = dict(zip(clinician_turns, found_empathy, strict=True))
        mi = dict(zip(clinician_turns, found_mi, strict=True))
    talk: dict[int, str] = {}
    talk_types = getattr(labeller, "talk_types", None)
    listener_turns = [i for i, t in enumerate(turns) if t.role in _LISTENERS]
    if talk_types is not None and listener_turns:
        found_talk = talk_types(
            [_clinician_context(turns, i) for i in listener_turns],
            [turns[i].text for i in listener_turns],
        )
        talk = {
            i: t
            for i, t in zip(listener_turns, _checked(found_talk, len(listener_turns), "talk_types"), strict=True)
            if t is not None
        }
    return _ModelLabels(emotions, empathy, mi, talk)


def _mi_ratios(
    features: dict[int, ClinicianFeatures], labels: _ModelLabels, modelled: bool
) -> dict[str, Any]:
    """MITI-style summary ratios: reflections per question, % open questions, % complex."""
    questions: list[str | None]
    reflections: list[str | None]
    if modelled:
        questions = [labels.mi[i].question for i in features if i in labels.mi]
        reflections = [labels.mi[i].reflection for i in features if i in labels.mi]
    else:
        questions = [f.question for f in features.values()]
        reflections = ["unknown" if f.reflect else None for f in features.values()]
    asked = [q for q in questions if q is not None]
    reflected = [r for r in reflections if r is not None]
    open_count = sum(1 for q in asked if q == "open")
    complex_count = sum(1 for r in reflected if r == "complex")
    return {
        "basis": "model" if modelled else "rules",
        "questions": len(asked),
        "open_questions": open_count,
        "closed_questions": len(asked) - open_count,
        "reflections": len(reflected),
        "complex_reflections": complex_count if modelled else None,
        "reflection_to_question": round(len(reflected) / len(asked), 3) if asked else None,
        "percent_open_questions": round(100.0 * open_count / len(asked), 1) if asked else None,
        "percent_complex_reflections": round(100.0 * complex_count / len(reflected), 1)
        if modelled and reflected
        else None,
    }


def _is_empathic(
    index: int,
    text: str,
    found: ClinicianFeatures,
    labels: _ModelLabels,
    rules: RuleSet,
    behaviour: TurnBehaviour | None = None,
) -> bool:
    """Empathic by rule, or by an EPITOME level whose rationale speaks of feelings.

    The model alone over-fires on clinical questions (it was trained on Reddit support posts),
    so its label counts only when the words it points to are words of feeling or empathy.
    A confronting or warning turn is never empathic: "I think you're wrong... it really worries
    me" names a feeling, but it is the clinician's, held against the patient (MITI 4.2).
    """
    if behaviour is not None and behaviour.confronting:
        return False
    if found.acknowledge or found.reflect or found.explore or bool(found.nurse):
        return True
    label = labels.empathy.get(index)
    if label is None:
        return False
    for mechanism, level in label.levels.items():
        spans = label.rationales.get(mechanism, ())
        pieces = [text[s:e] for s, e in spans] or [text]
        if level >= 1 and any(rules.empathy_grounding.search(match_form(p)) for p in pieces):
            return True
    return False


def analyse(
    conv: Conversation,
    *,
    labeller: TurnLabeller | None = None,
    config: AnalysisConfig = AnalysisConfig(),  # frozen, so safe to share
) -> AnalysisReport:
    """Analyse one consultation: timing, cues and responses, empathy, structure, clarity, score.

    Args:
        conv: the consultation, turns in time order.
        labeller: the language models (emotions, EPITOME empathy, MITI codes). Without one, the
            model fields of every turn are null and the rule-based parts still work.
        config: ruleset and thresholds.

    Returns:
        The report; `report.to_json()` is the contract's `bedside.analysis/1` document.

    Raises:
        ModelError: the labeller returned the wrong number of labels.
    """
    rules = config.rules
    turns = conv.turns
    labels = _label(turns, labeller, config)
    modelled = labeller is not None

    metrics = timing_metrics(conv, rules)

    features: dict[int, ClinicianFeatures] = {
        i: clinician_features(t.text, rules)
        for i, t in enumerate(turns)
        if t.role is Role.CLINICIAN
    }
    behaviours = _mi_behaviours(turns, features, config.mi_rules)
    cues: dict[int, Cue] = {}
    for index, turn in enumerate(turns):
        if turn.role not in _LISTENERS:
            continue
        emotion = labels.emotions.get(index)
        cue = detect_cue(
            turn.text,
            rules,
            emotion_scores=emotion.scores if emotion else None,
            threshold=config.cue_emotion_threshold,
            model_emotions=config.model_cue_emotions,
        )
        if cue is not None:
            cues[index] = cue

    opportunities: list[Opportunity] = []
    response_of: dict[int, str] = {}
    for coded in code_responses(
        turns, cues, features, labels.empathy, labels.mi, rules, config.response_window
    ):
        group, window, judged = coded.group, coded.window, coded.judged
        suggestion = (
            suggest(
                group.cue,
                rules,
                turn_index=group.turns[0],
                texts=[turns[i].text for i in group.turns],
                lead_text=next(
                    (turns[i].text for i in group.turns if cues.get(i) is group.cue), None
                ),
            )
            if judged.response == "missed"
            else None
        )
        if judged.turn is not None:
            response_of.setdefault(judged.turn, judged.response)
        opportunities.append(
            Opportunity(
                cue_turn=group.turns[0],
                response_turn=judged.turn,
                response=judged.response,
                suggestion=suggestion,
                extra={
                    "cue_turns": list(group.turns),
                    "cue_kind": group.cue.kind,
                    "cue_type": coded.cue_type,
                    "cue_initiative": coded.initiative,
                    "cue_category": group.cue.category,
                    "cue_vrcodes": group.cue.vrcodes,
                    "emotion": group.cue.emotion,
                    "topic": group.cue.bare,
                    "reason": judged.reason,
                    "evidence": list(judged.evidence),
                    "flags": list(judged.flags),
                    "window": list(window),
                    "response_code": judged.code,
                    "response_space": judged.space,
                    "response_explicit": judged.explicit,
                    "delayed_turn": judged.delayed_turn,
                    "suggestion_source": "template" if suggestion else None,
                },
            )
        )

    analysed = [
        _turn_analysis(
            index, turn, features.get(index), cues.get(index), labels, response_of, behaviours
        )
        for index, turn in enumerate(turns)
    ]

    clinician_indices = sorted(features)
    clinician_text = " ".join(turns[i].text for i in clinician_indices)
    clinician_words = sum(turns[i].words for i in clinician_indices)
    grade = readability_grade(clinician_text) if clinician_indices else None
    jargon_found = [(i, j) for i in clinician_indices for j in features[i].jargon]
    unexplained = [(i, j) for i, j in jargon_found if not j["explained"]]
    agenda = consultation_agenda(
        turns,
        {i: features[i].agenda_setting for i in clinician_indices},
        metrics.extra.get("opening_statement"),
        metrics.extra.get("invitation_turn"),
        rules.structure,
    )
    ice = [{"turn": i, "kind": features[i].ice} for i in clinician_indices if features[i].ice]
    safety_netting = [i for i in clinician_indices if features[i].safety_netting]
    overlap_of = {o["turn"]: o["kind"] for o in metrics.extra.get("overlaps") or []}
    for position in sorted(set(agenda) | set(overlap_of)):
        row = analysed[position]
        update = {"overlap": overlap_of.get(position)} if position in overlap_of else {}
        if position in agenda:
            update["agenda_setting"] = True
        analysed[position] = row.model_copy(update={"extra": {**row.extra, **update}})
    summaries = [i for i in clinician_indices if features[i].summary]
    teach_back = [i for i in clinician_indices if features[i].teach_back]
    empathic = [
        i
        for i in clinician_indices
        if _is_empathic(i, turns[i].text, features[i], labels, rules, behaviours.get(i))
    ]
    reflection_turns, question_turns = _listening_turns(features, labels, modelled)
    counts = {
        k: sum(1 for o in opportunities if o.response == k)
        for k in ("explored", "acknowledged", "missed")
    }

    share = metrics.talk_time_share
    listener_share = (
        sum(share.get(r.value, 0.0) for r in _LISTENERS)
        if any(t.role in _LISTENERS for t in turns)
        else None
    )
    score = compassion_score(
        ScoreInputs(
            opportunities=opportunities,
            clinician_turns=clinician_indices,
            empathic_turns=empathic,
            empathy_basis="rules and model" if modelled else "rules",
            patient_share=listener_share,
            interruption_turns=metrics.extra.get("interruption_turns"),
            duration_s=metrics.extra.get("duration_s"),
            agenda_turns=agenda,
            summary_turns=summaries,
            teach_back_turns=teach_back,
            clinician_grade=grade,
            clinician_words=clinician_words,
            unexplained_jargon_turns=sorted({i for i, _ in unexplained}),
            unexplained_jargon=len(unexplained),
            reflection_turns=reflection_turns,
            question_turns=question_turns,
            mi_basis="MI model" if modelled else "rules",
            mi_consistent={i: b.consistent for i, b in behaviours.items() if b.consistent},
            mi_inconsistent={i: b.inconsistent for i, b in behaviours.items() if b.inconsistent},
        ),
        config.score_rules,
    )

    unassessable = not_assessable_reason(turns)
    if unassessable is not None:
        score = _not_assessable(score, unassessable)
    risks = risk_turns(turns, rules.risk)
    risk_of = {r["turn"]: r["category"] for r in risks}
    for position, row in enumerate(analysed):
        if position in risk_of:
            analysed[position] = row.model_copy(
                update={"extra": {**row.extra, "risk": risk_of[position]}}
            )

    metrics_extra = dict(metrics.extra)
    metrics_extra.update(
        {
            "risk_turns": risks,
            "warnings": input_warnings(turns),
            "score_not_assessable": unassessable,
            "cues": len(cues),
            "opportunities": len(opportunities),
            "responses": counts,
            "mi": _mi_ratios(features, labels, modelled),
            "mi_behaviour": summarise_mi(behaviours),
            "nurse": {
                name: [i for i in clinician_indices if name in features[i].nurse]
                for name in ("name", "understand", "respect", "support", "explore")
            },
            "agenda_setting_turns": agenda,
            "ice_turns": ice,
            "safety_netting_turns": safety_netting,
            "summary_turns": summaries,
            "teach_back_turns": teach_back,
            "clinician_readability_grade": grade,
            "jargon": {
                "count": len(jargon_found),
                "unexplained": len(unexplained),
                "per_100_words": round(100.0 * len(jargon_found) / clinician_words, 2)
                if clinician_words
                else None,
                "terms": sorted({j["term"] for _, j in jargon_found}),
                "source": rules.jargon_source,
                "licence": rules.jargon_licence,
            },
        }
    )
    return AnalysisReport(
        id=conv.id,
        turns=tuple(analysed),
        metrics=metrics.model_copy(update={"extra": metrics_extra}),
        opportunities=tuple(opportunities),
        score=score,
        source=conv.source,
        ruleset=rules.name,
        bedside_version=_VERSION,
        extra={"labeller": "model" if modelled else None},
    )


def _not_assessable(score: CompassionScore, reason: str) -> CompassionScore:
    """The score of an input that is not a whole consultation: null, and every component says why."""
    breakdown = {
        name: {
            **(part if isinstance(part, dict) else {}),
            "applies": False,
            "applied_weight": 0.0,
            "value": None,
            "points": None,
            "turns": [],
            "why": f"not assessable: {reason}",
        }
        for name, part in score.breakdown.items()
    }
    return score.model_copy(
        update={
            "compassion": None,
            "components": dict.fromkeys(score.components),
            "breakdown": breakdown,
        }
    )


def _mi_behaviours(
    turns: Sequence[Turn], features: dict[int, ClinicianFeatures], rules: MIBehaviourRules
) -> dict[int, TurnBehaviour]:
    """MITI 4.2 behaviours of each clinician turn; permission asked carries to the next turn."""
    found: dict[int, TurnBehaviour] = {}
    permission = False
    for index in sorted(features):
        feature = features[index]
        behaviour = mi_behaviour(
            turns[index].text,
            rules,
            asked_permission_before=permission,
            question=feature.question is not None,
            reflection=feature.reflect,
        )
        permission = behaviour.permission
        found[index] = behaviour
    return found


def _listening_turns(
    features: dict[int, ClinicianFeatures], labels: _ModelLabels, modelled: bool
) -> tuple[list[int], list[int]]:
    """Clinician turns with a reflection, and with a question: by the MI model, else by rule."""
    if modelled:
        coded = [i for i in sorted(features) if i in labels.mi]
        return (
            [i for i in coded if labels.mi[i].reflection is not None],
            [i for i in coded if labels.mi[i].question is not None],
        )
    return (
        [i for i in sorted(features) if features[i].reflect],
        [i for i in sorted(features) if features[i].question is not None],
    )


def _turn_analysis(
    index: int,
    turn: Turn,
    found: ClinicianFeatures | None,
    cue: Cue | None,
    labels: _ModelLabels,
    response_of: dict[int, str],
    behaviours: dict[int, TurnBehaviour] | None = None,
) -> TurnAnalysis:
    emotion = labels.emotions.get(index)
    empathy = labels.empathy.get(index)
    mi = labels.mi.get(index)
    listener = turn.role in _LISTENERS
    extra: dict[str, Any] = {
        "cue_detail": cue.to_json(turn.text) if cue else None,
        "response_to_cue": response_of.get(index),
        "nurse": None,
        "agenda_setting": None,
        "ice": None,
        "safety_netting": None,
        "overlap": None,
        "teach_back": None,
        "summary": None,
        "premature_reassurance": None,
        "advice": None,
        "question_rule": None,
        "jargon": None,
        "readability_grade": None,
        "risk": None,
        "mi_behaviours": None,
    }
    if found is not None:
        extra.update(found.to_json())
    behaviour = (behaviours or {}).get(index)
    if behaviour is not None:
        extra["mi_behaviours"] = behaviour.to_json()
    return TurnAnalysis(
        index=index,
        speaker=turn.speaker.name,
        role=turn.role,
        text=turn.text,
        start=turn.start,
        end=turn.end,
        emotions=emotion.emotions if emotion else None,
        emotion_scores=dict(emotion.scores) if emotion else None,
        cue=(cue is not None) if listener else None,
        empathy=dict(empathy.levels) if empathy else None,
        rationales={k: tuple(v) for k, v in empathy.rationales.items()} if empathy else None,
        empathy_scores=dict(empathy.presence) if empathy and empathy.presence else None,
        question=mi.question if mi else None,
        reflection=mi.reflection if mi else None,
        mi_behaviour=mi.behaviour if mi else None,
        talk_type=labels.talk.get(index),
        tags=turn.tags,
        extra=extra,
    )
