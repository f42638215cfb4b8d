"""The JSON API under `/api/v1`: same services, same permissions as the pages.

Authenticate with `Authorization: Bearer <token>` (tokens are made on the Account page).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bedside.db.tables import Encounter, User
from bedside.db.tables_jobs import JobStatus
from bedside.services import access, encounters, insights
from bedside.services.jobs import JobRunner, JobView
from bedside.web.deps import CurrentUser, RecordId, SessionDep, client_ip, require_roles

router = APIRouter(prefix="/api/v1", tags=["api"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid bearer token"},
    403: {"description": "Your role may not do this"},
}


class Me(BaseModel):
    """The caller."""

    id: int
    email: str
    display_name: str
    role: str


class EncounterSummary(BaseModel):
    """An encounter without its transcript."""

    id: int
    title: str
    source_name: str
    created_at: datetime
    owner_id: int
    turn_count: int
    score: int | None
    clinician_share: float | None
    cues: int
    missed: int


class EncounterList(BaseModel):
    """One page of encounters."""

    items: list[EncounterSummary]
    total: int
    offset: int
    limit: int


class AggregateMonth(BaseModel):
    """De-identified figures for one month (small cells suppressed)."""

    month: str
    encounters: int
    mean_score: float | None
    mean_clinician_share: float | None
    missed_rate: float | None
    suppressed: bool


class Job(BaseModel):
    """An upload's analysis: `queued`, `running`, `done` (with its encounter) or `failed`."""

    id: int
    status: str
    progress: int
    error: str | None
    encounter_id: int | None


def _job(view: JobView) -> Job:
    return Job(id=view.id, status=view.status.value, progress=view.progress, error=view.error,
               encounter_id=view.encounter_id)


def _summary(encounter: Encounter) -> EncounterSummary:
    return EncounterSummary(
        id=encounter.id, title=encounter.title, source_name=encounter.source_name,
        created_at=encounter.created_at, owner_id=encounter.owner_id,
        turn_count=encounter.turn_count, score=encounter.score,
        clinician_share=encounter.clinician_share, cues=encounter.cues, missed=encounter.missed,
    )


@router.get("/me", responses=ERRORS)
def me(user: CurrentUser) -> Me:
    """Who the token belongs to."""
    return Me(id=user.id, email=user.email, display_name=user.display_name, role=user.role)


@router.get("/encounters", responses=ERRORS)
def list_encounters(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> EncounterList:
    """The encounters you may open, newest first."""
    result = encounters.list_page(session, user, offset=offset, limit=limit, ip=client_ip(request))
    return EncounterList(
        items=[_summary(e) for e in result.items], total=result.total, offset=result.offset,
        limit=result.limit,
    )


@router.post(
    "/encounters", status_code=201,
    responses={**ERRORS, 400: {"description": "A file could not be read (file:line: what)"},
               500: {"description": "The analysis failed; nothing was stored"},
               503: {"description": "The server or database is busy; try again"}},
)
def create_encounter(
    request: Request,
    session: SessionDep,
    user: Annotated[User, Depends(require_roles(*access.UPLOAD_ROLES))],
    files: Annotated[list[UploadFile], File(description="One transcript, or several to merge")],
    title: Annotated[str, Form(max_length=200)] = "",
    patient_email: Annotated[str, Form(max_length=320)] = "",
) -> EncounterSummary:
    """Upload and analyse one consultation (several files are merged onto one timeline).

    The answer waits for the analysis, which runs in the same bounded worker pool as web uploads.
    """
    runner: JobRunner = request.app.state.jobs
    uploads = [encounters.Upload(name=f.filename or "upload", data=f.file.read()) for f in files]
    _, future = runner.submit(
        session, user, uploads, title=title, patient_email=patient_email, ip=client_ip(request)
    )
    job = future.result()
    encounter = session.get(Encounter, job.encounter_id) if job.encounter_id else None
    if job.status is not JobStatus.DONE or encounter is None:
        raise HTTPException(status_code=500, detail=job.error or "the analysis failed")
    return _summary(encounter)


@router.get("/jobs/{job_id}", responses={**ERRORS, 404: {"description": "Not found"}})
def get_job(request: Request, session: SessionDep, user: CurrentUser, job_id: RecordId) -> Job:
    """One of your uploads' analysis jobs (the web upload's progress page polls the same)."""
    runner: JobRunner = request.app.state.jobs
    return _job(runner.status(session, user, job_id))


@router.get("/encounters/{encounter_id}", responses={**ERRORS, 404: {"description": "Not found"}})
def get_encounter(
    request: Request, session: SessionDep, user: CurrentUser, encounter_id: RecordId
) -> EncounterSummary:
    """One encounter's summary."""
    return _summary(encounters.get(session, user, encounter_id, ip=client_ip(request)))


@router.get(
    "/encounters/{encounter_id}/analysis", response_model=dict[str, Any],
    responses={**ERRORS, 404: {"description": "Not found"}},
)
def get_analysis(
    request: Request, session: SessionDep, user: CurrentUser, encounter_id: RecordId
) -> JSONResponse:
    """The analysis JSON (`bedside.analysis/1`, see contracts.md)."""
    encounter = encounters.get(session, user, encounter_id, action="export", ip=client_ip(request))
    # Encoded here, in the worker thread: FastAPI would encode a returned dict on the event loop.
    return JSONResponse(dict(encounter.analysis))


@router.get("/aggregates", responses=ERRORS)
def aggregates(request: Request, session: SessionDep, user: CurrentUser) -> list[AggregateMonth]:
    """De-identified monthly aggregates (researchers and admins)."""
    rows = insights.aggregates(session, user, ip=client_ip(request))
    return [AggregateMonth(**row.__dict__) for row in rows]
