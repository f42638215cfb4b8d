"""Dashboard, health check and the signed-in user's own account page (password, API tokens)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse

from bedside.db.tables import UserRole
from bedside.errors import PermissionDenied
from bedside.services import access, accounts, encounters, insights
from bedside.web.deps import CurrentUser, RecordId, SessionDep, client_ip
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
    """Own account: change password, make and revoke API tokens."""
    return _account_page(request, session, user)


def _account_page(
    request: Request, session: Any, user: Any, *, message: str | None = None,
    error: str | None = None, new_secret: str | None = None, status_code: int = 200,
) -> Any:
    return render(
        request,
        "account.html",
        {
            "tokens": accounts.tokens_of(session, user),
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
    """Change own password (the current one is required)."""
    try:
        accounts.change_password(
            session, user, current_password, new_password, ip=client_ip(request)
        )
    except PermissionDenied as error:
        return _account_page(request, session, user, error=str(error), status_code=400)
    return _account_page(request, session, user, message="Your password was changed.")


@router.post("/account/tokens")
def create_token(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    name: Annotated[str, Form(max_length=100)] = "script",
) -> Any:
    """Make an API token; the secret is shown once, on this response only."""
    made = accounts.create_api_token(session, user, name, ip=client_ip(request))
    return _account_page(request, session, user, new_secret=made.secret)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, session: SessionDep, user: CurrentUser, token_id: RecordId) -> Any:
    """Revoke one of your API tokens."""
    accounts.revoke_api_token(session, user, token_id, ip=client_ip(request))
    return RedirectResponse("/account", status_code=303)
