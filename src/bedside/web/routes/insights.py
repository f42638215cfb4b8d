"""Trends over time for a clinician, the team view for coaches, aggregates for researchers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from bedside.db.tables import User, UserRole
from bedside.services import access, insights
from bedside.web.charts import line_chart
from bedside.web.deps import CurrentUser, SessionDep, client_ip, require_roles
from bedside.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/trends")
def trends(
    request: Request,
    session: SessionDep,
    viewer: Annotated[User, Depends(require_roles(*access.TREND_ROLES))],
    user: int | None = None,
) -> Any:
    """Score, talk share and missed opportunities over time, as charts and as a table."""
    subject, points = insights.trends(session, viewer, user, ip=client_ip(request))
    labels = [p.at.strftime("%d %b") for p in points]
    charts = [
        line_chart([p.score for p in points], title="Compassion score (0–100)", y_max=100,
                   labels=labels),
        line_chart(
            [None if p.clinician_share is None else round(p.clinician_share * 100, 1) for p in points],
            title="Clinician talk share (%)", y_max=100, labels=labels, colour="#7a3e9d",
        ),
        line_chart([p.missed for p in points], title="Missed empathic opportunities",
                   y_max=max([p.missed for p in points] + [4]), labels=labels, colour="#b5461f",
                   bars=True),
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
