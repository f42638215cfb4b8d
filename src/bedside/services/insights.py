"""Trends, team views and de-identified aggregates, computed from the summary columns only.

None of these read transcripts: they use the score, talk share and cue counts copied out of each
analysis when it was stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean

from sqlalchemy import select
from sqlalchemy.orm import Session

from bedside.db import repos
from bedside.db.tables import Encounter, User
from bedside.errors import NotFound, PermissionDenied
from bedside.services import access, audit

__all__ = [
    "MIN_CELL",
    "AggregateRow",
    "MemberSummary",
    "TeamCohort",
    "TrendPoint",
    "aggregates",
    "team",
    "trends",
]

MIN_CELL = 5  # groups smaller than this are suppressed in aggregates (small-cell disclosure rule)


@dataclass(frozen=True)
class TrendPoint:
    """One encounter on a clinician's timeline."""

    encounter_id: int
    at: datetime
    title: str
    score: int | None
    clinician_share: float | None
    cues: int
    missed: int


def trends(
    session: Session, viewer: User, subject_id: int | None = None, *, ip: str | None = None
) -> tuple[User, list[TrendPoint]]:
    """A clinician's encounters over time (oldest first); audited as `trends.view`."""
    subject = viewer if subject_id is None else repos.organisation_user(
        session, subject_id, organisation_id=viewer.organisation_id
    )
    if subject is None:
        raise NotFound(f"no account {subject_id}")
    if not access.can_see_trends_of(session, viewer, subject):
        if viewer.user_role not in access.TREND_ROLES:
            raise PermissionDenied(f"a {viewer.role} account has no trends")
        raise NotFound(f"no account {subject_id}")
    rows = session.scalars(
        select(Encounter)
        .where(Encounter.owner_id == subject.id)
        .order_by(Encounter.created_at, Encounter.id)
        .limit(500)
    ).all()
    audit.record(session, viewer, "trends.view", f"user:{subject.id}", ip=ip)
    session.commit()
    return subject, [
        TrendPoint(e.id, e.created_at, e.title, e.score, e.clinician_share, e.cues, e.missed)
        for e in rows
    ]


@dataclass(frozen=True)
class MemberSummary:
    """How one cohort member is doing, over all their encounters."""

    user_id: int
    name: str
    role: str
    encounters: int
    mean_score: float | None
    mean_clinician_share: float | None
    missed_rate: float | None
    last_at: datetime | None


@dataclass(frozen=True)
class TeamCohort:
    """One cohort an educator follows, with a summary per member."""

    cohort_id: int
    name: str
    members: list[MemberSummary]


def _mean(values: Sequence[float | int | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return fmean(present) if present else None


def _member_summary(member: User, rows: Sequence[Encounter]) -> MemberSummary:
    cues = sum(e.cues for e in rows)
    return MemberSummary(
        user_id=member.id,
        name=member.display_name,
        role=member.role,
        encounters=len(rows),
        mean_score=_mean([e.score for e in rows]),
        mean_clinician_share=_mean([e.clinician_share for e in rows]),
        missed_rate=(sum(e.missed for e in rows) / cues) if cues else None,
        last_at=max((e.created_at for e in rows), default=None),
    )


def team(session: Session, educator: User, *, ip: str | None = None) -> list[TeamCohort]:
    """The educator's cohorts with each member's summary; audited as `team.view`."""
    if educator.user_role is not access.UserRole.EDUCATOR:
        raise PermissionDenied("only an educator follows a team")
    cohorts = []
    for cohort in repos.cohorts_of_educator(session, educator):
        members = repos.members_of_cohort(
            session, cohort.id, organisation_id=educator.organisation_id
        )
        by_owner: dict[int, list[Encounter]] = defaultdict(list)
        if members:
            for encounter in session.scalars(
                select(Encounter).where(Encounter.owner_id.in_([m.id for m in members]))
            ):
                by_owner[encounter.owner_id].append(encounter)
        cohorts.append(
            TeamCohort(
                cohort.id, cohort.name, [_member_summary(m, by_owner[m.id]) for m in members]
            )
        )
    audit.record(session, educator, "team.view", "cohort", ip=ip, detail=f"cohorts={len(cohorts)}")
    session.commit()
    return cohorts


@dataclass(frozen=True)
class AggregateRow:
    """De-identified figures for one month; `suppressed` when fewer than `MIN_CELL` encounters."""

    month: str
    encounters: int
    mean_score: float | None
    mean_clinician_share: float | None
    missed_rate: float | None
    suppressed: bool


def aggregates(session: Session, viewer: User, *, ip: str | None = None) -> list[AggregateRow]:
    """Monthly aggregates over the organisation: counts and means only, small cells suppressed."""
    if viewer.user_role not in access.AGGREGATE_ROLES:
        raise PermissionDenied(f"a {viewer.role} account cannot see research aggregates")
    rows = session.execute(
        select(
            Encounter.created_at, Encounter.score, Encounter.clinician_share, Encounter.cues,
            Encounter.missed,
        ).where(Encounter.organisation_id == viewer.organisation_id)
    ).all()
    months: dict[str, list[tuple[int | None, float | None, int, int]]] = defaultdict(list)
    for created_at, score, share, cues, missed in rows:
        months[created_at.strftime("%Y-%m")].append((score, share, cues, missed))
    result = []
    for month in sorted(months):
        group = months[month]
        if len(group) < MIN_CELL:
            result.append(AggregateRow(month, len(group), None, None, None, True))
            continue
        cues = sum(g[2] for g in group)
        result.append(
            AggregateRow(
                month,
                len(group),
                _mean([g[0] for g in group]),
                _mean([g[1] for g in group]),
                (sum(g[3] for g in group) / cues) if cues else None,
                False,
            )
        )
    audit.record(session, viewer, "aggregates.view", "encounter", ip=ip)
    session.commit()
    return result
