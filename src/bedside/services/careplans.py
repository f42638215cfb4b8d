"""Care plans in the web app: draft from the rules, edit, sign, show to the patient, export FHIR.

A draft revision may be edited until it is signed; a signed revision is never changed, and an
edit after signing starts the next revision. Every change is audited in its own transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bedside.db.base import utcnow
from bedside.db.tables import User, UserRole
from bedside.db.tables_care import CarePlanRecord
from bedside.errors import NotFound, ScoringError
from bedside.fhir import export_bundle
from bedside.instruments import (
    CarePlan,
    CarePlanAction,
    CarePlanGoal,
    build_care_plan,
    revise_care_plan,
    sign_care_plan,
)
from bedside.services import audit
from bedside.services.checkins import (
    checkin_history,
    latest_social_needs,
    latest_voice,
    patient_for_care,
    score_of,
)

__all__ = [
    "current_plan",
    "draft_plan",
    "edit_plan",
    "fhir_bundle",
    "plan_of",
    "sign_plan",
    "signed_plan_for_patient",
]


def plan_of(record: CarePlanRecord) -> CarePlan:
    """The stored revision as the domain object."""
    return CarePlan.model_validate(record.document)


def current_plan(session: Session, patient_id: int) -> CarePlanRecord | None:
    """The newest revision (draft or signed)."""
    return session.scalar(
        select(CarePlanRecord)
        .where(CarePlanRecord.patient_id == patient_id)
        .order_by(CarePlanRecord.revision.desc())
        .limit(1)
    )


def signed_plan_for_patient(session: Session, patient: User) -> CarePlanRecord | None:
    """The newest signed revision: what the patient sees (drafts stay with the care team)."""
    return session.scalar(
        select(CarePlanRecord)
        .where(CarePlanRecord.patient_id == patient.id, CarePlanRecord.status == "signed")
        .order_by(CarePlanRecord.revision.desc())
        .limit(1)
    )


def _save(
    session: Session, clinician: User, patient: User, plan: CarePlan, action: str, ip: str | None
) -> CarePlanRecord:
    latest = current_plan(session, patient.id)
    document = plan.model_dump(mode="json")
    if latest is not None and latest.status == "draft" and latest.revision == plan.revision:
        record = latest
        record.document, record.status = document, plan.status
    else:
        revision = (latest.revision + 1) if latest is not None else 1
        plan = plan.model_copy(update={"revision": revision})
        record = CarePlanRecord(
            organisation_id=patient.organisation_id,
            patient_id=patient.id,
            revision=revision,
            status=plan.status,
            document=plan.model_dump(mode="json"),
            author_id=clinician.id,
        )
        session.add(record)
    if plan.status == "signed":
        record.signed_by_id, record.signed_at = clinician.id, plan.signed_at
    session.flush()
    audit.record(
        session,
        clinician,
        action,
        f"care_plan:{record.id}",
        ip=ip,
        detail=f"revision {record.revision}",
    )
    session.commit()
    return record


def draft_plan(
    session: Session,
    clinician: User,
    patient_id: int,
    *,
    today: date | None = None,
    ip: str | None = None,
) -> CarePlanRecord:
    """Draft a plan from the patient's check-ins, what matters and goals, by the shipped rules."""
    patient = patient_for_care(session, clinician, patient_id)
    scores = [
        score_of(checkin) for checkin in checkin_history(session, patient, scored_only=True)
    ]
    voice = latest_voice(session, patient.id)
    plan = build_care_plan(
        scores=scores,
        social_needs=latest_social_needs(session, patient.id),
        what_matters=voice.what_matters if voice else None,
        goals=voice.goals.get("goals", []) if voice else [],
        today=today or utcnow().date(),
    )
    latest = current_plan(session, patient.id)
    if latest is not None and latest.status == "draft":
        plan = plan.model_copy(update={"revision": latest.revision})
    return _save(session, clinician, patient, plan, "careplan.draft", ip)


def edit_plan(
    session: Session,
    clinician: User,
    patient_id: int,
    *,
    what_matters: str,
    goals: Sequence[str],
    actions: Sequence[str],
    ip: str | None = None,
) -> CarePlanRecord:
    """The clinician's edit: patient goals (their words) and actions, one per line.

    Actions keep their plain-language wording where the text is unchanged; a new or reworded
    action is shown to the patient as written.
    """
    patient = patient_for_care(session, clinician, patient_id)
    latest = current_plan(session, patient.id)
    if latest is None:
        raise NotFound("there is no care plan to edit yet; draft one first")
    plan = plan_of(latest)
    old_actions = {action.text: action for action in plan.actions}
    new_actions = tuple(
        old_actions.get(text.strip()) or CarePlanAction(text=text.strip(), plain=text.strip())
        for text in actions
        if text.strip()
    )
    clinical = [goal for goal in plan.goals if goal.source == "clinical"]
    patient_goals = [
        CarePlanGoal(text=text.strip(), plain=text.strip(), source="patient")
        for text in goals
        if text.strip()
    ]
    revised = revise_care_plan(
        plan,
        what_matters=what_matters.strip() or None,
        goals=tuple(patient_goals + clinical),
        actions=new_actions,
    )
    return _save(session, clinician, patient, revised, "careplan.edit", ip)


def sign_plan(
    session: Session, clinician: User, patient_id: int, *, ip: str | None = None
) -> CarePlanRecord:
    """Sign the current draft (refused if it is already signed)."""
    patient = patient_for_care(session, clinician, patient_id)
    latest = current_plan(session, patient.id)
    if latest is None:
        raise NotFound("there is no care plan to sign yet; draft one first")
    if latest.status == "signed":
        raise ScoringError(f"revision {latest.revision} is already signed")
    signed = sign_care_plan(plan_of(latest), clinician=clinician.display_name, at=utcnow())
    return _save(session, clinician, patient, signed, "careplan.sign", ip)


def fhir_bundle(
    session: Session, viewer: User, patient_id: int, *, ip: str | None = None
) -> dict[str, Any]:
    """The patient's check-ins and current care plan as a validated FHIR R4 Bundle (audited).

    A clinician may export the patients in their care; a patient may export their own record
    (with the signed plan only).
    """
    if viewer.user_role is UserRole.PATIENT:
        if viewer.id != patient_id:
            raise NotFound("no such patient")
        patient = viewer
        record = signed_plan_for_patient(session, patient)
    else:
        patient = patient_for_care(session, viewer, patient_id)
        record = current_plan(session, patient.id)
    responses = [
        (score_of(checkin), checkin.created_at)
        for checkin in checkin_history(session, patient, scored_only=True)
    ]
    bundle = export_bundle(
        patient=f"Patient/{patient.id}",
        responses=responses,
        care_plan=plan_of(record) if record is not None else None,
        timestamp=utcnow(),
        validate=True,
    )
    audit.record(
        session,
        viewer,
        "fhir.export",
        f"user:{patient.id}",
        ip=ip,
        detail=f"{len(bundle['entry'])} resources",
    )
    session.commit()
    return bundle
