"""Dashboard, health check and the signed-in user's own account page.

The account page is where credentials change: the password, the authenticator app (TOTP) and
its recovery codes, and API tokens. While an account must change its password or (an admin) add
an authenticator, it is the only page it can reach (`deps.AccountSetupRequired`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from sqlalchemy.orm import Session

from bedside.db.tables import User, UserRole
from bedside.errors import PermissionDenied
from bedside.services import access, accounts, encounters, insights, mfa
from bedside.web.deps import (
    CurrentUser,
    RecordId,
    SessionDep,
    client_ip,
    session_cookie,
    set_session_cookie,
    setup_reason,
)
from bedside.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> PlainTextResponse:
    """Liveness probe; also the static baseline of the web benchmark."""
    return PlainTextResponse("ok")


@router.get("/")
def dashboard(request: Request, session: SessionDep, user: CurrentUser) -> Any:
    """A start page that fits the role: recent encounters, team, or aggregates."""
    context: dict[str, Any] = {"recent": None, "cohorts": None, "aggregates": None}
    ip = client_ip(request)
    if user.user_role in access.UPLOAD_ROLES or user.user_role is UserRole.PATIENT:
        context["recent"] = encounters.list_page(session, user, limit=5, ip=ip)
    if user.user_role is UserRole.EDUCATOR:
        context["cohorts"] = insights.team(session, user, ip=ip)
    if user.user_role in access.AGGREGATE_ROLES:
        context["aggregates"] = insights.aggregates(session, user, ip=ip)
    return render(request, "dashboard.html", context)


@router.get("/account")
def account(request: Request, session: SessionDep, user: CurrentUser) -> Any:
    """Own account: password, authenticator app, API tokens."""
    return _account_page(request, session, user)


def _account_page(
    request: Request, session: Session, user: User, *, message: str | None = None,
    error: str | None = None, new_secret: str | None = None, recovery_codes: tuple[str, ...] = (),
    status_code: int = 200,
) -> Any:
    enrolled = mfa.is_enrolled(session, user)
    return render(
        request,
        "account.html",
        {
            "tokens": accounts.tokens_of(session, user),
            "sessions": [
                (row, accounts.is_session_token(row, session_cookie(request) or ""))
                for row in accounts.active_sessions(session, user)
            ],
            "token_days": accounts.TOKEN_LIFETIMES,
            "default_days": accounts.DEFAULT_TOKEN_DAYS,
            "min_length": accounts.MIN_PASSWORD_LENGTH,
            "setup": setup_reason(session, user),
            "mfa_enrolled": enrolled,
            "mfa_pending": None if enrolled else mfa.pending_enrolment(session, user),
            "recovery_left": mfa.recovery_codes_left(session, user) if enrolled else 0,
            "recovery_codes": recovery_codes,
            "message": message,
            "error": error,
            "new_secret": new_secret,
        },
        status_code=status_code,
    )


@router.post("/account/password")
def change_password(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
) -> Any:
    """Change own password; every other session and every API token of the account ends."""
    try:
        token = accounts.change_password(
            session, user, current_password, new_password, ip=client_ip(request)
        )
    except PermissionDenied as error:
        return _account_page(request, session, user, error=str(error), status_code=400)
    response = _account_page(
        request, session, user,
        message="Your password was changed. Every other session and every API token was ended.",
    )
    set_session_cookie(response, request, token)
    return response


@router.post("/account/mfa/start")
def mfa_start(request: Request, session: SessionDep, user: CurrentUser) -> Any:
    """Make a new authenticator secret and show it (with its otpauth:// link) for the app."""
    try:
        mfa.begin_enrolment(session, user)
    except PermissionDenied as error:
        return _account_page(request, session, user, error=str(error), status_code=400)
    return _account_page(request, session, user)


@router.post("/account/mfa/confirm")
def mfa_confirm(
    request: Request, session: SessionDep, user: CurrentUser, code: Annotated[str, Form(max_length=64)]
) -> Any:
    """Confirm the authenticator with its first code; shows the recovery codes once."""
    try:
        codes = mfa.confirm_enrolment(session, user, code, ip=client_ip(request))
    except PermissionDenied as error:
        return _account_page(request, session, user, error=str(error), status_code=400)
    return _account_page(
        request, session, user, recovery_codes=codes,
        message="The authenticator app is on: sign-in will ask for its code.",
    )


@router.post("/account/mfa/remove")
def mfa_remove(
    request: Request, session: SessionDep, user: CurrentUser,
    current_password: Annotated[str, Form(max_length=1024)],
) -> Any:
    """Remove the authenticator (needs the password); ends every other session and token."""
    try:
        token = accounts.remove_mfa(session, user, current_password, ip=client_ip(request))
    except PermissionDenied as error:
        return _account_page(request, session, user, error=str(error), status_code=400)
    response = _account_page(request, session, user, message="The authenticator app was removed.")
    set_session_cookie(response, request, token)
    return response


@router.post("/account/sessions/end-others")
def end_other_sessions(request: Request, session: SessionDep, user: CurrentUser) -> Any:
    """Sign out every other browser signed in to this account."""
    accounts.end_other_sessions(session, user, session_cookie(request) or "", ip=client_ip(request))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens")
def create_token(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    name: Annotated[str, Form(max_length=100)] = "script",
    days: Annotated[int, Form()] = accounts.DEFAULT_TOKEN_DAYS,
) -> Any:
    """Make an API token that expires after `days`; the secret is shown once, on this response only."""
    try:
        made = accounts.create_api_token(session, user, name, days=days, ip=client_ip(request))
    except PermissionDenied as error:
        return _account_page(request, session, user, error=str(error), status_code=400)
    return _account_page(request, session, user, new_secret=made.secret)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, session: SessionDep, user: CurrentUser, token_id: RecordId) -> Any:
    """Revoke one of your API tokens."""
    accounts.revoke_api_token(session, user, token_id, ip=client_ip(request))
    return RedirectResponse("/account", status_code=303)
