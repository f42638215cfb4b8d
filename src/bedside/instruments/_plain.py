"""The patient's printable care plan, in plain language (Flesch-Kincaid grade 8 or below).

Only the rules' `plain` texts and the patient's own words appear here: no scores, bands or
clinical jargon. The grade is checked in tests over every rule's wording.
"""

from __future__ import annotations

from bedside.instruments._careplan import CarePlan
from bedside.instruments._safety import crisis_resources

__all__ = ["render_patient_plan"]


def _when(plan: CarePlan) -> str | None:
    follow_up = plan.follow_up
    if follow_up is None:
        return None
    days = (follow_up - plan.created).days
    spoken = "tomorrow" if days == 1 else "today" if days <= 0 else f"in {days} days"
    return f"We will check in with you {spoken}, on {follow_up:%A %-d %B %Y}."


def render_patient_plan(plan: CarePlan) -> str:
    """Markdown text the patient can read or print; urgent plans start with where to get help."""
    lines = ["# Your care plan", ""]
    if plan.urgent:
        crisis = crisis_resources()
        lines += ["## Getting help now", "", crisis.message, ""]
        lines += [f"- {resource.name}: {resource.contact}" for resource in crisis.resources]
        lines.append("")
    if plan.what_matters:
        lines += ["## What matters to you", "", f"You told us: \u201c{plan.what_matters}\u201d", ""]
    own = [goal for goal in plan.goals if goal.source == "patient"]
    shared = [goal for goal in plan.goals if goal.source == "clinical"]
    if own or shared:
        lines += ["## Your goals", ""]
        lines += [f"- \u201c{goal.plain}\u201d (in your words)" for goal in own]
        lines += [f"- {goal.plain}" for goal in shared]
        lines.append("")
    if plan.problems:
        lines += ["## What we talked about", ""]
        lines += [f"- {problem.plain}" for problem in plan.problems]
        lines.append("")
    if plan.actions:
        lines += ["## What we will do", ""]
        lines += [f"- {action.plain}" for action in plan.actions]
        lines.append("")
    if plan.referrals:
        lines += ["## Who can help", ""]
        lines += [f"- {referral.plain}" for referral in plan.referrals]
        lines.append("")
    when = _when(plan)
    if when:
        lines += ["## Next check-in", "", when, ""]
    if plan.status == "signed" and plan.signed_by:
        lines += [
            f"Agreed with {plan.signed_by} on {plan.signed_at:%-d %B %Y}." if plan.signed_at else ""
        ]
    else:
        lines += ["This plan is a draft. Your care team will go through it with you."]
    return "\n".join(lines).rstrip() + "\n"
