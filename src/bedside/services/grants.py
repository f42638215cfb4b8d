"""Care relationships (clinician ↔ patient): granted by someone entitled to, with consent, revocable.

No one grants themselves a patient (security issue 11, finding 5). A clinician joins a patient's
care team only when an admin of the organisation, or a clinician already on that team, adds them
and attests that the patient agreed to share their record with them; the consent is stored
(`CareConsent`) and both are audited as `care.grant`. Revoking (`care.revoke`) deletes the
relationship, withdraws the consent and ends access at once. A patient may also take a clinician
off their own team.

Admins see which patients exist and who is on their team (to assign them), never clinical content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bedside.db import repos
from bedside.db.base import utcnow
from bedside.db.tables import User, UserRole
from bedside.db.tables_access import CareConsent
from bedside.db.tables_care import CareAssignment
from bedside.errors import NotFound, PermissionDenied
from bedside.services import audit, safety_routing
from bedside.services.care_team import care_team

__all__ = [
    "PatientEntry",
    "TeamMember",
    "grant_care",
    "may_manage_team",
    "organisation_accounts",
    "patient_directory",
    "refuse_self_grant",
    "require_link_allowed",
    "revoke_care",
    "team_members",
]


@dataclass(frozen=True)
class TeamMember:
    """One clinician on a patient's team, and how they got there."""

    clinician: User
    since: datetime
    granted_by_id: int | None

    @property
    def legacy(self) -> bool:
        """Made before grants were checked (self-assigned): for an admin to review."""
        return self.granted_by_id is None


@dataclass(frozen=True)
class PatientEntry:
    """A patient as the admins' directory shows them: who they are and who cares for them."""

    patient: User
    team: list[TeamMember]


def _on_team(session: Session, clinician: User, patient: User) -> bool:
    return any(member.id == clinician.id for member in care_team(session, patient))


def may_manage_team(session: Session, actor: User, patient: User) -> bool:
    """Admins of the patient's organisation, and active clinicians already on the team."""
    if actor.organisation_id != patient.organisation_id or not actor.is_active:
        return False
    if actor.user_role is UserRole.ADMIN:
        return True
    return actor.user_role is UserRole.CLINICIAN and _on_team(session, actor, patient)


def _patient(session: Session, actor: User, patient_id: int) -> User:
    patient = repos.organisation_user(session, patient_id, organisation_id=actor.organisation_id)
    if patient is None or patient.user_role is not UserRole.PATIENT:
        raise NotFound("no such patient in your organisation")
    return patient


def grant_care(
    session: Session,
    granter: User,
    patient_id: int,
    clinician_email: str,
    *,
    consent: bool,
    ip: str | None = None,
) -> User:
    """Add a clinician to a patient's care team; returns the clinician.

    Raises:
        NotFound: no such patient in the granter's organisation.
        PermissionDenied: the granter is neither an admin nor on the team (a clinician cannot add
            themselves), the clinician is not an active clinician of the organisation, or the
            patient's consent was not confirmed.
    """
    patient = _patient(session, granter, patient_id)
    if not may_manage_team(session, granter, patient):
        raise PermissionDenied(
            "only an admin, or a clinician already on this patient's care team, can add a "
            "clinician to it; ask one of them"
        )
    clinician = repos.organisation_user_by_email(
        session, clinician_email, organisation_id=granter.organisation_id
    )
    if clinician is None or clinician.user_role is not UserRole.CLINICIAN or not clinician.is_active:
        raise PermissionDenied("no active clinician with that e-mail in your organisation")
    if not consent:
        raise PermissionDenied(
            "confirm that the patient agreed to share their record with this clinician"
        )
    if session.get(CareAssignment, (patient.id, clinician.id)) is None:
        session.add(
            CareAssignment(patient_id=patient.id, clinician_id=clinician.id, granted_by_id=granter.id)
        )
        session.add(
            CareConsent(
                organisation_id=patient.organisation_id,
                patient_id=patient.id,
                clinician_id=clinician.id,
                recorded_by_id=granter.id,
            )
        )
        audit.record(
            session, granter, "care.grant", f"user:{patient.id}", ip=ip,
            detail=f"clinician:{clinician.id} consent:recorded",
        )
        session.commit()
    return clinician


def revoke_care(
    session: Session, actor: User, patient_id: int, clinician_id: int, *, ip: str | None = None
) -> None:
    """Take a clinician off a patient's team: by an admin, a team clinician, or the patient."""
    if actor.user_role is UserRole.PATIENT and actor.id == patient_id:
        patient = actor
    else:
        patient = _patient(session, actor, patient_id)
        if not may_manage_team(session, actor, patient):
            raise PermissionDenied("only an admin or a clinician on this care team can change it")
    assignment = session.get(CareAssignment, (patient.id, clinician_id))
    if assignment is None:
        raise NotFound("that clinician is not on this patient's care team")
    session.delete(assignment)
    session.execute(
        update(CareConsent)
        .where(
            CareConsent.patient_id == patient.id,
            CareConsent.clinician_id == clinician_id,
            CareConsent.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=utcnow())
    )
    audit.record(
        session, actor, "care.revoke", f"user:{patient.id}", ip=ip, detail=f"clinician:{clinician_id}"
    )
    # their open tasks for this patient go to the team that remains (else duty, else everyone)
    safety_routing.reroute_patient(session, patient, actor=actor, ip=ip)
    session.commit()


def team_members(session: Session, patient: User) -> list[TeamMember]:
    """Everyone on the patient's team (disabled clinicians included, so an admin can tidy up)."""
    rows = session.execute(
        select(User, CareAssignment.created_at, CareAssignment.granted_by_id)
        .join(CareAssignment, CareAssignment.clinician_id == User.id)
        .where(
            CareAssignment.patient_id == patient.id,
            User.organisation_id == patient.organisation_id,
        )
        .order_by(CareAssignment.created_at, User.id)
    ).all()
    return [TeamMember(clinician=user, since=since, granted_by_id=by) for user, since, by in rows]


def patient_directory(session: Session, admin: User) -> list[PatientEntry]:
    """Every patient of the admin's organisation with their care team: names, no clinical content."""
    if admin.user_role is not UserRole.ADMIN:
        raise PermissionDenied("only an admin sees the patient directory")
    patients = [
        user
        for user in repos.organisation_users(session, admin.organisation_id)
        if user.user_role is UserRole.PATIENT
    ]
    return [PatientEntry(patient=p, team=team_members(session, p)) for p in patients]


def require_link_allowed(session: Session, uploader: User, patient: User) -> None:
    """An upload may be linked to a patient only by a clinician on that patient's care team.

    Raises:
        PermissionDenied: with a message saying who can grant the relationship.
    """
    if uploader.organisation_id != patient.organisation_id or not _on_team(
        session, uploader, patient
    ):
        raise PermissionDenied(
            "you can link a consultation to a patient only when you are on their care team; "
            "ask an admin or a clinician on their team to add you"
        )


def refuse_self_grant(session: Session, clinician: User, *, ip: str | None = None) -> None:
    """The old "add a patient to your care" form: audited as refused, then PermissionDenied."""
    audit.record(session, clinician, "access.denied", "care_assignment", ip=ip, detail="self_grant")
    session.commit()
    raise PermissionDenied(
        "you cannot add a patient to your own care; an admin, or a clinician already on the "
        "patient's care team, can add you (in an emergency, use break-glass access)"
    )


def organisation_accounts(session: Session, admin: User) -> Sequence[User]:
    """The admin's organisation's accounts (to name grantors and clinicians on the access page)."""
    if admin.user_role is not UserRole.ADMIN:
        raise PermissionDenied("only an admin sees the organisation's accounts")
    return repos.organisation_users(session, admin.organisation_id)
