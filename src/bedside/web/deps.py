"""FastAPI dependencies shared by every router: the database session, the caller, role gates.

Colleagues' routers use these too:

    from bedside.web.deps import CurrentUser, SessionDep, require_roles, client_ip
    @router.get("/checkins", dependencies=[Depends(require_roles(UserRole.PATIENT))])

The caller comes from a bearer token (unexpired, unrevoked; `last_used_at` noted) or the session
cookie (within its absolute lifetime and idle timeout). An account that must change its password
(after an admin reset), or an admin without an authenticator, can reach only the account page
until that is done: `current_user` raises `AccountSetupRequired` anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from bedside.db.tables import User, UserRole
from bedside.errors import PermissionDenied
from bedside.services import accounts
from bedside.web.middleware import is_secure, session_cookie_name

__all__ = [
    "MAX_ID",
    "SETUP_PATHS",
    "AccountSetupRequired",
    "AdminUser",
    "CurrentUser",
    "NotSignedIn",
    "OptionalUserId",
    "RecordId",
    "SessionDep",
    "add_account_setup_handler",
    "clear_session_cookie",
    "client_ip",
    "current_user",
    "get_session",
    "optional_user",
    "require_roles",
    "session_cookie",
    "set_session_cookie",
    "setup_reason",
]


MAX_ID = 2_147_483_647  # ids are 32-bit on every backend; larger ones would overflow SQLite

RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="A record id")]
OptionalUserId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class NotSignedIn(Exception):
    """No valid session cookie or bearer token: pages redirect to sign-in, the API answers 401."""


class AccountSetupRequired(Exception):
    """The account must change its password or add an authenticator before anything else.

    Pages redirect to the account page; the API answers 403 with `reason`.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# What an account under `AccountSetupRequired` may still reach (and /account/mfa/...).
SETUP_PATHS = frozenset({"/account", "/account/password", "/logout"})


def _setup_path(path: str) -> bool:
    return path in SETUP_PATHS or path.startswith("/account/mfa/")


def get_session(request: Request) -> Iterator[Session]:
    """One database session per request, closed (and rolled back if uncommitted) afterwards."""
    session = request.app.state.db.sessions()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def client_ip(request: Request) -> str | None:
    """The client address recorded in the audit trail."""
    return request.client.host if request.client else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def session_cookie(request: Request) -> str | None:
    """The session cookie under the name for this request's scheme (`__Host-` over HTTPS)."""
    secure = is_secure(request.scope, cookie_secure=request.app.state.cookie_secure)
    return request.cookies.get(session_cookie_name(secure))


def set_session_cookie(
    response: Response, request: Request, token: str, *, lifetime: timedelta = accounts.SESSION_LIFETIME
) -> None:
    """Put a session token in the cookie: HttpOnly, SameSite=Lax, `__Host-` and Secure over HTTPS."""
    secure = is_secure(request.scope, cookie_secure=request.app.state.cookie_secure)
    response.set_cookie(
        session_cookie_name(secure), token, max_age=int(lifetime.total_seconds()),
        httponly=True, samesite="lax", secure=secure, path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    """Tell the browser to drop the session cookie."""
    secure = is_secure(request.scope, cookie_secure=request.app.state.cookie_secure)
    response.delete_cookie(
        session_cookie_name(secure), path="/", secure=secure, httponly=True, samesite="lax"
    )


def optional_user(request: Request, session: SessionDep) -> User | None:
    """The caller from a bearer token or the session cookie, or None."""
    cached: User | None = getattr(request.state, "user", None)
    if cached is not None:
        return cached
    user = None
    token = _bearer(request)
    if token is not None:
        user = accounts.token_user(session, token)
    else:
        cookie = session_cookie(request)
        if cookie:
            idle = getattr(request.app.state, "session_idle", accounts.SESSION_IDLE)
            user = accounts.session_user(session, cookie, idle=idle)
    request.state.user = user
    return user


def setup_reason(session: Session, user: User) -> str | None:
    """Why the account must visit its account page first, or None."""
    if user.must_change_password:
        return "change the password an administrator set before going on"
    if accounts.needs_mfa_enrolment(session, user):
        return "admin accounts need an authenticator app: add one before going on"
    return None


def current_user(
    request: Request, session: SessionDep, user: Annotated[User | None, Depends(optional_user)]
) -> User:
    """The signed-in caller; raises `NotSignedIn` or, outside the account page, `AccountSetupRequired`."""
    if user is None:
        raise NotSignedIn
    reason = setup_reason(session, user)
    if reason is not None and not _setup_path(request.url.path):
        raise AccountSetupRequired(reason)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: UserRole | str) -> Callable[[User], User]:
    """A dependency that lets through only the given roles (403 for the others)."""
    allowed = frozenset(UserRole(r) for r in roles)

    def gate(user: CurrentUser) -> User:
        if user.user_role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise PermissionDenied(f"this page is for {names} accounts")
        return user

    return gate


AdminUser = Annotated[User, Depends(require_roles(UserRole.ADMIN))]


def add_account_setup_handler(app: FastAPI) -> None:
    """Send `AccountSetupRequired` pages to the account page; the API gets 403 and the reason."""

    @app.exception_handler(AccountSetupRequired)
    async def _setup_first(request: Request, exc: AccountSetupRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.reason}, status_code=403)
        return RedirectResponse("/account", status_code=303)
