"""Sign-in (password, then the authenticator code when the account has one) and sign-out.

Failed attempts are counted per client address (`app.state.login_throttle`, failures only, so a
clinic behind one address is never slowed by its own successful sign-ins) and per account
(`accounts.authenticate`, which slows rather than locks). Every refusal reads the same whether
or not the account exists.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from bedside.errors import PermissionDenied
from bedside.services import accounts, mfa
from bedside.web.deps import (
    SessionDep,
    clear_session_cookie,
    client_ip,
    optional_user,
    session_cookie,
    set_session_cookie,
)
from bedside.web.templating import render

router = APIRouter(include_in_schema=False)

TOO_MANY = "Too many failed sign-in attempts from here. Wait a few minutes and try again."


def _safe_next(target: str) -> str:
    """Only same-site paths, so that `?next=` cannot bounce a user to another site."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _throttle_key(request: Request) -> str:
    return client_ip(request) or "?"


@router.get("/login")
def login_page(request: Request, session: SessionDep, next: str = "/") -> Any:
    """The sign-in form (signed-in visitors go straight on)."""
    if optional_user(request, session) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "/",
) -> Any:
    """Check the password; open a session, or a half-open one that waits for the code."""
    ip = client_ip(request)
    throttle = request.app.state.login_throttle
    context = {"next": _safe_next(next), "email": email}
    if throttle.blocked(_throttle_key(request)):
        return render(request, "login.html", {**context, "error": TOO_MANY}, status_code=429)
    try:
        user = accounts.authenticate(session, email, password, ip=ip)
    except PermissionDenied as error:
        throttle.record_failure(_throttle_key(request))
        return render(
            request, "login.html", {**context, "error": str(error).capitalize() + "."}, status_code=400
        )
    if mfa.is_enrolled(session, user):
        token = accounts.start_session(session, user, mfa_pending=True)
        response = RedirectResponse(f"/login/mfa?next={quote(_safe_next(next))}", status_code=303)
        set_session_cookie(response, request, token, lifetime=accounts.MFA_STEP_LIFETIME)
        return response
    token = accounts.start_session(session, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, request, token)
    return response


@router.get("/login/mfa")
def mfa_page(request: Request, session: SessionDep, next: str = "/") -> Any:
    """The second step: the code from the authenticator app (or a recovery code)."""
    cookie = session_cookie(request)
    if not cookie or accounts.mfa_pending_user(session, cookie) is None:
        return RedirectResponse(f"/login?next={quote(_safe_next(next))}", status_code=303)
    return render(request, "login_mfa.html", {"next": _safe_next(next), "error": None})


@router.post("/login/mfa")
def mfa_step(
    request: Request,
    session: SessionDep,
    code: Annotated[str, Form(max_length=64)],
    next: Annotated[str, Form()] = "/",
) -> Any:
    """Check the code; a right one turns the half-open sign-in into a full session."""
    throttle = request.app.state.login_throttle
    context = {"next": _safe_next(next)}
    if throttle.blocked(_throttle_key(request)):
        return render(request, "login_mfa.html", {**context, "error": TOO_MANY}, status_code=429)
    cookie = session_cookie(request) or ""
    try:
        token = accounts.complete_mfa(session, cookie, code, ip=client_ip(request))
    except PermissionDenied as error:
        throttle.record_failure(_throttle_key(request))
        message = str(error).capitalize() + "."
        if accounts.mfa_pending_user(session, cookie) is None:  # start again from the password
            return render(request, "login.html", {**context, "error": message}, status_code=400)
        return render(request, "login_mfa.html", {**context, "error": message}, status_code=400)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, request, token)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Any:
    """End the session on the server and clear the cookie."""
    token = session_cookie(request)
    if token:
        accounts.end_session(session, token, ip=client_ip(request))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request)
    return response
