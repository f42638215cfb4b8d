"""Training use cases: judge a learner's reply with the analysis engine and drive the simulator.

The simulator is a pure state machine that needs a `ReplyAssessment`; this module makes one from
real text. It builds a two-turn `Conversation` (the simulated person's line, then the learner's
reply), runs `bedside.engine.analyse` on it (with the language models when a labeller is given,
rules only otherwise) and maps the report onto the assessment.
"""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bedside.config import Settings
from bedside.db.base import utcnow
from bedside.db.tables import Cohort, CohortMember, User, UserRole
from bedside.db.tables_training import CohortAssignment, TrainingAttempt
from bedside.engine import analyse
from bedside.errors import ModelError, NotFound, PermissionDenied, ScenarioError
from bedside.model import AnalysisReport, Conversation, Role, Speaker, Turn, TurnLabeller
from bedside.services import audit, cohort_membership
from bedside.services.csv_cells import safe_cell
from bedside.simulator import (
    SKILLS,
    Attempt,
    Debrief,
    JargonTerm,
    ReplyAssessment,
    Scenario,
    Step,
    build_debrief,
    respond,
    shipped_scenario,
    start,
)
from bedside.simulator.voice import accept_voiced, voice_messages

__all__ = [
    "CHART_SKILLS",
    "CSV_COLUMNS",
    "CaseStudy",
    "CohortProgress",
    "LLMVoice",
    "MemberProgress",
    "PracticeSession",
    "ReplyAssessor",
    "add_cohort_member",
    "assessment_from_report",
    "assign_scenario",
    "assigned_scenarios",
    "attempt_debrief",
    "attempt_state",
    "begin_practice",
    "case_studies",
    "case_study",
    "cohort_csv",
    "cohort_progress",
    "create_cohort",
    "educator_cohorts",
    "get_attempt",
    "learner_history",
    "load_assessor",
    "skill_series",
    "start_attempt",
    "submit_reply",
    "voice_from_settings",
]

_MECHANISMS = ("emotional_reactions", "interpretations", "explorations")
_LEARNER = Speaker(name="Clinician", role=Role.CLINICIAN)


def _speaker_for(scenario: Scenario) -> Speaker:
    """The simulated person as a speaker the engine listens to for cues.

    A colleague is analysed as a patient: the engine looks for cues in patient and family turns,
    and a struggling colleague's cues deserve the same attention.
    """
    role = Role.FAMILY if scenario.persona.role == "family" else Role.PATIENT
    return Speaker(name=scenario.persona.name, role=role)


def _rules_empathy(extra: Mapping[str, Any], response: str | None) -> dict[str, int]:
    """EPITOME-like levels from the engine's rules when no model is loaded.

    NURSE statements map onto the mechanisms they express: Name, Respect and Support are emotional
    reactions, Understand is an interpretation, Explore an exploration. Rules give at most level 1
    (weak): only the empathy model distinguishes strong from weak.
    """
    nurse = set(extra.get("nurse") or ())
    return {
        "emotional_reactions": int(
            bool(nurse & {"name", "respect", "support"}) or response == "acknowledged"
        ),
        "interpretations": int("understand" in nurse),
        "explorations": int("explore" in nurse or response == "explored"),
    }


def _derived_response(empathy: Mapping[str, int]) -> Literal["explored", "acknowledged", "missed"]:
    if empathy.get("explorations", 0) >= 1:
        return "explored"
    if empathy.get("emotional_reactions", 0) >= 1 or empathy.get("interpretations", 0) >= 1:
        return "acknowledged"
    return "missed"


def assessment_from_report(
    report: AnalysisReport, *, planted_cue: bool, reply_index: int = 1
) -> ReplyAssessment:
    """Turn the engine's report on (line, reply) into the simulator's `ReplyAssessment`.

    Args:
        report: the analysis of the two-turn conversation.
        planted_cue: the scenario planted an emotional cue in the line. When the engine's cue
            rules did not fire on it, the response is judged from the empathy levels instead, so
            that a scenario's cue is never silently ignored.
        reply_index: index of the learner's turn in the report.
    """
    turn = report.turns[reply_index]
    extra = turn.extra
    response = extra.get("response_to_cue")
    modelled = turn.empathy is not None
    empathy = (
        {m: int(turn.empathy.get(m, 0)) for m in _MECHANISMS}
        if turn.empathy is not None
        else _rules_empathy(extra, response)
    )
    if response is None and planted_cue:
        response = _derived_response(empathy)
    question = turn.question if modelled else extra.get("question_rule")
    reflection = turn.reflection
    if reflection is None and not modelled:
        mi = report.metrics.extra.get("mi") or {}
        reflection = "simple" if mi.get("reflections") else None
    jargon = tuple(
        JargonTerm(term=str(j.get("text") or j.get("term")), plain=j.get("plain"))
        for j in (extra.get("jargon") or ())
        if not j.get("explained")
    )
    reassurance: str | None = None
    suggestion: str | None = None
    for opportunity in report.opportunities:
        if opportunity.response_turn == reply_index:
            suggestion = suggestion or opportunity.suggestion
            if opportunity.extra.get("reason") == "premature_reassurance":
                evidence = opportunity.extra.get("evidence") or ()
                reassurance = str(evidence[0]) if evidence else None
    return ReplyAssessment(
        text=turn.text,
        cue_response=response,
        empathy=empathy,
        question=question if question in ("open", "closed") else None,
        reflection=reflection if reflection in ("simple", "complex") else None,
        jargon=jargon,
        premature_reassurance=bool(extra.get("premature_reassurance")),
        reassurance=reassurance,
        teach_back=bool(extra.get("teach_back")),
        reading_grade=extra.get("readability_grade"),
        suggestion=suggestion,
    )


@dataclass
class ReplyAssessor:
    """Judges learner replies; holds the (optional) language models.

    Attributes:
        labeller: the ONNX models from `bedside.nlp.load_labeller()`, or None for rules only.
    """

    labeller: TurnLabeller | None = None

    @property
    def basis(self) -> str:
        """'models' when the language models are used, 'rules' otherwise."""
        return "rules" if self.labeller is None else "models"

    def assess(self, scenario: Scenario, node_id: str, reply: str) -> ReplyAssessment:
        """Assess a reply to the line at `node_id` of the scenario."""
        node = scenario.node(node_id)
        conversation = Conversation(
            id=f"{scenario.id}:{node_id}",
            turns=(
                Turn(speaker=_speaker_for(scenario), text=node.patient),
                Turn(speaker=_LEARNER, text=reply),
            ),
        )
        report = analyse(conversation, labeller=self.labeller)
        planted = any(c.kind in ("emotion", "concern") for c in node.cues)
        return assessment_from_report(report, planted_cue=planted)


def load_assessor(*, models: bool = True) -> ReplyAssessor:
    """An assessor with the shipped language models, or rules only.

    Raises:
        ModelError: `models` is True and the shipped weights are missing or corrupt
            (callers may catch it and fall back to `load_assessor(models=False)`).
    """
    if not models:
        return ReplyAssessor()
    try:
        from bedside.nlp import load_labeller
    except ImportError as error:  # pragma: no cover - the nlp package is part of bedside
        raise ModelError(f"the language models are not available ({error})") from None
    return ReplyAssessor(labeller=load_labeller())


@dataclass
class LLMVoice:
    """Lets an OpenAI-compatible chat endpoint re-say the person's scripted lines.

    Only the wording changes: the branch is chosen by the rules first, and a voiced line that
    drops a planted cue, is empty or too long, or any network error, falls back to the scripted
    line (`bedside.simulator.voice`). Nothing is logged; the learner's reply is sent to the
    endpoint, so configure one you trust with that text.

    Attributes:
        url: base URL (`…/v1`) or the full `…/chat/completions` URL.
        model: the model name to request.
        api_key: sent as a bearer token when set.
        timeout: seconds to wait before using the scripted line.
    """

    url: str
    model: str = "gpt-4o-mini"
    api_key: str | None = None
    timeout: float = 8.0

    def _endpoint(self) -> str:
        url = self.url.rstrip("/")
        return url if url.endswith("/chat/completions") else url + "/chat/completions"

    def speak(self, scenario: Scenario, node_id: str, reply: str) -> str:
        """The line the person says at `node_id`, voiced when the endpoint answers well."""
        body = json.dumps(
            {
                "model": self.model,
                "messages": voice_messages(scenario, node_id, reply),
                "temperature": 0.7,
                "max_tokens": 160,
            }
        ).encode("utf-8")
        headers = {"content-type": "application/json"}
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self._endpoint(), data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read().decode("utf-8"))
            voiced = answer["choices"][0]["message"]["content"]
        except (
            urllib.error.URLError,
            TimeoutError,
            OSError,
            ValueError,
            KeyError,
            IndexError,
            TypeError,
        ):
            voiced = None
        return accept_voiced(scenario, node_id, voiced if isinstance(voiced, str) else None)


def voice_from_settings(settings: Settings | None = None) -> LLMVoice | None:
    """An `LLMVoice` when `BEDSIDE_LLM_URL` is set, else None (the scripted lines only)."""
    settings = settings or Settings()
    if not settings.llm_url:
        return None
    return LLMVoice(url=settings.llm_url, model=settings.llm_model, api_key=settings.llm_api_key)


@dataclass
class PracticeSession:
    """One learner playing one scenario: assess, step the simulator, time each answer.

    `timings` holds the seconds from submitting each reply to having the person's answer and
    feedback, the latency a learner feels (including the LLM voice when one is set). `spoken` is
    what the person last said: the scripted line, or its voiced version.
    """

    scenario: Scenario
    assessor: ReplyAssessor
    attempt: Attempt
    timings: list[float] = field(default_factory=list)
    voice: LLMVoice | None = None
    spoken: str = ""

    def __post_init__(self) -> None:
        if not self.spoken:
            self.spoken = self.scenario.node(self.attempt.node).patient

    @property
    def finished(self) -> bool:
        """True once the attempt has reached an ending."""
        return self.scenario.node(self.attempt.node).is_end

    @property
    def line(self) -> str:
        """What the simulated person is saying now."""
        return self.scenario.node(self.attempt.node).patient

    def reply(self, text: str) -> Step:
        """Submit the learner's reply; returns the person's answer and the feedback."""
        began = time.perf_counter()
        assessment = self.assessor.assess(self.scenario, self.attempt.node, text)
        step = respond(self.scenario, self.attempt, assessment)
        self.attempt = step.attempt
        self.spoken = (
            self.voice.speak(self.scenario, step.attempt.node, text) if self.voice else step.patient
        )
        self.timings.append(time.perf_counter() - began)
        return step

    def debrief(self) -> Debrief:
        """The debrief once finished (raises ScenarioError before that)."""
        return build_debrief(self.scenario, self.attempt)


def begin_practice(
    scenario_id: str, assessor: ReplyAssessor, *, voice: LLMVoice | None = None
) -> PracticeSession:
    """Start practising a shipped scenario (optionally with an LLM voicing the person).

    Raises:
        NotFound: there is no shipped scenario with that id.
    """
    scenario = shipped_scenario(scenario_id)
    return PracticeSession(
        scenario=scenario, assessor=assessor, attempt=start(scenario), voice=voice
    )


# ----- stored attempts, progress and cohorts (the web application's units of work) -------------

PLAYERS = frozenset({UserRole.LEARNER, UserRole.CLINICIAN, UserRole.EDUCATOR})
"""Roles that may play scenarios (educators try them before assigning them)."""

MEMBER_ROLES = frozenset({UserRole.LEARNER, UserRole.CLINICIAN})
"""Roles an educator may add to a cohort."""

CSV_COLUMNS = (
    "cohort",
    "member",
    "email",
    "role",
    "attempts",
    "finished",
    "good_endings",
    "assigned",
    "assigned_completed",
    "last_activity",
    *(f"rate_{skill}" for skill in SKILLS),
)


def _require_player(user: User) -> None:
    if user.user_role not in PLAYERS:
        raise PermissionDenied("practice is for learner, clinician and educator accounts")


def _require_educator(user: User) -> None:
    if user.user_role is not UserRole.EDUCATOR:
        raise PermissionDenied("cohorts are managed by educator accounts")


def start_attempt(
    session: Session, user: User, scenario_id: str, *, ip: str | None = None
) -> TrainingAttempt:
    """Start a learner's attempt at a shipped scenario (one unit of work, audited)."""
    _require_player(user)
    scenario = shipped_scenario(scenario_id)
    attempt = start(scenario)
    record = TrainingAttempt(
        organisation_id=user.organisation_id,
        user_id=user.id,
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        state=attempt.model_dump(mode="json"),
    )
    session.add(record)
    session.flush()
    audit.record(
        session, user, "training.start", f"training_attempt:{record.id}", ip=ip, detail=scenario.id
    )
    session.commit()
    return record


def _educator_sees(session: Session, educator: User, learner_id: int) -> bool:
    query = (
        select(CohortMember.user_id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(Cohort.educator_id == educator.id, CohortMember.user_id == learner_id)
    )
    return session.scalar(query.limit(1)) is not None


def get_attempt(session: Session, user: User, attempt_id: int) -> TrainingAttempt:
    """An attempt the caller may see: their own, or a member's of a cohort they teach.

    Raises:
        NotFound: no such attempt, or the caller may not know it exists.
    """
    record = session.get(TrainingAttempt, attempt_id)
    if record is None or record.organisation_id != user.organisation_id:
        raise NotFound("no such training attempt")
    if record.user_id == user.id:
        return record
    if user.user_role is UserRole.EDUCATOR and _educator_sees(session, user, record.user_id):
        return record
    raise NotFound("no such training attempt")


def attempt_state(record: TrainingAttempt) -> tuple[Scenario, Attempt]:
    """The scenario and the simulator state stored in a record.

    Raises:
        ScenarioError: the scenario changed version since the attempt started.
    """
    scenario = shipped_scenario(record.scenario_id)
    if scenario.version != record.scenario_version:
        raise ScenarioError(
            f"scenario {scenario.id!r} is now version {scenario.version}; this attempt used "
            f"version {record.scenario_version} and cannot be continued; start a new one"
        )
    return scenario, Attempt.model_validate(record.state)


def submit_reply(
    session: Session,
    user: User,
    attempt_id: int,
    text: str,
    assessor: ReplyAssessor,
    *,
    ip: str | None = None,
) -> tuple[TrainingAttempt, Step]:
    """Judge the learner's reply, advance the attempt, store it; the debrief figures at the end.

    Raises:
        NotFound: not the caller's attempt. ScenarioError: the attempt has ended or the reply is
            empty.
    """
    record = get_attempt(session, user, attempt_id)
    if record.user_id != user.id:
        raise PermissionDenied("only the learner can reply in their own attempt")
    # Lock the row (PostgreSQL) so that a double-submitted reply cannot lose an exchange.
    session.refresh(record, with_for_update=True)
    reply = text.strip()
    if not reply:
        raise ScenarioError("type a reply before sending it")
    if len(reply) > 2000:
        raise ScenarioError("replies are limited to 2000 characters; say it more briefly")
    scenario, attempt = attempt_state(record)
    if scenario.node(attempt.node).is_end:
        raise ScenarioError("this attempt has ended; start a new one to play again")
    assessment = assessor.assess(scenario, attempt.node, reply)
    step = respond(scenario, attempt, assessment)
    record.state = step.attempt.model_dump(mode="json")
    record.replies = step.attempt.turns
    if step.finished:
        debrief = build_debrief(scenario, step.attempt)
        record.status = "finished"
        record.outcome = debrief.ending.outcome
        record.skills = dict(debrief.skills.counts)
        record.finished_at = utcnow()
        audit.record(
            session,
            user,
            "training.finish",
            f"training_attempt:{record.id}",
            ip=ip,
            detail=debrief.ending.outcome,
        )
    session.commit()
    return record, step


def attempt_debrief(
    session: Session, user: User, attempt_id: int
) -> tuple[TrainingAttempt, Debrief]:
    """The debrief of a finished attempt the caller may see."""
    record = get_attempt(session, user, attempt_id)
    scenario, attempt = attempt_state(record)
    return record, build_debrief(scenario, attempt)


def learner_history(session: Session, user: User) -> list[TrainingAttempt]:
    """The caller's attempts, newest first."""
    query = (
        select(TrainingAttempt)
        .where(
            TrainingAttempt.user_id == user.id,
            TrainingAttempt.organisation_id == user.organisation_id,
        )
        .order_by(TrainingAttempt.started_at.desc(), TrainingAttempt.id.desc())
    )
    return list(session.scalars(query))


CHART_SKILLS: tuple[str, ...] = (
    "emotional_reactions",
    "interpretations",
    "explorations",
    "open_questions",
    "missed_cues",
)
"""The skills drawn on a learner's progress chart (share of replies per finished attempt)."""


def skill_series(attempts: list[TrainingAttempt]) -> dict[str, list[float]]:
    """Per skill, its share of replies in each finished attempt, oldest first."""
    finished = sorted(
        (a for a in attempts if a.status == "finished" and a.skills and a.replies),
        key=lambda a: (a.finished_at or a.started_at, a.id),
    )
    return {
        skill: [float((a.skills or {}).get(skill, 0)) / a.replies for a in finished]
        for skill in CHART_SKILLS
    }


def assigned_scenarios(session: Session, user: User) -> list[str]:
    """Scenario ids assigned to any cohort the caller belongs to."""
    query = (
        select(CohortAssignment.scenario_id)
        .join(CohortMember, CohortMember.cohort_id == CohortAssignment.cohort_id)
        .where(CohortMember.user_id == user.id)
        .distinct()
    )
    return sorted(session.scalars(query))


def educator_cohorts(session: Session, educator: User) -> list[Cohort]:
    """The cohorts an educator teaches."""
    _require_educator(educator)
    query = (
        select(Cohort)
        .where(Cohort.educator_id == educator.id, Cohort.organisation_id == educator.organisation_id)
        .order_by(Cohort.name)
    )
    return list(session.scalars(query))


def create_cohort(session: Session, educator: User, name: str, *, ip: str | None = None) -> Cohort:
    """A new cohort taught by the caller."""
    _require_educator(educator)
    name = name.strip()
    if not name or len(name) > 200:
        raise ScenarioError("a cohort needs a name of 1 to 200 characters")
    cohort = Cohort(organisation_id=educator.organisation_id, name=name, educator_id=educator.id)
    session.add(cohort)
    session.flush()
    audit.record(session, educator, "cohort.create", f"cohort:{cohort.id}", ip=ip)
    session.commit()
    return cohort


def _own_cohort(session: Session, educator: User, cohort_id: int) -> Cohort:
    _require_educator(educator)
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or cohort.educator_id != educator.id:
        raise NotFound("no such cohort")
    return cohort


def add_cohort_member(
    session: Session, educator: User, cohort_id: int, email: str, *, ip: str | None = None
) -> User:
    """Invite a learner or clinician to the cohort, by e-mail; they join when they accept.

    Membership lets the educator read the member's work, so the educator alone cannot make it
    (issue 11, finding 5): see `bedside.services.cohort_membership`.
    """
    _own_cohort(session, educator, cohort_id)
    return cohort_membership.invite(session, educator, cohort_id, email, ip=ip)


def assign_scenario(
    session: Session, educator: User, cohort_id: int, scenario_id: str, *, ip: str | None = None
) -> None:
    """Assign a shipped scenario to a cohort (assigning twice is harmless)."""
    cohort = _own_cohort(session, educator, cohort_id)
    scenario = shipped_scenario(scenario_id)
    if session.get(CohortAssignment, (cohort.id, scenario.id)) is None:
        session.add(
            CohortAssignment(
                cohort_id=cohort.id, scenario_id=scenario.id, assigned_by_id=educator.id
            )
        )
        audit.record(
            session, educator, "cohort.assign", f"cohort:{cohort.id}", ip=ip, detail=scenario.id
        )
        session.commit()


@dataclass(frozen=True)
class MemberProgress:
    """One cohort member's training so far."""

    user: User
    attempts: int
    finished: int
    good_endings: int
    assigned_completed: int
    last_activity: datetime | None
    rates: dict[str, float | None]
    latest_attempt_id: int | None


@dataclass(frozen=True)
class CohortProgress:
    """A cohort, what is assigned to it, and each member's progress."""

    cohort: Cohort
    assigned: list[str]
    members: list[MemberProgress]


def cohort_progress(session: Session, educator: User, cohort_id: int) -> CohortProgress:
    """Progress of every member of one of the educator's cohorts."""
    cohort = _own_cohort(session, educator, cohort_id)
    assigned = sorted(
        session.scalars(
            select(CohortAssignment.scenario_id).where(CohortAssignment.cohort_id == cohort.id)
        )
    )
    members = list(
        session.scalars(
            select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort.id)
            .order_by(User.display_name, User.id)
        )
    )
    rows = []
    for member in members:
        attempts = list(
            session.scalars(select(TrainingAttempt).where(TrainingAttempt.user_id == member.id))
        )
        finished = [a for a in attempts if a.status == "finished"]
        replies = sum(a.replies for a in finished)
        rates: dict[str, float | None] = {
            skill: (
                sum((a.skills or {}).get(skill, 0) for a in finished) / replies if replies else None
            )
            for skill in SKILLS
        }
        done = {a.scenario_id for a in finished}
        activity = [a.finished_at or a.started_at for a in attempts]
        latest = max(attempts, key=lambda a: (a.started_at, a.id)) if attempts else None
        rows.append(
            MemberProgress(
                user=member,
                attempts=len(attempts),
                finished=len(finished),
                good_endings=sum(a.outcome == "good" for a in finished),
                assigned_completed=len(done & set(assigned)),
                last_activity=max(activity) if activity else None,
                rates=rates,
                latest_attempt_id=latest.id if latest else None,
            )
        )
    return CohortProgress(cohort=cohort, assigned=assigned, members=rows)


def cohort_csv(session: Session, educator: User, cohort_id: int, *, ip: str | None = None) -> str:
    """The cohort's progress as CSV (one row per member; rates are shares of replies).

    Names are typed by users, so every cell goes through `safe_cell`: a cohort called
    `=HYPERLINK(...)` opens as text in a spreadsheet, not as a formula.
    """
    progress = cohort_progress(session, educator, cohort_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in progress.members:
        writer.writerow(
            [
                safe_cell(cell)
                for cell in (
                    progress.cohort.name,
                    row.user.display_name,
                    row.user.email,
                    row.user.role,
                    row.attempts,
                    row.finished,
                    row.good_endings,
                    len(progress.assigned),
                    row.assigned_completed,
                    row.last_activity.isoformat() if row.last_activity else "",
                    *("" if row.rates[s] is None else f"{row.rates[s]:.3f}" for s in SKILLS),
                )
            ]
        )
    audit.record(session, educator, "cohort.export", f"cohort:{progress.cohort.id}", ip=ip)
    session.commit()
    return buffer.getvalue()


# ----- case studies: annotated example consultations -------------------------------------------


@dataclass(frozen=True)
class CaseStudy:
    """A bundled PriMock57 consultation with the engine's analysis, for learners to study."""

    id: str
    title: str
    report: AnalysisReport

    @property
    def opportunities(self) -> int:
        """Number of empathic opportunities (patient cues) found."""
        return len(self.report.opportunities)


def _case_files(folder: Path) -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*.TextGrid")):
        groups.setdefault(path.stem.rsplit("_", 1)[0], []).append(path)
    return {stem: files for stem, files in groups.items() if len(files) > 1}


@cache
def case_studies(folder: Path | None = None) -> tuple[CaseStudy, ...]:
    """The case-study library: each bundled PriMock57 pair, merged and analysed (rules only).

    Rules only keeps the library identical on every machine and fast to build; it is built once
    per process. PriMock57 is CC BY 4.0 (Papadopoulos Korfiatis et al., 2022): mock consultations
    with actors, no real patient data.
    """
    from bedside.io import merge_conversations, read_conversations
    from bedside.services.demo import sample_dir

    studies = []
    for stem, files in _case_files(folder or sample_dir()).items():
        parts = [c for path in files for c in read_conversations(path)]
        conversation = merge_conversations(parts, conv_id=stem)
        day, _, number = stem.partition("_consultation")
        title = (
            f"PriMock57 {day.replace('day', 'day ')}, consultation {number.lstrip('0') or number}"
        )
        studies.append(CaseStudy(id=stem, title=title, report=analyse(conversation)))
    return tuple(studies)


def case_study(case_id: str) -> CaseStudy:
    """One case study by id.

    Raises:
        NotFound: no such case study.
    """
    for study in case_studies():
        if study.id == case_id:
            return study
    raise NotFound("no such case study")
