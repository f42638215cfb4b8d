"""The training simulator on the web: play (learners), progress, cohorts (educators), case studies.

Routes parse the form, call one `bedside.services.training` function and render. Replies are
posted with htmx and answered with the play fragment (the person's answer and the feedback); the
same forms work without JavaScript through a redirect.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from bedside.db.tables import User, UserRole
from bedside.errors import ModelError, ScenarioError
from bedside.services import audit, cohort_membership, training
from bedside.simulator import SKILLS, shipped_scenarios
from bedside.web.charts import line_chart
from bedside.web.deps import RecordId, SessionDep, client_ip, require_roles
from bedside.web.templating import render

router = APIRouter(include_in_schema=False)

_PLAYERS = frozenset(training.PLAYERS)
NAV = [
    ("Practice", "/training", _PLAYERS),
    ("Case studies", "/training/cases", _PLAYERS),
    ("Cohorts", "/training/cohorts", frozenset({UserRole.EDUCATOR})),
]

Player = Annotated[User, Depends(require_roles(*training.PLAYERS))]
Educator = Annotated[User, Depends(require_roles(UserRole.EDUCATOR))]

_SKILL_LABELS = {
    "emotional_reactions": "Emotional reactions",
    "interpretations": "Interpretations",
    "explorations": "Explorations",
    "open_questions": "Open questions",
    "missed_cues": "Missed cues",
}


@cache
def _default_assessor() -> training.ReplyAssessor:
    """The shipped models when they load, rules only otherwise (loaded once per process)."""
    try:
        return training.load_assessor(models=True)
    except ModelError:
        return training.load_assessor(models=False)


def _assessor(request: Request) -> training.ReplyAssessor:
    configured = getattr(request.app.state, "training_assessor", None)
    return configured if isinstance(configured, training.ReplyAssessor) else _default_assessor()


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


# ----- learner: practice, history, progress ----------------------------------------------------


@router.get("/training")
def home(request: Request, session: SessionDep, user: Player) -> Any:
    """Scenarios to play (assigned ones first), the learner's history and skills chart."""
    history = training.learner_history(session, user)
    assigned = set(training.assigned_scenarios(session, user))
    scenarios = sorted(shipped_scenarios(), key=lambda s: (s.id not in assigned, s.title))
    series = training.skill_series(history)
    finished = [a for a in history if a.status == "finished"]
    charts = []
    if finished:
        labels = [str(n) for n in range(1, len(series[training.CHART_SKILLS[0]]) + 1)]
        for skill in training.CHART_SKILLS:
            charts.append(
                (
                    f"{_SKILL_LABELS[skill]} (% of replies, by attempt)",
                    line_chart(
                        [v * 100 for v in series[skill]],
                        title=f"{_SKILL_LABELS[skill]}: share of replies per finished attempt",
                        y_max=100,
                        y_label="%",
                        labels=labels,
                        colour="#a33b20" if skill == "missed_cues" else "#1f5f8b",
                    ),
                )
            )
    titles = {s.id: s.title for s in shipped_scenarios()}
    return render(
        request,
        "training/home.html",
        {
            "scenarios": scenarios,
            "assigned": assigned,
            "history": history,
            "charts": charts,
            "titles": titles,
            "invitations": cohort_membership.pending_for_user(session, user),
            "memberships": cohort_membership.memberships_of(session, user),
        },
    )


@router.post("/training/start")
def start(
    request: Request, session: SessionDep, user: Player, scenario_id: Annotated[str, Form()]
) -> Response:
    """Start an attempt and go to its play page."""
    record = training.start_attempt(session, user, scenario_id, ip=client_ip(request))
    return RedirectResponse(f"/training/attempts/{record.id}", status_code=303)


def _play_context(record: Any) -> dict[str, Any]:
    scenario, attempt = training.attempt_state(record)
    node = scenario.node(attempt.node)
    return {"record": record, "scenario": scenario, "attempt": attempt, "node": node, "error": None}


@router.get("/training/attempts/{attempt_id}")
def play(request: Request, session: SessionDep, user: Player, attempt_id: RecordId) -> Any:
    """The play page: the conversation so far, feedback on each reply, and the reply box."""
    record = training.get_attempt(session, user, attempt_id)
    audit.read(session, user, "training.view", f"training_attempt:{record.id}",
               ip=client_ip(request))
    return render(request, "training/play.html", _play_context(record))


@router.post("/training/attempts/{attempt_id}/reply")
def reply(
    request: Request,
    session: SessionDep,
    user: Player,
    attempt_id: RecordId,
    text: Annotated[str, Form()] = "",
) -> Response:
    """Judge the reply and answer as the patient (htmx: the play fragment; else a redirect)."""
    try:
        record, _ = training.submit_reply(
            session, user, attempt_id, text, _assessor(request), ip=client_ip(request)
        )
    except ScenarioError as error:
        if not _is_htmx(request):
            raise
        record = training.get_attempt(session, user, attempt_id)
        context = _play_context(record)
        context["error"] = str(error)
        return render(request, "training/_play.html", context)
    if _is_htmx(request):
        return render(request, "training/_play.html", _play_context(record))
    target = f"/training/attempts/{record.id}"
    if record.status == "finished":
        target += "/debrief"
    return RedirectResponse(target, status_code=303)


@router.get("/training/attempts/{attempt_id}/debrief")
def debrief(request: Request, session: SessionDep, user: Player, attempt_id: RecordId) -> Any:
    """The debrief of one finished attempt: outcome, take-aways, skills, every reply with feedback."""
    record, result = training.attempt_debrief(session, user, attempt_id)
    scenario, attempt = training.attempt_state(record)
    return render(
        request,
        "training/debrief.html",
        {
            "record": record,
            "debrief": result,
            "scenario": scenario,
            "attempt": attempt,
            "skills": SKILLS,
        },
    )


# ----- educators: cohorts ----------------------------------------------------------------------


@router.get("/training/cohorts")
def cohorts(request: Request, session: SessionDep, user: Educator) -> Any:
    """The educator's cohorts and a form to create one."""
    return render(
        request, "training/cohorts.html", {"cohorts": training.educator_cohorts(session, user)}
    )


@router.post("/training/cohorts")
def create_cohort(
    request: Request, session: SessionDep, user: Educator, name: Annotated[str, Form()] = ""
) -> Response:
    """Create a cohort and open it."""
    cohort = training.create_cohort(session, user, name, ip=client_ip(request))
    return RedirectResponse(f"/training/cohorts/{cohort.id}", status_code=303)


@router.get("/training/cohorts/{cohort_id}")
def cohort(request: Request, session: SessionDep, user: Educator, cohort_id: RecordId) -> Any:
    """A cohort's progress, assignments and members."""
    progress = training.cohort_progress(session, user, cohort_id)
    titles = {s.id: s.title for s in shipped_scenarios()}
    audit.read(session, user, "cohort.view", f"cohort:{cohort_id}", ip=client_ip(request),
               detail=f"members={len(progress.members)}")
    return render(
        request,
        "training/cohort.html",
        {
            "progress": progress,
            "scenarios": shipped_scenarios(),
            "titles": titles,
            "skills": SKILLS,
            "notice": request.query_params.get("done"),
            "pending": cohort_membership.pending_for_cohort(session, user, cohort_id),
        },
    )


@router.post("/training/cohorts/{cohort_id}/members")
def add_member(
    request: Request,
    session: SessionDep,
    user: Educator,
    cohort_id: RecordId,
    email: Annotated[str, Form()] = "",
) -> Response:
    """Invite a learner or clinician by e-mail; they join (and share their work) on accepting."""
    training.add_cohort_member(session, user, cohort_id, email, ip=client_ip(request))
    return RedirectResponse(f"/training/cohorts/{cohort_id}?done=member", status_code=303)


@router.post("/training/cohorts/{cohort_id}/assign")
def assign(
    request: Request,
    session: SessionDep,
    user: Educator,
    cohort_id: RecordId,
    scenario_id: Annotated[str, Form()] = "",
) -> Response:
    """Assign a scenario to the cohort."""
    training.assign_scenario(session, user, cohort_id, scenario_id, ip=client_ip(request))
    return RedirectResponse(f"/training/cohorts/{cohort_id}?done=assigned", status_code=303)


@router.get("/training/cohorts/{cohort_id}/progress.csv")
def export(request: Request, session: SessionDep, user: Educator, cohort_id: RecordId) -> Response:
    """The cohort's progress as a CSV download."""
    document = training.cohort_csv(session, user, cohort_id, ip=client_ip(request))
    return Response(
        document,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="cohort-{cohort_id}-progress.csv"'},
    )


# ----- case studies ----------------------------------------------------------------------------


@router.get("/training/cases")
def cases(request: Request, user: Player) -> Any:
    """The library of annotated example consultations."""
    return render(request, "training/cases.html", {"cases": training.case_studies()})


@router.get("/training/cases/{case_id}")
def case(request: Request, user: Player, case_id: str) -> Any:
    """One consultation with its cues, how each was answered, and suggestions."""
    study = training.case_study(case_id)
    responses = {o.cue_turn: o for o in study.report.opportunities}
    answered = {
        o.response_turn: o for o in study.report.opportunities if o.response_turn is not None
    }
    return render(
        request,
        "training/case.html",
        {"study": study, "responses": responses, "answered": answered},
    )
