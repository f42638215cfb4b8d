"""Patient check-ins (`/checkins`), the care team's view (`/care`) and the FHIR export API.

Routes parse the form, call one service function and render. A safety flag raised by a check-in
or a message is answered on the same response with crisis resources for the patient; the urgent
task appears on the clinician's `/care` page at once (it is committed before the response).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bedside.db.tables import User, UserRole
from bedside.errors import NotFound, ScoringError
from bedside.instruments import (
    crisis_resources,
    get_instrument,
    get_social_needs_tool,
    render_patient_plan,
    what_matters_prompts,
)
from bedside.services import access, audit, careplans, checkins, grants
from bedside.web.charts import line_chart
from bedside.web.deps import CurrentUser, RecordId, SessionDep, client_ip, require_roles
from bedside.web.forms import PostedForm
from bedside.web.templating import render, templates

router = APIRouter()

NAV = [
    ("Check-in", "/checkins", frozenset({UserRole.PATIENT})),
    ("Care team", "/care", frozenset({UserRole.CLINICIAN})),
]

Patient = Annotated[User, Depends(require_roles(UserRole.PATIENT))]
Clinician = Annotated[User, Depends(require_roles(UserRole.CLINICIAN))]


@router.get("/checkins/care.css", include_in_schema=False)
def stylesheet() -> Response:
    """This area's styles (the CSP allows only same-origin stylesheets, no inline styles)."""
    css = templates.env.get_template("checkins/care.css").render()
    return Response(css, media_type="text/css", headers={"cache-control": "max-age=3600"})


def _charts(history: list[Any]) -> list[Any]:
    """One chart per instrument the patient has filled, of its total (or WHO-5 percentage)."""
    charts = []
    for instrument_id in checkins.CHECKIN_INSTRUMENTS:
        points = [c for c in history if c.instrument == instrument_id]
        if not points:
            continue
        instrument = get_instrument(instrument_id)
        who5 = instrument.percentage_multiplier is not None
        values = [(c.percentage if who5 else c.total) for c in points]
        top = instrument.max_total * (instrument.percentage_multiplier or 1)
        charts.append(
            line_chart(
                values,
                title=f"{instrument.short_title} {'percentage' if who5 else 'total'} over time",
                y_max=top,
                y_label="%" if who5 else "points",
                labels=[c.created_at.strftime("%d %b") for c in points],
            )
        )
    return charts


# ----- patient pages ---------------------------------------------------------------------------


@router.get("/checkins", include_in_schema=False)
def patient_home(request: Request, session: SessionDep, user: Patient) -> Any:
    """The patient's check-in page: questionnaires, history chart, message box, what matters."""
    history = list(checkins.checkin_history(session, user))
    voice = checkins.latest_voice(session, user.id)
    audit.read(session, user, "checkin.history_view", f"user:{user.id}", ip=client_ip(request),
               detail=f"checkins={len(history)}")
    return render(
        request,
        "checkins/home.html",
        {
            "instruments": [get_instrument(i) for i in checkins.CHECKIN_INSTRUMENTS],
            "history": list(reversed(history)),
            "charts": _charts(history),
            "voice": voice,
            "prompts": what_matters_prompts(),
            "has_plan": careplans.signed_plan_for_patient(session, user) is not None,
            "notice": request.query_params.get("done"),
            "team": grants.team_members(session, user),
        },
    )


@router.get("/checkins/new/{instrument_id}", include_in_schema=False)
def checkin_form(request: Request, user: Patient, instrument_id: str) -> Any:
    """One questionnaire on a phone-sized page."""
    if instrument_id not in checkins.CHECKIN_INSTRUMENTS:
        raise NotFound("no such questionnaire")
    return render(
        request, "checkins/form.html", {"instrument": get_instrument(instrument_id), "error": None}
    )


@router.post("/checkins/new/{instrument_id}", include_in_schema=False)
def submit(
    request: Request, session: SessionDep, user: Patient, instrument_id: str, form: PostedForm
) -> Any:
    """Score and store; a safety flag shows crisis resources on this very response."""
    if instrument_id not in checkins.CHECKIN_INSTRUMENTS:
        raise NotFound("no such questionnaire")
    instrument = get_instrument(instrument_id)
    answers: list[int | None] = []
    try:
        for number in range(1, len(instrument.items) + 1):
            raw = str(form.get(f"item{number}", "")).strip()
            answers.append(int(raw) if raw else None)
        result = checkins.submit_checkin(
            session, user, instrument_id, answers, ip=client_ip(request)
        )
    except (ValueError, ScoringError) as error:
        message = (
            str(error)
            if isinstance(error, ScoringError)
            else "Please choose one of the answers given."
        )
        return render(
            request,
            "checkins/form.html",
            {"instrument": instrument, "error": message},
            status_code=400,
        )
    return render(request, "checkins/result.html", {"instrument": instrument, "result": result})


@router.get("/checkins/social", include_in_schema=False)
def social_form(request: Request, user: Patient) -> Any:
    """The AHC HRSN social-needs questions (every question optional)."""
    return render(request, "checkins/social.html", {"tool": get_social_needs_tool(), "error": None})


@router.post("/checkins/social", include_in_schema=False)
def social_submit(request: Request, session: SessionDep, user: Patient, form: PostedForm) -> Any:
    """Screen social needs; a positive interpersonal-safety screen escalates like a safety flag."""
    tool = get_social_needs_tool()
    answers: dict[str, str | list[str]] = {}
    for item in tool.items:
        chosen = [str(value) for value in form.getlist(item.id) if str(value)]
        if chosen:
            answers[item.id] = chosen if item.multiple else chosen[0]
    try:
        needs, result = checkins.submit_social_needs(session, user, answers, ip=client_ip(request))
    except ScoringError as error:
        return render(
            request, "checkins/social.html", {"tool": tool, "error": str(error)}, status_code=400
        )
    return render(
        request, "checkins/social_done.html", {"tool": tool, "needs": needs, "result": result}
    )


@router.post("/checkins/message", include_in_schema=False)
def message(
    request: Request,
    session: SessionDep,
    user: Patient,
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Any:
    """A free-text message to the care team; risk phrases escalate like a safety flag."""
    scorer = getattr(request.app.state, "emotion_scores", None)
    try:
        result = checkins.send_message(
            session, user, text, emotion_scores=scorer, ip=client_ip(request)
        )
    except ScoringError as error:
        return render(
            request,
            "checkins/message_sent.html",
            {"result": None, "error": str(error)},
            status_code=400,
        )
    return render(request, "checkins/message_sent.html", {"result": result, "error": None})


@router.post("/checkins/voice", include_in_schema=False)
def voice(request: Request, session: SessionDep, user: Patient, form: PostedForm) -> Any:
    """What matters to you, and your goals (one per line)."""
    goals = str(form.get("goals", "")).splitlines()
    checkins.save_voice(
        session, user, str(form.get("what_matters", "")), goals, ip=client_ip(request)
    )
    return RedirectResponse("/checkins?done=voice", status_code=303)


@router.get("/checkins/plan", include_in_schema=False)
def patient_plan(request: Request, session: SessionDep, user: Patient) -> Any:
    """The signed care plan in plain language, ready to print."""
    record = careplans.signed_plan_for_patient(session, user)
    text = render_patient_plan(careplans.plan_of(record)) if record is not None else None
    subject = f"care_plan:{record.id}" if record is not None else "care_plan"
    audit.read(session, user, "careplan.patient_view", subject, ip=client_ip(request))
    return render(request, "checkins/plan.html", {"plan_text": text})


@router.get("/checkins/crisis", include_in_schema=False)
def crisis(request: Request, user: CurrentUser) -> Any:
    """Crisis resources, always one tap away."""
    return render(request, "checkins/crisis.html", {"crisis": crisis_resources()})


# ----- care team pages -------------------------------------------------------------------------


@router.get("/care", include_in_schema=False)
def care_home(request: Request, session: SessionDep, user: Clinician) -> Any:
    """Urgent tasks first, then open safety flags, then patients with their latest scores."""
    checkins.reconcile_tasks(session, user.organisation_id)
    flags = checkins.open_flags(session, user)
    tasks = checkins.open_tasks(session, user)
    patients = checkins.care_patients(session, user)
    names = checkins.patient_names(session, [flag.patient_id for flag in flags])
    audit.read(session, user, "care.view", "care_task", ip=client_ip(request),
               detail=f"tasks={len(tasks)} flags={len(flags)} patients={len(patients)}")
    return render(
        request,
        "checkins/care.html",
        {"tasks": tasks, "flags": flags, "names": names, "patients": patients, "error": None},
    )


@router.post("/care/patients", include_in_schema=False)
def assign(
    request: Request,
    session: SessionDep,
    user: Clinician,
    email: Annotated[str, Form(max_length=320)],
) -> Any:
    """Refused (403): no clinician takes a patient on by themselves (issue 11, finding 5).

    An admin (`/admin/access`) or a clinician on the patient's care team (the patient's page)
    adds them; the refused attempt is audited.
    """
    grants.refuse_self_grant(session, user, ip=client_ip(request))


@router.get("/care/patients/{patient_id}", include_in_schema=False)
def care_patient(request: Request, session: SessionDep, user: Clinician, patient_id: RecordId) -> Any:
    """One patient: trends, flags, messages, what matters and the care plan (edit and sign)."""
    patient = checkins.patient_for_care(session, user, patient_id)
    history = list(checkins.checkin_history(session, patient))
    emergency = access.through_break_glass(session, user, patient)
    viewed = "access.break_glass_view" if emergency else "care.patient_view"
    audit.read(session, user, viewed, f"user:{patient.id}", ip=client_ip(request))
    record = careplans.current_plan(session, patient.id)
    return render(
        request,
        "checkins/patient.html",
        {
            "patient": patient,
            "history": list(reversed(history)),
            "charts": _charts(history),
            "messages": checkins.patient_messages(session, patient.id),
            "voice": checkins.latest_voice(session, patient.id),
            "record": record,
            "plan": careplans.plan_of(record) if record is not None else None,
            "flags": [f for f in checkins.open_flags(session, user) if f.patient_id == patient.id],
            "team": grants.team_members(session, patient),
            "may_manage_team": grants.may_manage_team(session, user, patient),
        },
    )


@router.post("/care/tasks/{task_id}/done", include_in_schema=False)
def task_done(request: Request, session: SessionDep, user: Clinician, task_id: RecordId) -> Any:
    """Mark a task done."""
    checkins.complete_task(session, user, task_id, ip=client_ip(request))
    return RedirectResponse("/care", status_code=303)


@router.post("/care/flags/{flag_id}/resolve", include_in_schema=False)
def flag_resolve(request: Request, session: SessionDep, user: Clinician, flag_id: RecordId) -> Any:
    """Resolve a safety flag once acted on (it stays on record)."""
    checkins.resolve_flag(session, user, flag_id, ip=client_ip(request))
    return RedirectResponse("/care", status_code=303)


@router.post("/care/patients/{patient_id}/plan", include_in_schema=False)
def plan_draft(request: Request, session: SessionDep, user: Clinician, patient_id: RecordId) -> Any:
    """Draft (or redraft) the care plan from the rules."""
    careplans.draft_plan(session, user, patient_id, ip=client_ip(request))
    return RedirectResponse(f"/care/patients/{patient_id}#plan", status_code=303)


@router.post("/care/patients/{patient_id}/plan/edit", include_in_schema=False)
def plan_edit(
    request: Request, session: SessionDep, user: Clinician, patient_id: RecordId, form: PostedForm
) -> Any:
    """Save the clinician's edits (goals and actions one per line)."""
    careplans.edit_plan(
        session,
        user,
        patient_id,
        what_matters=str(form.get("what_matters", "")),
        goals=str(form.get("goals", "")).splitlines(),
        actions=str(form.get("actions", "")).splitlines(),
        ip=client_ip(request),
    )
    return RedirectResponse(f"/care/patients/{patient_id}#plan", status_code=303)


@router.post("/care/patients/{patient_id}/plan/sign", include_in_schema=False)
def plan_sign(request: Request, session: SessionDep, user: Clinician, patient_id: RecordId) -> Any:
    """Sign the draft plan; the patient then sees it."""
    careplans.sign_plan(session, user, patient_id, ip=client_ip(request))
    return RedirectResponse(f"/care/patients/{patient_id}#plan", status_code=303)


@router.get("/care/patients/{patient_id}/fhir.json", include_in_schema=False)
def fhir_download(request: Request, session: SessionDep, user: Clinician, patient_id: RecordId) -> Any:
    """Download the patient's FHIR R4 Bundle (audited)."""
    bundle = careplans.fhir_bundle(session, user, patient_id, ip=client_ip(request))
    return JSONResponse(
        bundle,
        media_type="application/fhir+json",
        headers={"content-disposition": f'attachment; filename="patient-{patient_id}-fhir.json"'},
    )


@router.get(
    "/api/v1/patients/{patient_id}/fhir",
    tags=["fhir"],
    summary="FHIR R4 Bundle of a patient's check-ins and care plan",
    response_class=JSONResponse,
    responses={
        200: {"content": {"application/fhir+json": {"schema": {"type": "object"}}},
              "description": "A FHIR R4 Bundle (type collection)"},
        401: {"description": "No or invalid bearer token"},
        404: {"description": "No such patient, or not one you may see"},
    },
)
def fhir_api(
    request: Request, session: SessionDep, user: CurrentUser, patient_id: RecordId
) -> JSONResponse:
    """QuestionnaireResponses, Observations (LOINC), CarePlan, Goals and ServiceRequests, validated."""
    if user.user_role not in (UserRole.CLINICIAN, UserRole.PATIENT):
        raise NotFound("no such patient")
    bundle = careplans.fhir_bundle(session, user, patient_id, ip=client_ip(request))
    return JSONResponse(bundle, media_type="application/fhir+json")
