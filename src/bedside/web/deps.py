"""FastAPI dependencies shared by every router: the database session, the caller, role gates.

Colleagues' routers use these too:

    from bedside.web.deps import CurrentUser, SessionDep, require_roles, client_ip
    @router.get("/checkins", dependencies=[Depends(require_roles(UserRole.PATIENT))])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from bedside.db.tables import User, UserRole
from bedside.errors import PermissionDenied
from bedside.services import accounts
from bedside.web.middleware import SESSION_COOKIE

__all__ = [
    "MAX_ID",
    "AdminUser",
    "CurrentUser",
    "NotSignedIn",
    "OptionalUserId",
    "RecordId",
    "SessionDep",
    "client_ip",
    "current_user",
    "get_session",
    "optional_user",
    "require_roles",
]


MAX_ID = 2_147_483_647  # ids are 32-bit on every backend; larger ones would overflow SQLite

RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="A record id")]
OptionalUserId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class NotSignedIn(Exception):
    """No valid session cookie or bearer token: pages redirect to sign-in, the API answers 401."""


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
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            user = accounts.session_user(session, cookie)
    request.state.user = user
    return user


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The signed-in caller; raises `NotSignedIn` otherwise."""
    if user is None:
        raise NotSignedIn
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
