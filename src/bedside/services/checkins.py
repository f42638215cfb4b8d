"""Patient check-ins, messages and safety escalation: the use cases behind `/checkins` and `/care`.

Safety first, in this order, every time a check-in or message raises a concern:

1. the `SafetyFlag` and its audit event are committed **in their own transaction, before anything
   else happens** (before the check-in or message is stored, before any task is created);
2. the check-in (or message), the urgent `CareTask` for the responsible clinician and their audit
   events are committed together;
3. if step 2 fails, the task alone is retried; if that fails too, the flag is still stored and
   open, the care team's flag list shows it, and `reconcile_tasks` (run on every care-team page
   load) creates the missing task. The failure is logged (ids only, never text).

The patient is shown crisis resources whatever happens after step 1. Safety flags cannot be
deleted (database trigger); they are resolved by a clinician, with an audit event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bedside.db.base import utcnow
from bedside.db.tables import Encounter, User, UserRole
from bedside.db.tables_care import (
    CareAssignment,
    CareTask,
    CheckIn,
    PatientMessage,
    PatientVoice,
    SafetyFlag,
)
from bedside.errors import NotFound, PermissionDenied, ScoringError
from bedside.instruments import (
    CrisisResources,
    SafetyStatus,
    Score,
    SocialNeedsResult,
    crisis_resources,
    get_instrument,
    score,
    screen_message,
    screen_social_needs,
)
from bedside.services import audit

__all__ = [
    "CHECKIN_INSTRUMENTS",
    "DISTRESS_THRESHOLD",
    "SOCIAL_NEEDS",
    "CheckInResult",
    "MessageResult",
    "assign_patient",
    "care_patients",
    "checkin_history",
    "complete_task",
    "latest_social_needs",
    "latest_voice",
    "open_flags",
    "open_tasks",
    "patient_for_care",
    "patient_messages",
    "patient_names",
    "reconcile_tasks",
    "resolve_flag",
    "responsible_clinician",
    "save_voice",
    "score_of",
    "send_message",
    "submit_checkin",
    "submit_social_needs",
]

log = logging.getLogger(__name__)

#: Instruments a patient can fill on the check-in page, in the order they are offered.
CHECKIN_INSTRUMENTS: tuple[str, ...] = ("phq9", "gad7", "who5", "phq2", "gad2")

#: Emotion-model probability of sadness or fear above which a message without safety phrases
#: still gets a (routine) task to reply the same day.
DISTRESS_THRESHOLD = 0.8

_FLAG_TASKS = {
    "self_harm_risk": "URGENT: PHQ-9 item 9 above 0 (thoughts of self-harm). Contact {name} today and assess risk.",
    "item9_needs_asking": "URGENT: PHQ-9 item 9 (thoughts of self-harm) was not answered by {name}. Ask it directly.",
    "message_self_harm": "URGENT: message from {name} suggests risk of suicide or self-harm. Contact them now.",
    "message_harm_from_others": "URGENT: message from {name} suggests they may be harmed by someone. Contact them privately.",
    "message_harm_to_others": "URGENT: message from {name} suggests risk of harm to others. Assess now.",
    "interpersonal_safety": "URGENT: {name} reported someone hurts, threatens or insults them (AHC HRSN "
    "safety score above 10). Speak with them privately.",
}

#: The social-needs screen is stored as a check-in under this name.
SOCIAL_NEEDS = "ahc_hrsn"


@dataclass(frozen=True)
class CheckInResult:
    """What the patient's submission led to. `crisis` is set whenever a safety flag was raised."""

    score: Score
    checkin_id: int | None
    flag_ids: tuple[int, ...] = ()
    crisis: CrisisResources | None = None
    stored: bool = True


@dataclass(frozen=True)
class MessageResult:
    """What a patient's message led to."""

    message_id: int | None
    categories: tuple[str, ...] = ()
    flag_ids: tuple[int, ...] = ()
    crisis: CrisisResources | None = None
    distress: bool = False
    stored: bool = True


@dataclass
class CarePatient:
    """A patient on the care team's list, with their latest score per instrument."""

    user: User
    latest: dict[str, CheckIn] = field(default_factory=dict)
    open_flags: int = 0


# ----- who is responsible --------------------------------------------------------------------


def responsible_clinician(session: Session, patient: User) -> User | None:
    """The assigned clinician, else the owner of the patient's latest encounter, else None.

    None means "the whole care team of the organisation": the task is unassigned and every
    clinician of the organisation sees it, so it cannot fall between two chairs.
    """
    assignment = session.get(CareAssignment, patient.id)
    if assignment is not None:
        return session.get(User, assignment.clinician_id)
    owner_id = session.scalar(
        select(Encounter.owner_id)
        .where(Encounter.patient_id == patient.id)
        .order_by(Encounter.created_at.desc())
        .limit(1)
    )
    return session.get(User, owner_id) if owner_id is not None else None


def assign_patient(
    session: Session, clinician: User, patient_email: str, *, ip: str | None = None
) -> User:
    """Make `clinician` responsible for the patient with this e-mail (same organisation)."""
    _require_clinician(clinician)
    patient = session.scalar(select(User).where(User.email == patient_email.strip().lower()))
    if (
        patient is None
        or patient.organisation_id != clinician.organisation_id
        or patient.role != UserRole.PATIENT
    ):
        raise NotFound(f"no patient account {patient_email.strip()!r} in your organisation")
    assignment = session.get(CareAssignment, patient.id)
    if assignment is None:
        session.add(CareAssignment(patient_id=patient.id, clinician_id=clinician.id))
    else:
        assignment.clinician_id = clinician.id
    audit.record(session, clinician, "care.assign", f"user:{patient.id}", ip=ip)
    session.commit()
    return patient


# ----- safety flags: stored first ------------------------------------------------------------


def _store_flags(
    session: Session,
    patient: User,
    kinds: Sequence[str],
    *,
    source: str,
    detail: dict[str, Any],
    ip: str | None,
) -> list[SafetyFlag]:
    """Step 1: commit the flags and their audit events before anything else."""
    flags = [
        SafetyFlag(
            organisation_id=patient.organisation_id,
            patient_id=patient.id,
            kind=kind,
            source=source,
            detail=detail,
        )
        for kind in kinds
    ]
    session.add_all(flags)
    session.flush()
    for flag in flags:
        audit.record(
            session, patient, "safety.flag", f"safety_flag:{flag.id}", ip=ip, detail=flag.kind
        )
    session.commit()
    return flags


def _flag_not_stored(session: Session, patient: User, kinds: Sequence[str]) -> None:
    """Step 1 itself failed (the database is down): never silent. Log at CRITICAL for the
    operators' alerting and let the caller show the patient crisis resources and say that
    nothing was saved, so they can seek help directly."""
    session.rollback()
    log.critical(
        "SAFETY FLAG NOT STORED for patient %s (%s): the patient was shown crisis resources",
        patient.id,
        ",".join(kinds),
        exc_info=True,
    )


def _task_for(session: Session, patient: User, flag: SafetyFlag) -> CareTask:
    clinician = responsible_clinician(session, patient)
    template = _FLAG_TASKS.get(flag.kind, "URGENT: safety concern for {name}. Contact them today.")
    task = CareTask(
        organisation_id=patient.organisation_id,
        patient_id=patient.id,
        assignee_id=clinician.id if clinician is not None else None,
        flag_id=flag.id,
        priority="urgent",
        title=template.format(name=patient.display_name),
    )
    session.add(task)
    session.flush()
    audit.record(session, None, "task.create", f"care_task:{task.id}", detail=f"flag:{flag.id}")
    return task


def _tasks_after_failure(session: Session, patient: User, flags: Sequence[SafetyFlag]) -> None:
    """Step 3: the record could not be stored; make sure each flag still has its task."""
    session.rollback()
    try:
        for flag in flags:
            if session.scalar(select(CareTask.id).where(CareTask.flag_id == flag.id)) is None:
                _task_for(session, patient, flag)
        session.commit()
    except Exception:
        session.rollback()
        log.exception(
            "could not create tasks for safety flags %s; they stay open for reconcile",
            [flag.id for flag in flags],
        )


def reconcile_tasks(session: Session, organisation_id: int) -> int:
    """Create the task of every open flag that has none (after a failure); returns how many."""
    orphans = session.scalars(
        select(SafetyFlag)
        .outerjoin(CareTask, CareTask.flag_id == SafetyFlag.id)
        .where(
            SafetyFlag.organisation_id == organisation_id,
            SafetyFlag.status == "open",
            CareTask.id.is_(None),
        )
    ).all()
    for flag in orphans:
        patient = session.get(User, flag.patient_id)
        if patient is not None:
            _task_for(session, patient, flag)
    if orphans:
        session.commit()
    return len(orphans)


# ----- check-ins -----------------------------------------------------------------------------


def _require_patient(user: User) -> None:
    if user.user_role is not UserRole.PATIENT:
        raise PermissionDenied("check-ins are for patient accounts")


def _require_clinician(user: User) -> None:
    if user.user_role is not UserRole.CLINICIAN:
        raise PermissionDenied("this is for clinician accounts")


def _safety_kinds(result: Score) -> list[str]:
    if result.safety is SafetyStatus.RISK:
        return ["self_harm_risk"]
    if result.safety is SafetyStatus.NEEDS_ASKING:
        return ["item9_needs_asking"]
    return []


def _store_checkin(session: Session, patient: User, result: Score, ip: str | None) -> CheckIn:
    checkin = CheckIn(
        organisation_id=patient.organisation_id,
        patient_id=patient.id,
        instrument=result.instrument,
        version=result.version,
        answers={"answers": list(result.answers)},
        total=result.total,
        band=result.band,
        positive=result.positive,
        percentage=result.percentage,
        flags=",".join(result.flags),
        safety=result.safety.value if result.safety is not None else None,
    )
    session.add(checkin)
    session.flush()
    audit.record(
        session, patient, "checkin.submit", f"checkin:{checkin.id}", ip=ip, detail=result.instrument
    )
    return checkin


def submit_checkin(
    session: Session,
    patient: User,
    instrument_id: str,
    answers: Sequence[int | None],
    *,
    ip: str | None = None,
) -> CheckInResult:
    """Score and store a patient's questionnaire; escalate a safety concern first.

    Unanswered items are allowed (a patient may skip a question) and are never imputed: the
    check-in has no total, and a skipped PHQ-9 item 9 raises an urgent "needs asking" task.

    Raises:
        PermissionDenied: the caller is not a patient.
        ScoringError: an unknown instrument or an out-of-range answer.
    """
    _require_patient(patient)
    if instrument_id not in CHECKIN_INSTRUMENTS:
        raise ScoringError(
            f"unknown check-in {instrument_id!r}; expected one of {', '.join(CHECKIN_INSTRUMENTS)}"
        )
    result = score(instrument_id, answers, allow_missing=True)
    kinds = _safety_kinds(result)
    flags: list[SafetyFlag] = []
    if kinds:
        detail = {
            "instrument": result.instrument,
            "item9": result.answers[8],
            "total": result.total,
        }
        try:
            flags = _store_flags(session, patient, kinds, source="checkin", detail=detail, ip=ip)
        except Exception:
            _flag_not_stored(session, patient, kinds)
            return CheckInResult(
                score=result, checkin_id=None, crisis=crisis_resources(), stored=False
            )
    crisis = crisis_resources() if any(flag.kind == "self_harm_risk" for flag in flags) else None
    flag_ids = tuple(flag.id for flag in flags)
    try:
        checkin = _store_checkin(session, patient, result, ip)
        for flag in flags:
            flag.detail = {**flag.detail, "checkin_id": checkin.id}
            _task_for(session, patient, flag)
        session.commit()
    except Exception:
        log.exception(
            "check-in of patient %s could not be stored after flags %s", patient.id, list(flag_ids)
        )
        if not flags:
            raise
        _tasks_after_failure(session, patient, flags)
        return CheckInResult(
            score=result, checkin_id=None, flag_ids=flag_ids, crisis=crisis, stored=False
        )
    return CheckInResult(score=result, checkin_id=checkin.id, flag_ids=flag_ids, crisis=crisis)


def submit_social_needs(
    session: Session,
    patient: User,
    answers: Mapping[str, str | Sequence[str]],
    *,
    ip: str | None = None,
) -> tuple[SocialNeedsResult, CheckInResult]:
    """Screen and store the AHC HRSN answers; a positive interpersonal-safety screen escalates first.

    Stored as a check-in named `ahc_hrsn`: `total` is the interpersonal-safety sum (None unless all
    four items were answered), `flags` the positive domains.
    """
    _require_patient(patient)
    needs = screen_social_needs(answers)
    placeholder = score("phq2", [0, 0])  # CheckInResult needs a Score; social needs have none
    flags: list[SafetyFlag] = []
    if needs.domains.get("interpersonal_safety"):
        detail = {"instrument": SOCIAL_NEEDS, "safety_total": needs.interpersonal_safety_total}
        try:
            flags = _store_flags(
                session, patient, ["interpersonal_safety"], source="checkin", detail=detail, ip=ip
            )
        except Exception:
            _flag_not_stored(session, patient, ["interpersonal_safety"])
            return needs, CheckInResult(placeholder, None, crisis=crisis_resources(), stored=False)
    flag_ids = tuple(flag.id for flag in flags)
    crisis = crisis_resources() if flags else None
    try:
        checkin = CheckIn(
            organisation_id=patient.organisation_id,
            patient_id=patient.id,
            instrument=SOCIAL_NEEDS,
            version=1,
            answers={
                "answers": {
                    key: list(value) if not isinstance(value, str) else value
                    for key, value in answers.items()
                }
            },
            total=needs.interpersonal_safety_total,
            positive=bool(needs.positive_domains),
            flags=",".join(needs.positive_domains),
        )
        session.add(checkin)
        session.flush()
        audit.record(
            session, patient, "checkin.submit", f"checkin:{checkin.id}", ip=ip, detail=SOCIAL_NEEDS
        )
        for flag in flags:
            flag.detail = {**flag.detail, "checkin_id": checkin.id}
            _task_for(session, patient, flag)
        session.commit()
    except Exception:
        log.exception(
            "social needs of patient %s could not be stored after flags %s",
            patient.id,
            list(flag_ids),
        )
        if not flags:
            raise
        _tasks_after_failure(session, patient, flags)
        return needs, CheckInResult(placeholder, None, flag_ids, crisis, stored=False)
    return needs, CheckInResult(placeholder, checkin.id, flag_ids, crisis)


def latest_social_needs(session: Session, patient_id: int) -> SocialNeedsResult | None:
    """The latest AHC HRSN screen of a patient, re-screened from its stored answers."""
    checkin = session.scalar(
        select(CheckIn)
        .where(CheckIn.patient_id == patient_id, CheckIn.instrument == SOCIAL_NEEDS)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
        .limit(1)
    )
    return screen_social_needs(checkin.answers["answers"]) if checkin is not None else None


def send_message(
    session: Session,
    patient: User,
    text: str,
    *,
    emotion_scores: Callable[[str], Mapping[str, float]] | None = None,
    ip: str | None = None,
) -> MessageResult:
    """Store a patient's message to the care team; risk phrases escalate first, like check-ins.

    Args:
        emotion_scores: optional emotion model (text -> probabilities of the Ekman emotions). A
            message with sadness or fear above `DISTRESS_THRESHOLD` and no safety phrase gets a
            routine same-day task; safety phrases always escalate as urgent.
    """
    _require_patient(patient)
    text = text.strip()
    if not text:
        raise ScoringError("the message is empty; write a few words for your care team")
    if len(text) > 4000:
        raise ScoringError("the message is too long (4,000 characters at most)")
    screen = screen_message(text)
    kinds = [f"message_{category}" for category in screen.categories]
    flags: list[SafetyFlag] = []
    if kinds:
        try:
            flags = _store_flags(
                session, patient, kinds, source="message", detail={"ruleset": screen.ruleset}, ip=ip
            )
        except Exception:
            _flag_not_stored(session, patient, kinds)
            return MessageResult(None, screen.categories, (), crisis_resources(), stored=False)
    distress = False
    if emotion_scores is not None and not flags:
        emotions = emotion_scores(text)
        distress = (
            max(emotions.get("sadness", 0.0), emotions.get("fear", 0.0)) >= DISTRESS_THRESHOLD
        )
    flag_ids = tuple(flag.id for flag in flags)
    crisis = crisis_resources() if flags else None
    try:
        message = PatientMessage(
            organisation_id=patient.organisation_id,
            patient_id=patient.id,
            text=text,
            risk=bool(flags),
            categories=",".join(screen.categories),
        )
        session.add(message)
        session.flush()
        audit.record(session, patient, "message.send", f"patient_message:{message.id}", ip=ip)
        for flag in flags:
            flag.detail = {**flag.detail, "message_id": message.id}
            _task_for(session, patient, flag)
        if distress:
            clinician = responsible_clinician(session, patient)
            session.add(
                CareTask(
                    organisation_id=patient.organisation_id,
                    patient_id=patient.id,
                    assignee_id=clinician.id if clinician else None,
                    priority="routine",
                    title=f"Message from {patient.display_name} sounds distressed: reply today.",
                )
            )
        session.commit()
    except Exception:
        log.exception(
            "message of patient %s could not be stored after flags %s", patient.id, list(flag_ids)
        )
        if not flags:
            raise
        _tasks_after_failure(session, patient, flags)
        return MessageResult(None, screen.categories, flag_ids, crisis, distress, stored=False)
    return MessageResult(message.id, screen.categories, flag_ids, crisis, distress)


def save_voice(
    session: Session,
    patient: User,
    what_matters: str,
    goals: Sequence[str],
    *,
    ip: str | None = None,
) -> PatientVoice:
    """Keep what matters to the patient and their goals, in their own words."""
    _require_patient(patient)
    cleaned = [goal.strip()[:500] for goal in goals if goal.strip()][:5]
    voice = PatientVoice(
        patient_id=patient.id, what_matters=what_matters.strip()[:2000], goals={"goals": cleaned}
    )
    session.add(voice)
    session.flush()
    audit.record(session, patient, "voice.save", f"patient_voice:{voice.id}", ip=ip)
    session.commit()
    return voice


# ----- reading -------------------------------------------------------------------------------


def score_of(checkin: CheckIn) -> Score:
    """The stored check-in as a `Score` again (rescored from its answers: one source of truth)."""
    return score(checkin.instrument, checkin.answers["answers"], allow_missing=True)


def checkin_history(
    session: Session, patient_id: int, *, scored_only: bool = False
) -> Sequence[CheckIn]:
    """Every check-in of a patient, oldest first (`scored_only`: questionnaires, not social needs)."""
    query = select(CheckIn).where(CheckIn.patient_id == patient_id)
    if scored_only:
        query = query.where(CheckIn.instrument != SOCIAL_NEEDS)
    return session.scalars(query.order_by(CheckIn.created_at, CheckIn.id)).all()


def latest_voice(session: Session, patient_id: int) -> PatientVoice | None:
    """The latest "what matters" and goals."""
    return session.scalar(
        select(PatientVoice)
        .where(PatientVoice.patient_id == patient_id)
        .order_by(PatientVoice.id.desc())
        .limit(1)
    )


def patient_messages(
    session: Session, patient_id: int, *, limit: int = 50
) -> Sequence[PatientMessage]:
    """A patient's messages, newest first."""
    return session.scalars(
        select(PatientMessage)
        .where(PatientMessage.patient_id == patient_id)
        .order_by(PatientMessage.created_at.desc(), PatientMessage.id.desc())
        .limit(limit)
    ).all()


def _visible_patient_filter(clinician: User) -> Any:
    """Patients assigned to this clinician, or assigned to nobody, in the same organisation."""
    assigned_elsewhere = select(CareAssignment.patient_id).where(
        CareAssignment.clinician_id != clinician.id
    )
    return and_(
        User.organisation_id == clinician.organisation_id,
        User.role == UserRole.PATIENT.value,
        User.id.not_in(assigned_elsewhere),
    )


def patient_for_care(session: Session, clinician: User, patient_id: int) -> User:
    """A patient this clinician may see (assigned to them, or to nobody); NotFound otherwise."""
    _require_clinician(clinician)
    patient = session.scalar(
        select(User).where(User.id == patient_id, _visible_patient_filter(clinician))
    )
    if patient is None:
        raise NotFound("no such patient in your care")
    return patient


def open_tasks(session: Session, clinician: User) -> Sequence[CareTask]:
    """Open tasks for this clinician: theirs and the unassigned ones; urgent first, oldest first."""
    _require_clinician(clinician)
    return session.scalars(
        select(CareTask)
        .where(
            CareTask.organisation_id == clinician.organisation_id,
            CareTask.status == "open",
            or_(CareTask.assignee_id == clinician.id, CareTask.assignee_id.is_(None)),
        )
        .order_by((CareTask.priority != "urgent"), CareTask.created_at, CareTask.id)
    ).all()


def open_flags(session: Session, clinician: User) -> Sequence[SafetyFlag]:
    """Open safety flags of the patients this clinician may see, oldest first."""
    _require_clinician(clinician)
    visible = select(User.id).where(_visible_patient_filter(clinician))
    return session.scalars(
        select(SafetyFlag)
        .where(SafetyFlag.status == "open", SafetyFlag.patient_id.in_(visible))
        .order_by(SafetyFlag.created_at, SafetyFlag.id)
    ).all()


def care_patients(session: Session, clinician: User) -> list[CarePatient]:
    """The clinician's patients who have checked in, with their latest score per instrument."""
    _require_clinician(clinician)
    patients = session.scalars(
        select(User).where(_visible_patient_filter(clinician)).order_by(User.display_name)
    ).all()
    found: list[CarePatient] = []
    for patient in patients:
        history = checkin_history(session, patient.id)
        if not history:
            continue
        entry = CarePatient(user=patient)
        for checkin in history:
            entry.latest[checkin.instrument] = checkin
        entry.open_flags = len(
            session.scalars(
                select(SafetyFlag.id).where(
                    SafetyFlag.patient_id == patient.id, SafetyFlag.status == "open"
                )
            ).all()
        )
        found.append(entry)
    found.sort(key=lambda entry: -entry.open_flags)
    return found


def patient_names(session: Session, patient_ids: Sequence[int]) -> dict[int, str]:
    """Display names of these patients (for the care team's lists)."""
    if not patient_ids:
        return {}
    found = session.execute(select(User.id, User.display_name).where(User.id.in_(set(patient_ids))))
    return dict(found.tuples().all())


def complete_task(
    session: Session, clinician: User, task_id: int, *, ip: str | None = None
) -> CareTask:
    """Mark a task done (audited)."""
    _require_clinician(clinician)
    task = session.get(CareTask, task_id)
    if (
        task is None
        or task.organisation_id != clinician.organisation_id
        or task.assignee_id not in (None, clinician.id)
    ):
        raise NotFound("no such task")
    task.status, task.done_by_id, task.done_at = "done", clinician.id, utcnow()
    audit.record(session, clinician, "task.done", f"care_task:{task.id}", ip=ip)
    session.commit()
    return task


def resolve_flag(
    session: Session, clinician: User, flag_id: int, *, ip: str | None = None
) -> SafetyFlag:
    """Resolve a safety flag after acting on it (audited; the flag itself is kept for ever)."""
    flag = session.get(SafetyFlag, flag_id)
    if flag is None:
        raise NotFound("no such flag")
    patient_for_care(session, clinician, flag.patient_id)
    flag.status, flag.resolved_by_id, flag.resolved_at = "resolved", clinician.id, utcnow()
    audit.record(session, clinician, "safety.resolve", f"safety_flag:{flag.id}", ip=ip)
    session.commit()
    return flag


def instrument_title(instrument_id: str) -> str:
    """Short display title of a check-in instrument."""
    return get_instrument(instrument_id).short_title


def when_text(moment: datetime) -> str:
    """Compact date for charts."""
    return moment.strftime("%d %b")
