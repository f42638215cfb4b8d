"""Patient check-ins, messages and safety escalation: the use cases behind `/checkins` and `/care`.

Every submission that can raise a safety concern runs the one protocol of
`bedside.services.safety_routing.escalate`: the flag is committed first, then the check-in or
message with one urgent task per flag for an active clinician (care team, else the duty
clinician, else every active clinician). A database failure never becomes an error page: the
result says what was stored and the patient is shown crisis resources whenever a flag was raised
and anything failed. Safety flags cannot be deleted (database trigger); they are resolved by a
clinician, with an audit event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bedside.db.base import utcnow
from bedside.db.tables import User, UserRole
from bedside.db.tables_care import (
    CareTask,
    CheckIn,
    PatientMessage,
    PatientVoice,
    SafetyFlag,
)
from bedside.errors import NotFound, PermissionDenied, ScoringError
from bedside.instruments import (
    CrisisResources,
    Score,
    SocialNeedsResult,
    crisis_resources,
    get_instrument,
    score,
    screen_message,
    screen_social_needs,
)
from bedside.services import access, audit, safety_routing
from bedside.services.safety_routing import reconcile_tasks

__all__ = [
    "CHECKIN_INSTRUMENTS",
    "DISTRESS_THRESHOLD",
    "SOCIAL_NEEDS",
    "CheckInResult",
    "MessageResult",
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
    "safety_concerns",
    "save_voice",
    "score_of",
    "send_message",
    "submit_checkin",
    "submit_social_needs",
]

#: Instruments a patient can fill on the check-in page, in the order they are offered.
CHECKIN_INSTRUMENTS: tuple[str, ...] = ("phq9", "gad7", "who5", "phq2", "gad2")

#: Emotion-model probability of sadness or fear above which a message without safety phrases
#: still gets a (routine) task to reply the same day.
DISTRESS_THRESHOLD = 0.8

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


# ----- check-ins -----------------------------------------------------------------------------


def _require_patient(user: User) -> None:
    if user.user_role is not UserRole.PATIENT:
        raise PermissionDenied("check-ins are for patient accounts")


def _require_clinician(user: User) -> None:
    if user.user_role is not UserRole.CLINICIAN:
        raise PermissionDenied("this is for clinician accounts")


def _needs_crisis(outcome: safety_routing.FlagOutcome) -> CrisisResources | None:
    """Crisis resources for a risk flag, and for any flag whose protocol did not complete.

    A skipped safety item alone ("needs asking") gets a call from the care team, not the crisis
    page, unless something failed: then the patient is told and shown where help is.
    """
    if not outcome.raised:
        return None
    if not outcome.complete or any(not kind.endswith("_needs_asking") for kind in outcome.kinds):
        return crisis_resources()
    return None


def safety_concerns(result: Score) -> list[safety_routing.Concern]:
    """The concerns a scored questionnaire raises, from the safety items its definition marks.

    Example: PHQ-9 item 9 carries `safety: self_harm_risk`; an answer above 0 raises
    `self_harm_risk`, a skipped item 9 raises `item9_needs_asking` (never imputed, never "no risk").
    """
    concerns = []
    for index, item in enumerate(get_instrument(result.instrument).items):
        if item.safety is None or index >= len(result.answers):
            continue
        answer = result.answers[index]
        if answer is not None and answer <= 0:
            continue
        number = index + 1
        concerns.append(
            safety_routing.Concern(
                kind=item.safety if answer is not None else f"item{number}_needs_asking",
                source="checkin",
                detail={
                    "instrument": result.instrument,
                    "item": number,
                    f"item{number}": answer,
                    "total": result.total,
                },
            )
        )
    return concerns


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
    check-in has no total, and a skipped safety item raises an urgent "needs asking" task. A
    database failure never raises: `stored` is False and the page says so.

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

    def store(session: Session) -> safety_routing.StoredRecord:
        checkin = _store_checkin(session, patient, result, ip)
        return safety_routing.StoredRecord("checkin_id", checkin.id)

    outcome = safety_routing.escalate(session, patient, safety_concerns(result), store, ip=ip)
    return CheckInResult(
        score=result,
        checkin_id=outcome.record_id,
        flag_ids=outcome.flag_ids,
        crisis=_needs_crisis(outcome),
        stored=outcome.record_stored,
    )


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
    concerns = []
    if needs.domains.get("interpersonal_safety"):
        detail = {"instrument": SOCIAL_NEEDS, "safety_total": needs.interpersonal_safety_total}
        concerns.append(safety_routing.Concern("interpersonal_safety", "checkin", detail))

    def store(session: Session) -> safety_routing.StoredRecord:
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
        return safety_routing.StoredRecord("checkin_id", checkin.id)

    outcome = safety_routing.escalate(session, patient, concerns, store, ip=ip)
    return needs, CheckInResult(
        placeholder,
        outcome.record_id,
        outcome.flag_ids,
        _needs_crisis(outcome),
        stored=outcome.record_stored,
    )


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
    concerns = [
        safety_routing.Concern(f"message_{category}", "message", {"ruleset": screen.ruleset})
        for category in screen.categories
    ]
    distress = False
    if emotion_scores is not None and not concerns:
        emotions = emotion_scores(text)
        distress = (
            max(emotions.get("sadness", 0.0), emotions.get("fear", 0.0)) >= DISTRESS_THRESHOLD
        )

    def store(session: Session) -> safety_routing.StoredRecord:
        message = PatientMessage(
            organisation_id=patient.organisation_id,
            patient_id=patient.id,
            text=text,
            risk=bool(concerns),
            categories=",".join(screen.categories),
        )
        session.add(message)
        session.flush()
        audit.record(session, patient, "message.send", f"patient_message:{message.id}", ip=ip)
        if distress:
            route = safety_routing.route_for(session, patient)
            session.add(
                CareTask(
                    organisation_id=patient.organisation_id,
                    patient_id=patient.id,
                    assignee_id=route.assignee_id,
                    priority="routine",
                    title=f"Message from {patient.display_name} sounds distressed: reply today.",
                )
            )
        return safety_routing.StoredRecord("message_id", message.id)

    outcome = safety_routing.escalate(session, patient, concerns, store, ip=ip)
    return MessageResult(
        outcome.record_id,
        screen.categories,
        outcome.flag_ids,
        _needs_crisis(outcome),
        distress,
        stored=outcome.record_stored,
    )


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
    session: Session, patient: User, *, scored_only: bool = False
) -> Sequence[CheckIn]:
    """Every check-in of a patient, oldest first (`scored_only`: questionnaires, not social needs).

    Scoped by the patient's organisation too (issue 11: no row may cross tenants).
    """
    query = select(CheckIn).where(
        CheckIn.patient_id == patient.id, CheckIn.organisation_id == patient.organisation_id
    )
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
    """Patients this clinician may open: the rule lives in `bedside.services.access`."""
    return access.patients_in_care_of(clinician)


def patient_for_care(session: Session, clinician: User, patient_id: int) -> User:
    """A patient this clinician may open (on their team, routed to them, or break-glass)."""
    _require_clinician(clinician)
    patient = session.scalar(
        select(User).where(User.id == patient_id, _visible_patient_filter(clinician))
    )
    if patient is None:
        raise NotFound("no such patient in your care")
    return patient


def open_tasks(session: Session, clinician: User) -> Sequence[CareTask]:
    """Open tasks for this clinician: theirs, the whole team's, and any whose assignee is no
    longer an active clinician; urgent first, oldest first."""
    _require_clinician(clinician)
    return session.scalars(
        select(CareTask)
        .where(CareTask.status == "open", safety_routing.task_visible_to(clinician))
        .order_by((CareTask.priority != "urgent"), CareTask.created_at, CareTask.id)
    ).all()


def _flag_reaches(clinician: User) -> Any:
    """Flags this clinician must see: of patients they may see, routed to them, or with no task."""
    visible = select(User.id).where(_visible_patient_filter(clinician))
    routed = select(CareTask.flag_id).where(
        CareTask.flag_id.is_not(None), safety_routing.task_visible_to(clinician)
    )
    has_task = select(CareTask.flag_id).where(CareTask.flag_id.is_not(None))
    return and_(
        SafetyFlag.organisation_id == clinician.organisation_id,
        or_(
            SafetyFlag.patient_id.in_(visible),
            SafetyFlag.id.in_(routed),
            SafetyFlag.id.not_in(has_task),
        ),
    )


def open_flags(session: Session, clinician: User) -> Sequence[SafetyFlag]:
    """Open safety flags this clinician must see (see `_flag_reaches`), oldest first."""
    _require_clinician(clinician)
    return session.scalars(
        select(SafetyFlag)
        .where(SafetyFlag.status == "open", _flag_reaches(clinician))
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
        history = checkin_history(session, patient)
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
    task = session.scalar(
        select(CareTask).where(CareTask.id == task_id, safety_routing.task_visible_to(clinician))
    )
    if task is None:
        raise NotFound("no such task")
    task.status, task.done_by_id, task.done_at = "done", clinician.id, utcnow()
    audit.record(session, clinician, "task.done", f"care_task:{task.id}", ip=ip)
    session.commit()
    return task


def resolve_flag(
    session: Session, clinician: User, flag_id: int, *, ip: str | None = None
) -> SafetyFlag:
    """Resolve a safety flag after acting on it (audited; the flag itself is kept for ever)."""
    _require_clinician(clinician)
    flag = session.scalar(
        select(SafetyFlag).where(SafetyFlag.id == flag_id, _flag_reaches(clinician))
    )
    if flag is None:
        raise NotFound("no such flag")
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
