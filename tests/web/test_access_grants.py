"""No self-granted access (issue 11, finding 5): each old self-granting path, refused; grants,
consent, revocation and break-glass through the web app, on SQLite and PostgreSQL.

The world: `clinician` and `other` are clinicians, `clinician` is in `educator`'s cohort (an
accepted membership), `patient` has no care team until a test gives them one.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from bedside.db.base import utcnow
from bedside.db.tables import AuditEvent, Encounter, User
from bedside.db.tables_access import BreakGlassAccess, CareConsent, CohortInvitation
from bedside.db.tables_care import CareAssignment, CareTask, CheckIn
from bedside.services import access, break_glass
from web_fixtures import TRANSCRIPT, grant_care, store_encounter

JUSTIFICATION = "Patient phoned the ward in crisis; their care team is unreachable tonight"


def actions(world) -> list[str]:
    with world.session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def team(world) -> set[int]:
    with world.session() as session:
        return set(session.scalars(
            select(CareAssignment.clinician_id).where(
                CareAssignment.patient_id == world.users["patient"].id)))


def patient_page(client, world):
    return client.get(f"/care/patients/{world.users['patient'].id}")


# ----- care relationships -------------------------------------------------------------------


def test_a_clinician_cannot_take_over_a_patient_of_another_clinician(world, client_for):
    """The reported takeover: answers, messages and urgent tasks moved to whoever asked."""
    grant_care(world, "patient", "clinician")
    client_for("patient").post(
        "/checkins/new/phq9", data={f"item{n}": "0" for n in range(1, 9)} | {"item9": "2"}
    )
    other = client_for("other")
    refused = other.post("/care/patients", data={"email": "patient@test.example"})
    assert refused.status_code == 403 and "cannot add a patient to your own care" in refused.text
    assert team(world) == {world.users["clinician"].id}
    with world.session() as session:
        assert {t.assignee_id for t in session.scalars(select(CareTask))} == {world.users["clinician"].id}
    assert patient_page(other, world).status_code == 404
    # nor by the new route: a clinician not on the team cannot add anyone, themselves included
    for email in ("other@test.example", "clinician@test.example"):
        denied = other.post(f"/care/patients/{world.users['patient'].id}/team",
                            data={"email": email, "consent": "true"})
        assert denied.status_code == 403
    assert team(world) == {world.users["clinician"].id}
    assert "access.denied" in actions(world)


def test_unassigned_patients_are_visible_to_no_clinician_and_to_admins_without_content(
    world, client_for
):
    patient = client_for("patient")
    patient.post("/checkins/new/gad7", data={f"item{n}": "3" for n in range(1, 8)})
    patient.post("/checkins/message", data={"text": "Sleeping badly, worried about work"})
    for name in ("clinician", "other"):
        clinician = client_for(name)
        assert f"/care/patients/{world.users['patient'].id}" not in clinician.get("/care").text
        assert patient_page(clinician, world).status_code == 404
    page = client_for("admin").get("/admin/access")
    assert page.status_code == 200
    assert "Patient" in page.text and "patient@test.example" in page.text and "No care team" in page.text
    assert "GAD" not in page.text and "Sleeping badly" not in page.text  # no clinical content
    for role in ("clinician", "educator", "learner", "patient", "researcher"):
        assert client_for(role).get("/admin/access").status_code == 403


def test_an_admin_grants_with_the_patients_consent_and_revoking_ends_access(world, client_for):
    admin = client_for("admin")
    patient_id = world.users["patient"].id
    url = f"/care/patients/{patient_id}/team"
    without_consent = admin.post(url, data={"email": "clinician@test.example"})
    assert without_consent.status_code == 403 and "agreed to share" in without_consent.text
    assert team(world) == set()
    assert admin.post(url, data={"email": "learner@test.example", "consent": "true"}).status_code == 403
    assert admin.post(url, data={"email": "clinician@test.example", "consent": "true"}).status_code == 303
    assert team(world) == {world.users["clinician"].id}
    with world.session() as session:
        (consent,) = session.scalars(select(CareConsent)).all()
        assert (consent.clinician_id, consent.recorded_by_id, consent.withdrawn_at) == (
            world.users["clinician"].id, world.users["admin"].id, None)
        (assignment,) = session.scalars(select(CareAssignment)).all()
        assert assignment.granted_by_id == world.users["admin"].id
    clinician = client_for("clinician")
    assert patient_page(clinician, world).status_code == 200
    removed = admin.post(f"{url}/{world.users['clinician'].id}/remove")
    assert removed.status_code == 303
    assert patient_page(clinician, world).status_code == 404
    with world.session() as session:
        assert session.scalars(select(CareConsent)).one().withdrawn_at is not None
    assert {"care.grant", "care.revoke"} <= set(actions(world))


def test_a_clinician_on_the_team_adds_a_colleague_and_the_patient_can_remove_one(world, client_for):
    grant_care(world, "patient", "clinician")
    clinician, other = client_for("clinician"), client_for("other")
    page = patient_page(clinician, world)
    assert "Add a clinician colleague" in page.text
    added = clinician.post(f"/care/patients/{world.users['patient'].id}/team",
                           data={"email": "other@test.example", "consent": "true"})
    assert added.status_code == 303
    assert patient_page(other, world).status_code == 200
    own_page = client_for("patient").get("/checkins").text
    remove = f"/care/patients/{world.users['patient'].id}/team/{world.users['other'].id}/remove"
    assert "Who can see your check-ins" in own_page and remove in own_page
    removed = client_for("patient").post(remove)
    assert removed.status_code == 303
    assert patient_page(other, world).status_code == 404
    assert patient_page(clinician, world).status_code == 200


def test_a_disabled_clinician_loses_access_to_their_patients(world, client_for):
    grant_care(world, "patient", "clinician")
    with world.session() as session:
        clinician = session.get(User, world.users["clinician"].id)
        patient = session.get(User, world.users["patient"].id)
        assert access.can_open_patient(session, clinician, patient)
        clinician.is_active = False
        session.commit()
        assert not access.can_open_patient(session, clinician, patient)


# ----- encounter ↔ patient links ----------------------------------------------------------------


def test_an_upload_links_a_patient_only_from_their_care_team(world, client_for, app):
    other = client_for("other")
    refused = other.upload(("visit.txt", TRANSCRIPT), patient_email="patient@test.example")
    assert refused.status_code == 403 and "only when you are on their care team" in refused.text
    api = other.post("/api/v1/encounters", files=[("files", ("visit.txt", TRANSCRIPT))],
                     data={"patient_email": "patient@test.example"})
    assert api.status_code == 403 and "care team" in api.json()["detail"]
    learner = client_for("learner").upload(("visit.txt", TRANSCRIPT), patient_email="patient@test.example")
    assert learner.status_code == 403
    with world.session() as session:
        assert session.scalars(select(Encounter)).all() == []
    encounter_id = store_encounter(world, "clinician", app.state.pipeline, patient="patient")
    assert client_for("patient").get(f"/encounters/{encounter_id}").status_code == 200


# ----- cohort membership ------------------------------------------------------------------------


def test_an_educator_cannot_add_a_clinician_and_read_their_encounters(world, client_for, pipeline):
    """The reported path: add `other` to a cohort, then read `other`'s encounters."""
    encounter_id = store_encounter(world, "other", pipeline)
    educator = client_for("educator")
    cohorts = educator.get("/training/cohorts").text
    cohort_id = re.search(r"/training/cohorts/(\d+)", cohorts).group(1)
    invited = educator.post(f"/training/cohorts/{cohort_id}/members", data={"email": "other@test.example"})
    assert invited.status_code == 303
    assert educator.get(f"/encounters/{encounter_id}").status_code == 404
    assert f"/encounters/{encounter_id}" not in educator.get("/encounters").text
    with world.session() as session:
        invitation = session.scalars(select(CohortInvitation)).one()
        assert invitation.status == "pending"
    # only the invited member may answer
    assert educator.post(f"/training/invitations/{invitation.id}/accept").status_code == 403
    assert client_for("clinician").post(f"/training/invitations/{invitation.id}/accept").status_code == 404
    other = client_for("other")
    assert other.post(f"/training/invitations/{invitation.id}/accept").status_code == 303
    assert educator.get(f"/encounters/{encounter_id}").status_code == 200
    # and the member may leave: the educator's access ends with it
    home = other.get("/training").text
    leave = f"/training/cohorts/{cohort_id}/members/{world.users['other'].id}/remove"
    assert "Your cohorts" in home and leave in home
    left = other.post(leave)
    assert left.status_code == 303
    assert educator.get(f"/encounters/{encounter_id}").status_code == 404
    assert {"cohort.invite", "cohort.accept", "cohort.remove"} <= set(actions(world))


def test_a_declined_invitation_shares_nothing_and_an_admin_may_add_directly(world, client_for, pipeline):
    encounter_id = store_encounter(world, "learner", pipeline)
    educator = client_for("educator")
    cohort_id = re.search(r"/training/cohorts/(\d+)", educator.get("/training/cohorts").text).group(1)
    educator.post(f"/training/cohorts/{cohort_id}/members", data={"email": "learner@test.example"})
    learner = client_for("learner")
    home = learner.get("/training").text
    invitation = re.search(r"/training/invitations/(\d+)/decline", home).group(1)
    assert learner.post(f"/training/invitations/{invitation}/decline").status_code == 303
    assert educator.get(f"/encounters/{encounter_id}").status_code == 404
    admin = client_for("admin")
    assert admin.post(f"/admin/cohorts/{cohort_id}/members",
                      data={"email": "learner@test.example"}).status_code == 303
    assert educator.get(f"/encounters/{encounter_id}").status_code == 200
    assert "cohort.admin_add" in actions(world)


# ----- break-glass ---------------------------------------------------------------------------------


def test_break_glass_is_justified_time_limited_audited_and_reviewed(world, client_for):
    client_for("patient").post("/checkins/new/gad7", data={f"item{n}": "1" for n in range(1, 8)})
    other = client_for("other")
    assert patient_page(other, world).status_code == 404
    assert other.get("/care/break-glass").status_code == 200
    short = other.post("/care/break-glass", data={"email": "patient@test.example", "justification": "urgent"})
    assert short.status_code == 403 and "at least 20 characters" in short.text
    unknown = other.post("/care/break-glass", data={"email": "nobody@test.example",
                                                    "justification": JUSTIFICATION})
    assert unknown.status_code == 404
    opened = other.post("/care/break-glass", data={"email": "patient@test.example",
                                                   "justification": JUSTIFICATION})
    assert opened.status_code == 303
    assert patient_page(other, world).status_code == 200
    assert {"access.break_glass", "access.break_glass_view"} <= set(actions(world))
    grant_care(world, "patient", "clinician")
    assert patient_page(client_for("clinician"), world).status_code == 200
    assert actions(world).count("access.break_glass_view") == 1  # the team's reads are ordinary
    with world.session() as session:
        grant = session.scalars(select(BreakGlassAccess)).one()
        assert grant.expires_at - grant.opened_at == break_glass.DURATION == timedelta(hours=4)
        clinician = session.get(User, world.users["other"].id)
        patient = session.get(User, world.users["patient"].id)
        assert not access.can_open_patient(session, clinician, patient,
                                           now=grant.opened_at + timedelta(hours=4, seconds=1))
    # the admins see it, with its justification, and mark it reviewed
    admin = client_for("admin")
    review = admin.get("/admin/access").text
    assert JUSTIFICATION in review and "Mark reviewed" in review
    assert admin.post(f"/admin/access/break-glass/{grant.id}/reviewed").status_code == 303
    assert "Mark reviewed" not in admin.get("/admin/access").text
    assert "access.break_glass_review" in actions(world)
    # and it expires by itself
    with world.session() as session:
        session.execute(update(BreakGlassAccess).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert patient_page(other, world).status_code == 404


def test_a_whole_team_urgent_task_opens_the_record_until_it_is_done(world, client_for):
    """No care team and no duty clinician: safety routing gives the urgent task to every active
    clinician, who may open the patient's record while the task is open, and not after."""
    client_for("patient").post(
        "/checkins/new/phq9", data={f"item{n}": "0" for n in range(1, 9)} | {"item9": "2"}
    )
    other = client_for("other")
    assert "PHQ-9 item 9 above 0" in other.get("/care").text
    assert patient_page(other, world).status_code == 200
    assert "access.break_glass_view" not in actions(world)
    with world.session() as session:
        task_id = session.scalars(select(CareTask.id)).one()
    assert other.post(f"/care/tasks/{task_id}/done").status_code == 303
    assert patient_page(other, world).status_code == 404
    # break-glass may also name the patient by id
    opened = other.post("/care/break-glass", data={
        "patient": str(world.users["patient"].id), "justification": JUSTIFICATION})
    assert opened.status_code == 303 and patient_page(other, world).status_code == 200


def test_break_glass_can_be_closed_early_and_is_for_active_clinicians_only(world, client_for):
    other = client_for("other")
    other.post("/care/break-glass", data={"email": "patient@test.example", "justification": JUSTIFICATION})
    with world.session() as session:
        grant_id = session.scalars(select(BreakGlassAccess.id)).one()
    assert client_for("clinician").post(f"/care/break-glass/{grant_id}/end").status_code == 404
    assert other.post(f"/care/break-glass/{grant_id}/end").status_code == 303
    assert patient_page(other, world).status_code == 404
    for role in ("educator", "learner", "admin", "patient", "researcher"):
        assert client_for(role).post("/care/break-glass", data={
            "email": "patient@test.example", "justification": JUSTIFICATION}).status_code == 403
    with world.session() as session:
        assert len(session.scalars(select(BreakGlassAccess)).all()) == 1
        assert session.scalars(select(CheckIn)).all() == []


def test_sharing_a_consultation_linked_to_a_patient_records_their_consent(world, client_for, pipeline):
    encounter_id = store_encounter(world, "clinician", pipeline, patient="patient")
    clinician = client_for("clinician")
    url = f"/encounters/{encounter_id}/share"
    refused = clinician.post(url, data={"email": "learner@test.example"}, headers={"hx-request": "true"})
    assert refused.status_code == 403 and "agreed to share it" in refused.text
    assert client_for("learner").get(f"/encounters/{encounter_id}").status_code == 404
    shared = clinician.post(url, data={"email": "learner@test.example", "consent": "true"},
                            headers={"hx-request": "true"})
    assert shared.status_code == 200 and "Shared with Learner" in shared.text
    assert client_for("learner").get(f"/encounters/{encounter_id}").status_code == 200
    with world.session() as session:
        detail = session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "encounter.share"))
    assert detail == f"with_user={world.users['learner'].id} patient_consent=recorded"


def test_relationships_from_before_grants_are_shown_to_admins_for_review(world, client_for):
    """Migration 0004 keeps old (self-assigned) care assignments, with no grantor."""
    with world.session() as session:
        session.add(CareAssignment(patient_id=world.users["patient"].id,
                                   clinician_id=world.users["other"].id))
        session.commit()
    page = client_for("admin").get("/admin/access").text
    assert "self-assigned before grants were checked: review" in page
    assert patient_page(client_for("other"), world).status_code == 200  # kept: safety first
