"""Jinja2 templates with the helpers every page uses (CSRF token, navigation by role, formats).

Colleagues' templates extend `base.html` and find their own folders (`checkins/`, `training/`)
in the same template directory.
"""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from bedside.db.tables import User, UserRole

__all__ = ["NAV", "NavItem", "render", "templates"]

NavItem = tuple[str, str, frozenset[UserRole]]

_ALL = frozenset(UserRole)
_UPLOADERS = frozenset({UserRole.CLINICIAN, UserRole.LEARNER, UserRole.EDUCATOR})

# (label, path, roles that see it); colleagues append to this list from their route modules.
NAV: list[NavItem] = [
    ("Dashboard", "/", _ALL),
    ("Encounters", "/encounters", _UPLOADERS | {UserRole.PATIENT}),
    ("Upload", "/encounters/new", _UPLOADERS),
    ("Trends", "/trends", _UPLOADERS),
    ("Team", "/team", frozenset({UserRole.EDUCATOR})),
    ("Research", "/research", frozenset({UserRole.RESEARCHER, UserRole.ADMIN})),
    ("Accounts", "/admin/users", frozenset({UserRole.ADMIN})),
    ("Audit log", "/admin/audit", frozenset({UserRole.ADMIN})),
    ("Account", "/account", _ALL),
]

templates = Jinja2Templates(directory=str(files("bedside.web") / "templates"))


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _number(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _when(value: datetime | None) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


templates.env.filters["percent"] = _percent
templates.env.filters["number"] = _number
templates.env.filters["when"] = _when


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    user: User | None = None,
) -> Response:
    """Render a page with the CSRF token, the caller and the navigation for their role."""
    user = user if user is not None else getattr(request.state, "user", None)
    nav = [(label, path) for label, path, roles in NAV if user is not None and user.user_role in roles]
    token = getattr(request.state, "csrf_token", "")
    values: dict[str, Any] = {
        "user": user,
        "nav": nav,
        "csrf_token": token,
        "csrf_field": Markup('<input type="hidden" name="csrf_token" value="{}">').format(token),
        "path": request.url.path,
    }
    values.update(context or {})
    return templates.TemplateResponse(request, name, values, status_code=status_code)
