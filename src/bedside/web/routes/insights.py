"""Trends over time for a clinician, the team view for coaches, aggregates for researchers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from bedside.db.tables import User, UserRole
from bedside.services import access, insights
from bedside.web.charts import line_chart
from bedside.web.deps import CurrentUser, OptionalUserId, SessionDep, client_ip, require_roles
from bedside.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/trends")
def trends(
    request: Request,
    session: SessionDep,
    viewer: Annotated[User, Depends(require_roles(*access.TREND_ROLES))],
    user: OptionalUserId = None,
) -> Any:
    """Score, talk share and missed opportunities over time, as charts and as a table."""
    subject, points = insights.trends(session, viewer, user, ip=client_ip(request))
    labels = [p.at.strftime("%d %b") for p in points]
    charts = [
        (title, line_chart(values, title=title, y_max=y_max, labels=labels, colour=colour, bars=bars))
        for title, values, y_max, colour, bars in (
            ("Compassion score (0–100)", [p.score for p in points], 100, "#1f5f8b", False),
            ("Clinician talk share (%)",
             [None if p.clinician_share is None else round(p.clinician_share * 100, 1) for p in points],
             100, "#7a3e9d", False),
            ("Missed empathic opportunities", [p.missed for p in points],
             max([p.missed for p in points] + [4]), "#b5461f", True),
        )
    ]
    return render(request, "trends.html", {"subject": subject, "points": points, "charts": charts})


@router.get("/team")
def team(
    request: Request,
    session: SessionDep,
    educator: Annotated[User, Depends(require_roles(UserRole.EDUCATOR))],
) -> Any:
    """The cohorts an educator coaches, one row per member."""
    return render(request, "team.html", {"cohorts": insights.team(session, educator, ip=client_ip(request))})


@router.get("/research")
def research(request: Request, session: SessionDep, user: CurrentUser) -> Any:
    """De-identified monthly aggregates (no transcript, no names)."""
    rows = insights.aggregates(session, user, ip=client_ip(request))
    return render(request, "research.html", {"rows": rows, "min_cell": insights.MIN_CELL})
