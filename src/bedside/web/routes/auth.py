"""Sign-in and sign-out pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from bedside.errors import PermissionDenied
from bedside.services import accounts
from bedside.web.deps import SessionDep, client_ip, optional_user
from bedside.web.middleware import SESSION_COOKIE
from bedside.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only same-site paths, so that `?next=` cannot bounce a user to another site."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


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
    """Check the password (throttled per address, locked out per account) and open a session."""
    ip = client_ip(request)
    if not request.app.state.login_throttle.allow(ip or "?"):
        return render(
            request, "login.html",
            {"next": _safe_next(next), "error": "Too many sign-in attempts from here. Wait a few "
             "minutes and try again.", "email": email},
            status_code=429,
        )
    try:
        user = accounts.authenticate(session, email, password, ip=ip)
    except PermissionDenied as error:
        return render(
            request, "login.html",
            {"next": _safe_next(next), "error": str(error).capitalize() + ".", "email": email},
            status_code=400,
        )
    token = accounts.start_session(session, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.app.state.cookie_secure or request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Any:
    """End the session on the server and clear the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(session, token, ip=client_ip(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
