"""Safety routing: every safety flag is stored first and its urgent task always reaches a clinician.

The one protocol, used by check-ins, messages, the social-needs screen and the risk turns of
uploaded transcripts (`encounters.store_and_route`), in this order every time:

1. the `SafetyFlag` rows and their audit events are committed **in their own transaction, before
   anything else** (retried once: a transient fault must not cost the flag);
2. the patient's record (check-in, message), one urgent `CareTask` per flag, the task's routing
   and the audit events are committed together (retried once: the flag is already safe, and a
   transient fault should not cost the patient's words either);
3. if step 2 fails twice, the tasks alone are retried; if that fails too, the flags are stored and open,
   every active clinician sees a flag without a task, and `reconcile_tasks` (run on every care-team
   page load) creates the missing task.

A task goes to an active clinician of the patient's care team, else the organisation's duty
clinician (an active clinician chosen by an admin), else every active clinician of the
organisation (`assignee_id` None). Never to a learner, educator, admin, researcher or a disabled
account: disabling a clinician re-routes their open tasks by the same rule, and a task whose
assignee is no longer an active clinician is shown to every clinician until it is re-routed.

Failures never reach the patient as an error page: the caller gets a `FlagOutcome` saying what
was stored, and shows crisis resources whenever a flag was raised and anything failed. Failures
are logged with ids only (never answers, message text or names), and a flag that could not be
stored at all is logged at CRITICAL for the operators' alerting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, inspect, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bedside.db.base import utcnow
from bedside.db.tables import User, UserRole
from bedside.db.tables_care import CareTask, SafetyFlag
from bedside.db.tables_safety import DutyClinician, TaskRouting
from bedside.errors import NotFound, PermissionDenied, ScoringError
from bedside.instruments import get_instrument
from bedside.services import audit
from bedside.services.care_team import care_team

__all__ = [
    "Concern",
    "FlagOutcome",
    "Route",
    "RouteRule",
    "StoredRecord",
    "assignee_is_gone",
    "duty_clinician",
    "escalate",
    "raise_flag",
    "reassign_from",
    "reconcile_tasks",
    "reroute_patient",
    "route_for",
    "routing_history",
    "set_duty_clinician",
    "task_visible_to",
]

log = logging.getLogger(__name__)

_TASK_TITLES = {
    "self_harm_risk": "URGENT: {instrument} item {item} above 0 (thoughts of self-harm). Contact {name} "
    "today and assess risk.",
    "needs_asking": "URGENT: {instrument} item {item} (thoughts of self-harm) was not answered by "
    "{name}. Ask it directly.",
    "message_self_harm": "URGENT: message from {name} suggests risk of suicide or self-harm. Contact "
    "them now.",
    "message_harm_from_others": "URGENT: message from {name} suggests they may be harmed by someone. "
    "Contact them privately.",
    "message_harm_to_others": "URGENT: message from {name} suggests risk of harm to others. Assess now.",
    "transcript_risk": "URGENT: a consultation transcript with {name} mentions suicide, self-harm, "
    "harm or a safeguarding concern. Read the flagged turns and contact them today.",
    "interpersonal_safety": "URGENT: {name} reported someone hurts, threatens or insults them (AHC "
    "HRSN safety score above 10). Speak with them privately.",
}
_DEFAULT_TITLE = "URGENT: safety concern for {name} ({kind}). Contact them today."


class RouteRule(StrEnum):
    """Which rule chose a task's assignee, in the order they are tried."""

    CARE_TEAM = "care_team"
    DUTY = "duty"
    ALL_CLINICIANS = "all_clinicians"
    #: The organisation has no active clinician at all: the task waits, unassigned, and the
    #: failure is logged at CRITICAL. The first clinician enabled sees it.
    NOBODY = "nobody"


@dataclass(frozen=True)
class Route:
    """Where a task goes: one clinician, or (`assignee_id` None) every active clinician."""

    assignee_id: int | None
    rule: RouteRule


@dataclass(frozen=True)
class Concern:
    """One safety concern to raise: `kind` names it (`self_harm_risk`), `source` where it came from.

    `detail` holds codes and numbers only (the instrument, the item's value, a ruleset name),
    never the patient's words: it is stored on the flag and may be shown to the care team.
    """

    kind: str
    source: str
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class StoredRecord:
    """What step 2 stored for the patient: the record's id under `key` (`checkin_id`)."""

    key: str
    id: int


@dataclass(frozen=True)
class FlagOutcome:
    """What the protocol managed to store; the caller turns it into the patient's page.

    Attributes:
        kinds: the concerns raised, stored or not.
        flag_ids: the flags stored (empty when step 1 failed or nothing was raised).
        flag_stored: False when a concern was raised and its flag could not be stored.
        record_id: the check-in or message id, None when it could not be stored.
        record_stored: False when the patient's answers or message were lost.
        routes: where each flag's task went (one per flag); empty while tasks are pending.
        tasks_pending: flags are stored but their tasks wait for `reconcile_tasks`.
    """

    kinds: tuple[str, ...] = ()
    flag_ids: tuple[int, ...] = ()
    flag_stored: bool = True
    record_id: int | None = None
    record_stored: bool = True
    routes: tuple[Route, ...] = ()
    tasks_pending: bool = False

    @property
    def raised(self) -> bool:
        """Whether any concern was raised (stored or not)."""
        return bool(self.kinds)

    @property
    def complete(self) -> bool:
        """Whether every step succeeded."""
        return self.flag_stored and self.record_stored and not self.tasks_pending


@dataclass(frozen=True)
class _Patient:
    """The patient's ids, read once: after a failed flush the ORM object may be unreadable.

    `loaded` keeps what the account had loaded, to put back after each rollback.
    """

    id: int
    organisation_id: int
    loaded: tuple[tuple[Any, dict[str, Any]], ...] = field(default=(), compare=False, repr=False)


# ----- routing --------------------------------------------------------------------------------


def _active_clinician(session: Session, user_id: int | None, organisation_id: int) -> User | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if (
        user is None
        or not user.is_active
        or user.role != UserRole.CLINICIAN.value
        or user.organisation_id != organisation_id
    ):
        return None
    return user


def duty_clinician(session: Session, organisation_id: int) -> User | None:
    """The organisation's duty clinician, if one is set and still an active clinician."""
    duty = session.get(DutyClinician, organisation_id)
    return _active_clinician(session, duty.clinician_id if duty else None, organisation_id)


def _has_active_clinician(session: Session, organisation_id: int) -> bool:
    return (
        session.scalar(
            select(
                exists().where(
                    User.organisation_id == organisation_id,
                    User.role == UserRole.CLINICIAN.value,
                    User.is_active.is_(True),
                )
            )
        )
        is True
    )


def route_for(session: Session, patient: User) -> Route:
    """Who takes this patient's urgent task: care team, else duty clinician, else everyone.

    Only active clinicians of the patient's organisation are ever chosen; the owner of an
    encounter about the patient (who may be a learner) plays no part.
    """
    team = care_team(session, patient)
    if team:
        return Route(team[0].id, RouteRule.CARE_TEAM)
    duty = duty_clinician(session, patient.organisation_id)
    if duty is not None:
        return Route(duty.id, RouteRule.DUTY)
    if _has_active_clinician(session, patient.organisation_id):
        return Route(None, RouteRule.ALL_CLINICIANS)
    return Route(None, RouteRule.NOBODY)


def set_duty_clinician(
    session: Session, admin: User, clinician_id: int, *, ip: str | None = None
) -> User:
    """An admin names the duty clinician of their organisation (audited, commits).

    Raises:
        PermissionDenied: the caller is not an admin.
        NotFound: no active clinician with this id in the admin's organisation.
    """
    if admin.user_role is not UserRole.ADMIN:
        raise PermissionDenied("only an admin can set the duty clinician")
    clinician = _active_clinician(session, clinician_id, admin.organisation_id)
    if clinician is None:
        raise NotFound(f"no active clinician {clinician_id} in your organisation")
    duty = session.get(DutyClinician, admin.organisation_id)
    if duty is None:
        session.add(
            DutyClinician(
                organisation_id=admin.organisation_id, clinician_id=clinician.id, set_by_id=admin.id
            )
        )
    else:
        duty.clinician_id, duty.set_by_id, duty.set_at = clinician.id, admin.id, utcnow()
    audit.record(session, admin, "safety.duty_set", f"user:{clinician.id}", ip=ip)
    session.commit()
    return clinician


def assignee_is_gone() -> ColumnElement[bool]:
    """SQL: the task's assignee is no longer an active clinician of the task's organisation."""
    still_there = exists().where(
        User.id == CareTask.assignee_id,
        User.organisation_id == CareTask.organisation_id,
        User.role == UserRole.CLINICIAN.value,
        User.is_active.is_(True),
    )
    return and_(CareTask.assignee_id.is_not(None), ~still_there)


def task_visible_to(clinician: User) -> ColumnElement[bool]:
    """SQL: a task this clinician must see (theirs, everyone's, or one whose assignee has gone)."""
    return and_(
        CareTask.organisation_id == clinician.organisation_id,
        or_(
            CareTask.assignee_id == clinician.id,
            CareTask.assignee_id.is_(None),
            assignee_is_gone(),
        ),
    )


def _record_route(
    session: Session,
    task: CareTask,
    route: Route,
    reason: str,
    *,
    previous: int | None = None,
    actor: User | None = None,
) -> None:
    """Keep the assignment in the task's routing history and the audit trail."""
    session.add(
        TaskRouting(
            task_id=task.id,
            assignee_id=route.assignee_id,
            previous_assignee_id=previous,
            route=route.rule.value,
            reason=reason,
        )
    )
    audit.record(
        session,
        actor,
        "task.route" if reason == "flag" else "task.reassign",
        f"care_task:{task.id}",
        detail=f"{route.rule.value}:{route.assignee_id or 'all'}",
    )
    if route.rule is RouteRule.NOBODY:
        log.critical(
            "URGENT TASK %s HAS NO ACTIVE CLINICIAN in organisation %s: enable or add a clinician",
            task.id,
            task.organisation_id,
        )


def _reassign(
    session: Session, task: CareTask, patient: User, reason: str, *, actor: User | None = None
) -> None:
    route = route_for(session, patient)
    previous, task.assignee_id = task.assignee_id, route.assignee_id
    _record_route(session, task, route, reason, previous=previous, actor=actor)


def routing_history(session: Session, task_id: int) -> Sequence[TaskRouting]:
    """Every assignment of a task, first to last."""
    return session.scalars(
        select(TaskRouting).where(TaskRouting.task_id == task_id).order_by(TaskRouting.id)
    ).all()


def reassign_from(
    session: Session, clinician: User, *, actor: User | None, ip: str | None = None
) -> int:
    """Re-route the open tasks of a clinician who is being disabled (does not commit).

    Called by `accounts.set_active` inside the disabling transaction, after `is_active` is set,
    so `care_team` no longer counts them; returns how many tasks moved.
    """
    session.flush()
    tasks = session.scalars(
        select(CareTask).where(CareTask.assignee_id == clinician.id, CareTask.status == "open")
    ).all()
    for task in tasks:
        patient = session.get(User, task.patient_id)
        if patient is not None:
            _reassign(session, task, patient, "clinician_disabled", actor=actor)
    if tasks:
        audit.record(
            session,
            actor,
            "safety.reassign",
            f"user:{clinician.id}",
            ip=ip,
            detail=f"{len(tasks)} tasks",
        )
    return len(tasks)


def reroute_patient(
    session: Session,
    patient: User,
    *,
    actor: User | None,
    reason: str = "care_team_changed",
    ip: str | None = None,
) -> int:
    """Re-route the patient's open tasks held by someone routing would no longer choose.

    Called when the care team changes (a clinician taken off it): their tasks for this patient
    move to the team that remains, else the duty clinician, else everyone. Tasks for the whole
    team stay as they are. Does not commit; returns how many tasks moved.
    """
    session.flush()
    team = {member.id for member in care_team(session, patient)}
    duty = duty_clinician(session, patient.organisation_id)
    keep = team or ({duty.id} if duty is not None else set())
    tasks = session.scalars(
        select(CareTask).where(
            CareTask.patient_id == patient.id,
            CareTask.status == "open",
            CareTask.assignee_id.is_not(None),
        )
    ).all()
    moved = [task for task in tasks if task.assignee_id not in keep]
    for task in moved:
        _reassign(session, task, patient, reason, actor=actor)
    if moved:
        audit.record(
            session,
            actor,
            "safety.reassign",
            f"user:{patient.id}",
            ip=ip,
            detail=f"{len(moved)} tasks",
        )
    return len(moved)


# ----- the protocol ---------------------------------------------------------------------------


def _title(kind: str, detail: Mapping[str, Any], name: str) -> str:
    template = _TASK_TITLES.get(kind)
    if template is None and kind.endswith("_needs_asking"):
        template = _TASK_TITLES["needs_asking"]
    values = {
        "name": name,
        "kind": kind,
        "instrument": _instrument_title(detail.get("instrument")),
        "item": detail.get("item", "?"),
    }
    return (template or _DEFAULT_TITLE).format(**values)[:300]


def _instrument_title(instrument_id: Any) -> str:
    try:
        return get_instrument(str(instrument_id)).short_title
    except ScoringError:  # not a scored questionnaire (the social-needs screen, a transcript)
        return "questionnaire"


def _create_task(
    session: Session, patient: User, flag_id: int, kind: str, detail: Mapping[str, Any]
) -> Route:
    route = route_for(session, patient)
    task = CareTask(
        organisation_id=patient.organisation_id,
        patient_id=patient.id,
        assignee_id=route.assignee_id,
        flag_id=flag_id,
        priority="urgent",
        title=_title(kind, detail, patient.display_name),
    )
    session.add(task)
    session.flush()
    audit.record(session, None, "task.create", f"care_task:{task.id}", detail=f"flag:{flag_id}")
    _record_route(session, task, route, "flag")
    return route


def _rollback_keeping(session: Session, who: _Patient) -> None:
    """Roll back without losing the patient's loaded attributes.

    A rollback (also the one a failed flush does by itself) expires every object; the page that
    shows crisis resources reads the signed-in account (the same object) and must render even
    while the database is unreachable, so the values read at the start are put back.
    """
    try:
        session.rollback()
    except Exception:  # the connection itself may be gone; the session is reset regardless
        log.warning("rollback failed during the safety protocol")
    for instance, values in who.loaded:
        for key, value in values.items():
            set_committed_value(instance, key, value)


def _snapshot(user: User) -> tuple[tuple[Any, dict[str, Any]], ...]:
    """The loaded column values of the account and of the single objects it has loaded."""
    found = [(user, _loaded_columns(user))]
    info = inspect(user)
    for relationship in info.mapper.relationships:
        related = info.dict.get(relationship.key)
        if related is not None and not relationship.uselist:
            found.append((related, _loaded_columns(related)))
    return tuple(found)


def _loaded_columns(instance: Any) -> dict[str, Any]:
    info = inspect(instance)
    keys = [column.key for column in info.mapper.column_attrs]
    return {key: info.dict[key] for key in keys if key in info.dict}


def _error_name(error: BaseException) -> str:
    """The failure's class names only: a database error's message may quote health data."""
    original = getattr(error, "orig", None)
    return type(error).__name__ + (f"({type(original).__name__})" if original is not None else "")


def _store_flags(
    session: Session, patient: User, concerns: Sequence[Concern], ip: str | None
) -> tuple[int, ...]:
    """Step 1: the flags and their audit events, committed before anything else."""
    flags = [
        SafetyFlag(
            organisation_id=patient.organisation_id,
            patient_id=patient.id,
            kind=concern.kind,
            source=concern.source,
            detail=dict(concern.detail),
        )
        for concern in concerns
    ]
    session.add_all(flags)
    session.flush()
    ids = tuple(flag.id for flag in flags)
    for flag_id, concern in zip(ids, concerns, strict=True):
        audit.record(
            session, patient, "safety.flag", f"safety_flag:{flag_id}", ip=ip, detail=concern.kind
        )
    session.commit()
    return ids


def _store_flags_retrying(
    session: Session, patient: User, who: _Patient, concerns: Sequence[Concern], ip: str | None
) -> tuple[int, ...] | None:
    for attempt in (1, 2):
        try:
            return _store_flags(session, patient, concerns, ip)
        except Exception as error:
            _rollback_keeping(session, who)
            log.error(
                "safety flag for patient %s not stored (attempt %s of 2): %s",
                who.id,
                attempt,
                _error_name(error),
            )
    log.critical(
        "SAFETY FLAG NOT STORED for patient %s (%s): the patient was shown crisis resources",
        who.id,
        ",".join(concern.kind for concern in concerns),
    )
    return None


def _tasks_only(
    session: Session,
    patient: User,
    who: _Patient,
    flag_ids: Sequence[int],
    concerns: Sequence[Concern],
) -> tuple[Route, ...] | None:
    """Step 3: the record is lost; make sure each flag still has its task."""
    try:
        routes = []
        for flag_id, concern in zip(flag_ids, concerns, strict=True):
            if session.scalar(select(CareTask.id).where(CareTask.flag_id == flag_id)) is None:
                routes.append(_create_task(session, patient, flag_id, concern.kind, concern.detail))
        session.commit()
        return tuple(routes)
    except Exception as error:
        _rollback_keeping(session, who)
        log.error(
            "tasks for safety flags %s of patient %s not created (%s); reconcile_tasks will",
            list(flag_ids),
            who.id,
            _error_name(error),
        )
        return None


def escalate(
    session: Session,
    patient: User,
    concerns: Sequence[Concern],
    store_record: Callable[[Session], StoredRecord | None] | None = None,
    *,
    ip: str | None = None,
) -> FlagOutcome:
    """Run the safety protocol: flags first, then the record with one urgent task per flag.

    Args:
        concerns: what to flag (may be empty: then only the record is stored, and a failure
            still comes back as `record_stored=False` rather than an exception).
        store_record: adds and flushes the patient's record and its audit event (not commit);
            its `StoredRecord` id is written into each flag's detail under its key.

    Never raises for a database failure; see `FlagOutcome` for what was stored.
    """
    who = _Patient(patient.id, patient.organisation_id, _snapshot(patient))
    kinds = tuple(concern.kind for concern in concerns)
    flag_ids: tuple[int, ...] = ()
    if concerns:
        stored = _store_flags_retrying(session, patient, who, concerns, ip)
        if stored is None:
            return FlagOutcome(kinds=kinds, flag_stored=False, record_stored=False)
        flag_ids = stored
    for attempt in (1, 2):
        try:
            record, routes = _store_record_and_tasks(
                session, patient, flag_ids, concerns, store_record
            )
        except Exception as error:
            _rollback_keeping(session, who)
            log.error(
                "record of patient %s not stored after safety flags %s (attempt %s of 2): %s",
                who.id,
                list(flag_ids),
                attempt,
                _error_name(error),
            )
            continue
        return FlagOutcome(
            kinds=kinds,
            flag_ids=flag_ids,
            record_id=record.id if record is not None else None,
            routes=routes,
        )
    if not flag_ids:
        return FlagOutcome(kinds=kinds, record_stored=False)
    retried = _tasks_only(session, patient, who, flag_ids, concerns)
    return FlagOutcome(
        kinds=kinds,
        flag_ids=flag_ids,
        record_stored=False,
        routes=retried or (),
        tasks_pending=retried is None,
    )


def _store_record_and_tasks(
    session: Session,
    patient: User,
    flag_ids: Sequence[int],
    concerns: Sequence[Concern],
    store_record: Callable[[Session], StoredRecord | None] | None,
) -> tuple[StoredRecord | None, tuple[Route, ...]]:
    """Step 2: the record, each flag's link to it and its urgent task, in one transaction."""
    record = store_record(session) if store_record is not None else None
    routes = []
    for flag_id, concern in zip(flag_ids, concerns, strict=True):
        if record is not None:
            flag = session.get(SafetyFlag, flag_id)
            if flag is not None:
                flag.detail = {**flag.detail, record.key: record.id}
        routes.append(_create_task(session, patient, flag_id, concern.kind, concern.detail))
    session.commit()
    return record, tuple(routes)


def raise_flag(
    session: Session,
    patient: User,
    source: str,
    kind: str,
    detail: Mapping[str, Any],
    *,
    ip: str | None = None,
    store_record: Callable[[Session], StoredRecord | None] | None = None,
) -> FlagOutcome:
    """Raise one safety flag with its urgent task, from any source (a transcript risk turn, ...).

    `store_record` (optional) adds the record the flag is about, as in `escalate`: an uploaded
    encounter is stored after its flag, with the task, and its id written into the flag.
    """
    if patient.user_role is not UserRole.PATIENT:
        raise PermissionDenied("safety flags are raised about patient accounts")
    return escalate(
        session, patient, [Concern(kind=kind, source=source, detail=detail)], store_record, ip=ip
    )


def reconcile_tasks(session: Session, organisation_id: int) -> int:
    """Repair routing after a failure; returns how many tasks were created or re-routed.

    Creates the task of every open flag that has none, and re-routes every open task whose
    assignee is no longer an active clinician (disabled outside `accounts.set_active`, say).
    """
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
            _create_task(session, patient, flag.id, flag.kind, flag.detail)
    stale = session.scalars(
        select(CareTask).where(
            CareTask.organisation_id == organisation_id,
            CareTask.status == "open",
            assignee_is_gone(),
        )
    ).all()
    for task in stale:
        patient = session.get(User, task.patient_id)
        if patient is not None:
            _reassign(session, task, patient, "assignee_inactive")
    if orphans or stale:
        session.commit()
    return len(orphans) + len(stale)
