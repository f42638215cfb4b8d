"""Account administration and the audit log (admins only)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bedside.db.tables import UserRole
from bedside.errors import NotFound, PermissionDenied
from bedside.services import accounts, audit, lifecycle, safety_routing
from bedside.web.deps import MAX_ID, AdminUser, RecordId, SessionDep, client_ip
from bedside.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)

AUDIT_PAGE = 50


def _users_page(
    request: Request, session: Any, admin: Any, *, message: str | None = None,
    error: str | None = None, status_code: int = 200,
) -> Any:
    return render(
        request, "admin/users.html",
        {"users": accounts.list_users(session, admin), "roles": [r.value for r in UserRole],
         "message": message, "error": error,
         "duty": safety_routing.duty_clinician(session, admin.organisation_id)},
        status_code=status_code,
    )


@router.get("/users")
def users(request: Request, session: SessionDep, admin: AdminUser) -> Any:
    """Every account of the organisation, with create, reset and disable forms."""
    audit.read(session, admin, "user.list", "user", ip=client_ip(request))
    return _users_page(request, session, admin)


@router.post("/users")
def create_user(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    email: Annotated[str, Form(max_length=320)],
    display_name: Annotated[str, Form(max_length=200)],
    role: Annotated[UserRole, Form()],
    password: Annotated[str, Form(max_length=1024)],
) -> Any:
    """Create an account in the admin's organisation."""
    try:
        accounts.create_user(
            session, admin, organisation_id=admin.organisation_id, email=email,
            display_name=display_name, role=role, password=password, ip=client_ip(request),
        )
    except PermissionDenied as error:
        session.rollback()
        return _users_page(request, session, admin, error=str(error), status_code=400)
    return _users_page(request, session, admin, message=f"Account {email.strip().lower()} created.")


@router.post("/users/{user_id}/password")
def reset_password(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    user_id: RecordId,
    new_password: Annotated[str, Form(max_length=1024)],
    remove_mfa: Annotated[bool, Form()] = False,
) -> Any:
    """Set a new password (optionally removing a lost authenticator); ends sessions and tokens."""
    try:
        user = accounts.reset_password(
            session, admin, user_id, new_password, ip=client_ip(request), remove_mfa=remove_mfa
        )
    except PermissionDenied as error:
        session.rollback()
        return _users_page(request, session, admin, error=str(error), status_code=400)
    return _users_page(request, session, admin, message=f"Password of {user.email} reset.")


@router.post("/users/{user_id}/active")
def set_active(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    user_id: RecordId,
    active: Annotated[bool, Form()],
) -> Any:
    """Enable or disable an account."""
    try:
        accounts.set_active(session, admin, user_id, active, ip=client_ip(request))
    except PermissionDenied as error:
        session.rollback()
        return _users_page(request, session, admin, error=str(error), status_code=400)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/duty")
def set_duty_clinician(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    clinician_id: Annotated[int, Form(ge=1, le=MAX_ID)],
) -> Any:
    """Name the duty clinician: they take urgent tasks of patients without an active care team."""
    try:
        clinician = safety_routing.set_duty_clinician(
            session, admin, clinician_id, ip=client_ip(request)
        )
    except NotFound as error:
        session.rollback()
        return _users_page(request, session, admin, error=str(error), status_code=400)
    return _users_page(request, session, admin, message=f"{clinician.email} is the duty clinician.")


@router.post("/patients/{patient_id}/export")
def export_patient(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    patient_id: RecordId,
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    """Download a patient's complete record as JSON (right of access; audited with the reason)."""
    document = lifecycle.export_patient(
        session, admin, patient_id, reason=reason, ip=client_ip(request)
    ).to_json()
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="bedside-patient-{patient_id}.json"',
            "cache-control": "no-store",
        },
    )


@router.post("/patients/{patient_id}/erase")
def erase_patient(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    patient_id: RecordId,
    reason: Annotated[str, Form(max_length=500)],
    confirm: Annotated[str, Form(max_length=20)] = "",
) -> Any:
    """Erase a patient's content and disable the account; `confirm` must read ERASE."""
    if confirm.strip() != "ERASE":
        return _users_page(
            request, session, admin, status_code=400,
            error="Erasure cannot be undone: type ERASE in the confirmation box.",
        )
    report = lifecycle.erase_patient(session, admin, patient_id, reason=reason, ip=client_ip(request))
    return _users_page(
        request, session, admin,
        message=f"Patient {report.patient_id} erased; {report.flags_kept} safety flags kept "
        "without free text.",
    )


@router.get("/audit")
def audit_log(
    request: Request, session: SessionDep, admin: AdminUser, page: int = 1, action: str = ""
) -> Any:
    """The organisation's audit trail, newest first, filterable by action (no clinical content)."""
    page = max(1, min(page, 100_000))
    events = audit.events(
        session, admin.organisation_id, offset=(page - 1) * AUDIT_PAGE, limit=AUDIT_PAGE + 1,
        action=action or None,
    )
    audit.record(session, admin, "audit.view", "audit_events", ip=client_ip(request))
    session.commit()
    return render(
        request, "admin/audit.html",
        {"events": events[:AUDIT_PAGE], "more": len(events) > AUDIT_PAGE, "number": page,
         "action": action},
    )


@router.get("/audit.csv")
def audit_export(request: Request, session: SessionDep, admin: AdminUser) -> Response:
    """Download the organisation's audit trail as CSV (the export itself is audited first)."""
    audit.record(session, admin, "audit.export", "audit_events", ip=client_ip(request))
    session.commit()
    return Response(
        audit.export_csv(session, admin.organisation_id),
        media_type="text/csv",
        headers={"content-disposition": 'attachment; filename="bedside-audit.csv"'},
    )
