"""Who may see whom: care-team grants, break-glass access, cohort invitations, the admins' review.

Routes parse the form, call one service (`grants`, `break_glass`, `cohort_membership`) and
redirect or render. Every grant and revocation is audited by the service.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from bedside.db.tables import User, UserRole
from bedside.errors import NotFound, PermissionDenied
from bedside.services import audit, break_glass, cohort_membership, grants
from bedside.web.deps import (
    MAX_ID,
    AdminUser,
    CurrentUser,
    OptionalUserId,
    RecordId,
    SessionDep,
    client_ip,
    require_roles,
)
from bedside.web.templating import render

router = APIRouter(include_in_schema=False)

NAV = [("Access", "/admin/access", frozenset({UserRole.ADMIN}))]

Clinician = Annotated[User, Depends(require_roles(UserRole.CLINICIAN))]
Member = Annotated[User, Depends(require_roles(*cohort_membership.MEMBER_ROLES))]


# ----- a patient's care team (clinicians on it, admins) ---------------------------------------


@router.post("/care/patients/{patient_id}/team")
def add_to_team(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    patient_id: RecordId,
    email: Annotated[str, Form(max_length=320)],
    consent: Annotated[bool, Form()] = False,
) -> Response:
    """Add a colleague to the patient's team (a clinician on it, or an admin), with consent."""
    grants.grant_care(session, user, patient_id, email, consent=consent, ip=client_ip(request))
    return RedirectResponse(_back(user, patient_id), status_code=303)


@router.post("/care/patients/{patient_id}/team/{clinician_id}/remove")
def remove_from_team(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    patient_id: RecordId,
    clinician_id: RecordId,
) -> Response:
    """Take a clinician off the team; their access ends at once."""
    grants.revoke_care(session, user, patient_id, clinician_id, ip=client_ip(request))
    if user.user_role is UserRole.CLINICIAN and user.id == clinician_id:
        return RedirectResponse("/care", status_code=303)
    return RedirectResponse(_back(user, patient_id), status_code=303)


def _back(user: User, patient_id: int) -> str:
    if user.user_role is UserRole.ADMIN:
        return "/admin/access"
    if user.user_role is UserRole.PATIENT:
        return "/checkins"
    return f"/care/patients/{patient_id}#team"


# ----- break-glass (clinicians) -----------------------------------------------------------------


def _break_glass_page(
    request: Request, *, email: str = "", patient: int | None = None, justification: str = "",
    error: str | None = None, status_code: int = 200,
) -> Any:
    return render(
        request, "access/break_glass.html",
        {"error": error, "hours": break_glass.DURATION.total_seconds() / 3600,
         "minimum": break_glass.MIN_JUSTIFICATION, "email": email, "patient": patient,
         "justification": justification},
        status_code=status_code,
    )


@router.get("/care/break-glass")
def break_glass_form(request: Request, user: Clinician, patient: OptionalUserId = None) -> Any:
    """The emergency-access form: which patient (by e-mail, or the id of a task's patient), why."""
    return _break_glass_page(request, patient=patient)


@router.post("/care/break-glass")
def break_glass_open(
    request: Request,
    session: SessionDep,
    user: Clinician,
    email: Annotated[str, Form(max_length=320)] = "",
    patient: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    justification: Annotated[str, Form(max_length=4000)] = "",
) -> Any:
    """Open the record for four hours (audited as `access.break_glass`, reviewed by admins)."""
    try:
        grant = break_glass.open_access(
            session, user, justification, patient_email=email, patient_id=patient,
            ip=client_ip(request),
        )
    except (PermissionDenied, NotFound) as error:
        session.rollback()
        return _break_glass_page(
            request, email=email, patient=patient, justification=justification, error=str(error),
            status_code=403 if isinstance(error, PermissionDenied) else 404,
        )
    return RedirectResponse(f"/care/patients/{grant.patient_id}", status_code=303)


@router.post("/care/break-glass/{grant_id}/end")
def break_glass_end(
    request: Request, session: SessionDep, user: Clinician, grant_id: RecordId
) -> Response:
    """Close one's own break-glass access early."""
    break_glass.end(session, user, grant_id, ip=client_ip(request))
    return RedirectResponse("/care", status_code=303)


# ----- cohort invitations (members) ------------------------------------------------------------


@router.post("/training/invitations/{invitation_id}/accept")
def accept_invitation(
    request: Request, session: SessionDep, user: Member, invitation_id: RecordId
) -> Response:
    """Join the cohort: its educator may then follow your encounters and training."""
    cohort_membership.accept(session, user, invitation_id, ip=client_ip(request))
    return RedirectResponse("/training", status_code=303)


@router.post("/training/invitations/{invitation_id}/decline")
def decline_invitation(
    request: Request, session: SessionDep, user: Member, invitation_id: RecordId
) -> Response:
    """Decline: nothing is shared."""
    cohort_membership.decline(session, user, invitation_id, ip=client_ip(request))
    return RedirectResponse("/training", status_code=303)


@router.post("/training/cohorts/{cohort_id}/members/{user_id}/remove")
def remove_member(
    request: Request, session: SessionDep, user: CurrentUser, cohort_id: RecordId, user_id: RecordId
) -> Response:
    """Leave a cohort (the member), or remove a member (its educator, an admin)."""
    cohort_membership.remove(session, user, cohort_id, user_id, ip=client_ip(request))
    if user.user_role is UserRole.EDUCATOR:
        return RedirectResponse(f"/training/cohorts/{cohort_id}", status_code=303)
    if user.user_role is UserRole.ADMIN:
        return RedirectResponse("/admin/access", status_code=303)
    return RedirectResponse("/training", status_code=303)


# ----- the admins' access page -------------------------------------------------------------------


@router.get("/admin/access")
def admin_access(request: Request, session: SessionDep, admin: AdminUser) -> Any:
    """Patients and their care teams (no clinical content), break-glass openings to review."""
    audit.read(session, admin, "access.view", "care_team", ip=client_ip(request))
    return render(
        request, "access/admin.html",
        {"directory": grants.patient_directory(session, admin),
         "openings": break_glass.for_review(session, admin),
         "cohorts": cohort_membership.organisation_cohorts(session, admin),
         "names": {u.id: u.display_name for u in grants.organisation_accounts(session, admin)}},
    )


@router.post("/admin/access/break-glass/{grant_id}/reviewed")
def break_glass_reviewed(
    request: Request, session: SessionDep, admin: AdminUser, grant_id: RecordId
) -> Response:
    """Record that an admin reviewed one break-glass access."""
    break_glass.mark_reviewed(session, admin, grant_id, ip=client_ip(request))
    return RedirectResponse("/admin/access", status_code=303)


@router.post("/admin/cohorts/{cohort_id}/members")
def admin_add_member(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    cohort_id: RecordId,
    email: Annotated[str, Form(max_length=320)],
) -> Response:
    """An admin adds a member to a cohort directly."""
    cohort_membership.admin_add(session, admin, cohort_id, email, ip=client_ip(request))
    return RedirectResponse("/admin/access", status_code=303)
