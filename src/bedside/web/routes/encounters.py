"""Encounter pages: list, upload, report, share, and exports (HTML report, analysis JSON).

An upload answers at once: the file is read (under its time limit) and the analysis queued as a
job; the progress page polls the job with htmx and turns into the report when it is done.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from markupsafe import Markup

from bedside.db.tables import Encounter, User
from bedside.errors import FormatError, PermissionDenied
from bedside.report import render_html_body, validity_line
from bedside.services import access, encounters
from bedside.services.jobs import JobRunner, JobView
from bedside.web.deps import CurrentUser, RecordId, SessionDep, client_ip, require_roles
from bedside.web.templating import render, templates

router = APIRouter(include_in_schema=False)

class ReportBodies:
    """Rendered report bodies, most recently used kept: a stored analysis never changes, and
    rendering a long transcript is most of the report page's time. One cache per app."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._bodies: OrderedDict[tuple[int, str], Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, encounter: Encounter) -> Markup:
        """The report body of this encounter, rendered once."""
        key = (encounter.id, encounter.created_at.isoformat())
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
                return body
        body = render_report_body(encounter)
        with self._lock:
            self._bodies[key] = body
            while len(self._bodies) > self.size:
                self._bodies.popitem(last=False)
        return body


def render_report_body(encounter: Encounter) -> Markup:
    """The HTML report's own body (`bedside.report`: timeline, score parts with their maxima,
    skills, the score's validity line), so the web page shows what the downloaded report shows.
    A stored analysis too old to parse falls back to the summary template."""
    report = encounters.report_of(encounter)
    if report is not None:
        # autoescaped by the report's own Jinja environment
        return Markup(render_html_body(report))
    template = templates.env.get_template("encounters/_report_body.html")
    return Markup(template.render(analysis=encounter.analysis, validity=validity_line()))


def _report_body(request: Request, encounter: Encounter) -> Markup:
    cache = getattr(request.app.state, "report_bodies", None)
    if cache is None:
        cache = request.app.state.report_bodies = ReportBodies()
    return cache.get(encounter)


Uploader = Annotated[User, Depends(require_roles(*access.UPLOAD_ROLES))]
PAGE = 20


@router.get("/encounters")
def list_encounters(request: Request, session: SessionDep, user: CurrentUser, page: int = 1) -> Any:
    """The encounters you may open; htmx asks for just the rows of the next page."""
    page = max(1, min(page, 10_000))
    result = encounters.list_page(
        session, user, offset=(page - 1) * PAGE, limit=PAGE, ip=client_ip(request)
    )
    context = {"page": result, "number": page, "more": result.offset + PAGE < result.total}
    if request.headers.get("hx-request"):
        return render(request, "_fragments/encounter_rows.html", context)
    return render(request, "encounters/list.html", context)


@router.get("/encounters/new")
def upload_form(request: Request, user: Uploader) -> Any:
    """The upload form."""
    return render(request, "encounters/new.html", {"error": None, "limit": encounters.MAX_UPLOAD_BYTES})


def _jobs(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


@router.post("/encounters")
def upload(
    request: Request,
    session: SessionDep,
    user: Uploader,
    files: Annotated[list[UploadFile], File()],
    title: Annotated[str, Form(max_length=200)] = "",
    patient_email: Annotated[str, Form(max_length=320)] = "",
) -> Any:
    """Read the upload and queue its analysis; a reader's error is shown on the form at once."""
    uploads = [encounters.Upload(name=f.filename or "upload", data=f.file.read()) for f in files]
    try:
        job, _ = _jobs(request).submit(
            session, user, uploads, title=title, patient_email=patient_email, ip=client_ip(request)
        )
    except (FormatError, PermissionDenied) as error:
        session.rollback()
        return render(
            request, "encounters/new.html",
            {"error": str(error), "limit": encounters.MAX_UPLOAD_BYTES, "title": title,
             "patient_email": patient_email},
            # a refused patient link (not on their care team) is a 403, a bad file a 400
            status_code=403 if isinstance(error, PermissionDenied) else 400,
        )
    return RedirectResponse(f"/encounters/jobs/{job.id}", status_code=303)


def _job_answer(request: Request, job: JobView, template: str) -> Any:
    if job.encounter_id is not None and not request.headers.get("hx-request"):
        return RedirectResponse(f"/encounters/{job.encounter_id}", status_code=303)
    response = render(request, template, {"job": job})
    if job.encounter_id is not None:
        response.headers["hx-redirect"] = f"/encounters/{job.encounter_id}"
    return response


@router.get("/encounters/jobs/{job_id}")
def job_page(request: Request, session: SessionDep, user: Uploader, job_id: RecordId) -> Any:
    """The upload's progress; the report itself once the analysis is stored."""
    return _job_answer(request, _jobs(request).status(session, user, job_id), "encounters/job.html")


@router.get("/encounters/jobs/{job_id}/status")
def job_status(request: Request, session: SessionDep, user: Uploader, job_id: RecordId) -> Any:
    """The progress box htmx polls; when done, `HX-Redirect` takes the page to the report."""
    job = _jobs(request).status(session, user, job_id)
    return _job_answer(request, job, "_fragments/job_status.html")


@router.get("/encounters/{encounter_id}")
def report(request: Request, session: SessionDep, user: CurrentUser, encounter_id: RecordId) -> Any:
    """The encounter report: score, balance, opportunities and the labelled transcript."""
    encounter = encounters.get(session, user, encounter_id, ip=client_ip(request))
    return render(
        request, "encounters/report.html",
        {"encounter": encounter, "body": _report_body(request, encounter),
         "can_share": access.can_share(user, encounter), "shared": None, "share_error": None},
    )


@router.post("/encounters/{encounter_id}/share")
def share(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    encounter_id: RecordId,
    email: Annotated[str, Form(max_length=320)],
    consent: Annotated[bool, Form()] = False,
) -> Any:
    """Share with a colleague (with the patient's consent, if one is linked); htmx swaps in the box."""
    shared, error, status = None, None, 200
    try:
        shared = encounters.share(
            session, user, encounter_id, email, patient_consent=consent, ip=client_ip(request)
        )
    except PermissionDenied as denied:
        error, status = str(denied), 403
    context = {"encounter_id": encounter_id, "shared": shared, "share_error": error,
               "can_share": True}
    if request.headers.get("hx-request"):
        return render(request, "_fragments/share.html", context, status_code=status)
    if error:
        return render(request, "error.html", {"status": status, "message": error}, status_code=status)
    return RedirectResponse(f"/encounters/{encounter_id}", status_code=303)


@router.get("/encounters/{encounter_id}/report.html")
def export_html(request: Request, session: SessionDep, user: CurrentUser, encounter_id: RecordId) -> Any:
    """Download the self-contained HTML report (audited as an export)."""
    encounter = encounters.get(session, user, encounter_id, action="export", ip=client_ip(request))
    html = encounters.export_html(encounter)
    if html is None:
        page = render(
            request, "encounters/standalone.html",
            {"encounter": encounter, "analysis": encounter.analysis, "validity": validity_line()},
        )
        html = bytes(page.body).decode()
    return HTMLResponse(
        html,
        headers={"content-disposition": f'attachment; filename="encounter-{encounter.id}.html"'},
    )


@router.get("/encounters/{encounter_id}/analysis.json")
def export_json(request: Request, session: SessionDep, user: CurrentUser, encounter_id: RecordId) -> Any:
    """Download the analysis JSON (`bedside.analysis/1`), audited as an export."""
    encounter = encounters.get(session, user, encounter_id, action="export", ip=client_ip(request))
    return JSONResponse(
        encounter.analysis,
        headers={"content-disposition": f'attachment; filename="encounter-{encounter.id}.json"'},
    )
