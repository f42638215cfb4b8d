"""Safety routing (issue 11, finding 3): an urgent task reaches an active clinician, never anyone else.

Care team first, then the organisation's duty clinician, then every active clinician; disabling a
clinician re-routes their open tasks (audited); a learner who owns an encounter about the patient
never receives the task. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text, update

from bedside.db import load_table_modules, metadata
from bedside.db.tables import AuditEvent, Encounter, User
from bedside.db.tables_care import CareAssignment, CareTask, SafetyFlag
from bedside.db.tables_safety import DutyClinician, TaskRouting
from bedside.errors import NotFound, PermissionDenied
from bedside.instruments import score
from bedside.services import accounts, checkins, safety_routing
from bedside.services.safety_routing import RouteRule
from web_fixtures import as_app_role, store_encounter

SAFETY_TABLES = {"duty_clinicians", "task_routings"}


def _user(session, world, name: str) -> User:
    return session.get(User, world.users[name].id)


def _on_team(world, clinician: str, patient: str = "patient") -> None:
    with world.session() as session:
        session.add(
            CareAssignment(patient_id=world.users[patient].id, clinician_id=world.users[clinician].id)
        )
        session.commit()


def _raise(world, kind: str = "self_harm_risk") -> safety_routing.FlagOutcome:
    with world.session() as session:
        patient = _user(session, world, "patient")
        return safety_routing.raise_flag(session, patient, "transcript", kind, {"turn": 4})


def _task_of(world, flag_id: int) -> CareTask:
    with world.session() as session:
        task = session.scalar(select(CareTask).where(CareTask.flag_id == flag_id))
        assert task is not None
        return task


def _sees_task(world, name: str, task_id: int) -> bool:
    with world.session() as session:
        return task_id in {t.id for t in checkins.open_tasks(session, _user(session, world, name))}


def _sees_flag(world, name: str, flag_id: int) -> bool:
    with world.session() as session:
        return flag_id in {f.id for f in checkins.open_flags(session, _user(session, world, name))}


def _disable(world, name: str) -> None:
    with world.session() as session:
        admin = _user(session, world, "admin")
        accounts.set_active(session, admin, world.users[name].id, False)


def test_a_care_team_clinician_gets_the_task_and_the_routing_is_recorded(world):
    _on_team(world, "other")
    outcome = _raise(world)
    assert outcome.complete and outcome.routes == (
        safety_routing.Route(world.users["other"].id, RouteRule.CARE_TEAM),
    )
    (flag_id,) = outcome.flag_ids
    task = _task_of(world, flag_id)
    assert task.assignee_id == world.users["other"].id and task.priority == "urgent"
    assert _sees_task(world, "other", task.id) and _sees_flag(world, "other", flag_id)
    assert not _sees_task(world, "clinician", task.id)  # not on the team, not the whole team's
    with world.session() as session:
        (routing,) = safety_routing.routing_history(session, task.id)
        assert (routing.route, routing.reason, routing.assignee_id) == (
            "care_team",
            "flag",
            world.users["other"].id,
        )
        trail = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert trail.index("safety.flag") < trail.index("task.create") < trail.index("task.route")


def test_the_learner_who_owns_the_patients_encounter_never_gets_the_task(
    world, pipeline, client_for
):
    encounter_id = store_encounter(world, "learner", pipeline)
    with world.session() as session:  # linked as before grants were checked (the observed case)
        session.execute(
            update(Encounter)
            .where(Encounter.id == encounter_id)
            .values(patient_id=world.users["patient"].id)
        )
        session.commit()
        owner = session.scalar(
            select(Encounter.owner_id).where(Encounter.patient_id == world.users["patient"].id)
        )
    assert owner == world.users["learner"].id  # the old rule would have picked them
    outcome = _raise(world)
    (flag_id,) = outcome.flag_ids
    task = _task_of(world, flag_id)
    assert task.assignee_id is None and outcome.routes[0].rule is RouteRule.ALL_CLINICIANS
    for clinician in ("clinician", "other"):  # every active clinician sees it
        assert _sees_task(world, clinician, task.id) and _sees_flag(world, clinician, flag_id)
    for role in ("learner", "educator", "admin", "researcher", "patient"):
        with world.session() as session, pytest.raises(PermissionDenied):
            checkins.open_tasks(session, _user(session, world, role))
    care = client_for("clinician").get("/care")  # was "No open tasks" for every clinician
    assert f'data-task="{task.id}"' in care.text and "No open tasks" not in care.text


def test_the_duty_clinician_takes_tasks_of_patients_without_a_care_team(world):
    with world.session() as session:
        admin = _user(session, world, "admin")
        safety_routing.set_duty_clinician(session, admin, world.users["other"].id, ip="10.0.0.1")
    outcome = _raise(world)
    assert outcome.routes[0] == safety_routing.Route(world.users["other"].id, RouteRule.DUTY)
    task = _task_of(world, outcome.flag_ids[0])
    assert _sees_task(world, "other", task.id) and not _sees_task(world, "clinician", task.id)
    with world.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "safety.duty_set"))
        assert event is not None and event.subject_id == str(world.users["other"].id)
    _on_team(world, "clinician")  # a care team wins over the duty clinician
    assert _raise(world).routes[0].rule is RouteRule.CARE_TEAM


@pytest.mark.parametrize("name", ["learner", "educator", "admin", "researcher", "patient"])
def test_only_an_active_clinician_can_be_the_duty_clinician(world, name):
    with world.session() as session:
        admin = _user(session, world, "admin")
        with pytest.raises(NotFound):
            safety_routing.set_duty_clinician(session, admin, world.users[name].id)
    _disable(world, "other")
    with world.session() as session:
        admin = _user(session, world, "admin")
        with pytest.raises(NotFound):
            safety_routing.set_duty_clinician(session, admin, world.users["other"].id)
        assert session.get(DutyClinician, world.organisation_id) is None


def test_only_an_admin_sets_the_duty_clinician(world):
    for name in ("clinician", "educator"):
        with world.session() as session, pytest.raises(PermissionDenied):
            safety_routing.set_duty_clinician(
                session, _user(session, world, name), world.users["other"].id
            )


def test_a_disabled_duty_or_team_clinician_is_skipped(world):
    _on_team(world, "other")
    with world.session() as session:
        safety_routing.set_duty_clinician(
            session, _user(session, world, "admin"), world.users["other"].id
        )
    _disable(world, "other")
    outcome = _raise(world)
    assert outcome.routes[0].rule is RouteRule.ALL_CLINICIANS
    flag_id = outcome.flag_ids[0]
    task = _task_of(world, flag_id)
    assert _sees_task(world, "clinician", task.id) and _sees_flag(world, "clinician", flag_id)


def test_disabling_a_clinician_reassigns_their_open_tasks_and_flags_audited(world):
    _on_team(world, "other")
    first, second = _raise(world), _raise(world, "message_self_harm")
    tasks = [_task_of(world, outcome.flag_ids[0]) for outcome in (first, second)]
    assert {task.assignee_id for task in tasks} == {world.users["other"].id}
    with world.session() as session:
        safety_routing.set_duty_clinician(
            session, _user(session, world, "admin"), world.users["clinician"].id
        )
    _disable(world, "other")
    with world.session() as session:
        for task in tasks:
            moved = session.get(CareTask, task.id)
            assert moved.assignee_id == world.users["clinician"].id and moved.status == "open"
            history = safety_routing.routing_history(session, task.id)
            assert [(h.route, h.reason) for h in history] == [
                ("care_team", "flag"),
                ("duty", "clinician_disabled"),
            ]
            assert history[1].previous_assignee_id == world.users["other"].id
        actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert actions.count("task.reassign") == 2 and actions.count("safety.reassign") == 1
    for outcome in (first, second):
        assert _sees_flag(world, "clinician", outcome.flag_ids[0])


def test_a_task_whose_assignee_was_disabled_behind_our_back_is_seen_and_rerouted(world):
    _on_team(world, "other")
    outcome = _raise(world)
    task = _task_of(world, outcome.flag_ids[0])
    with world.session() as session:  # not through accounts.set_active: no reassignment ran
        session.execute(update(User).where(User.id == world.users["other"].id).values(is_active=False))
        session.commit()
    assert _sees_task(world, "clinician", task.id)
    assert _sees_flag(world, "clinician", outcome.flag_ids[0])
    with world.session() as session:
        assert safety_routing.reconcile_tasks(session, world.organisation_id) == 1
        moved = session.get(CareTask, task.id)
        assert moved.assignee_id is None
        assert safety_routing.routing_history(session, task.id)[-1].reason == "assignee_inactive"


def test_with_no_active_clinician_the_flag_waits_and_the_operators_are_alerted(world, caplog):
    for name in ("clinician", "other"):
        _disable(world, name)
    with caplog.at_level(logging.CRITICAL, logger="bedside.services.safety_routing"):
        outcome = _raise(world)
    assert outcome.flag_ids and outcome.routes[0].rule is RouteRule.NOBODY
    assert any("HAS NO ACTIVE CLINICIAN" in record.getMessage() for record in caplog.records)
    with world.session() as session:
        accounts.set_active(session, _user(session, world, "admin"), world.users["other"].id, True)
    task = _task_of(world, outcome.flag_ids[0])
    assert _sees_task(world, "other", task.id)  # the first clinician back sees it


def test_raise_flag_is_for_patients(world):
    with world.session() as session, pytest.raises(PermissionDenied):
        safety_routing.raise_flag(
            session, _user(session, world, "learner"), "transcript", "self_harm_risk", {}
        )


def test_the_safety_item_comes_from_the_instrument_definition():
    phq9 = checkins.safety_concerns(score("phq9", [0] * 8 + [1], allow_missing=True))
    assert [(c.kind, c.detail["item"], c.detail["item9"]) for c in phq9] == [
        ("self_harm_risk", 9, 1)
    ]
    skipped = checkins.safety_concerns(score("phq9", [0] * 8 + [None], allow_missing=True))
    assert [c.kind for c in skipped] == ["item9_needs_asking"]
    assert checkins.safety_concerns(score("phq9", [3] * 8 + [0], allow_missing=True)) == []
    for instrument, answers in (("gad7", [3] * 7), ("phq2", [3, 3]), ("who5", [0] * 5)):
        assert checkins.safety_concerns(score(instrument, answers, allow_missing=True)) == []


def test_a_clinician_can_complete_and_resolve_what_was_routed_to_everyone(world):
    outcome = _raise(world)
    flag_id = outcome.flag_ids[0]
    task = _task_of(world, flag_id)
    with world.session() as session:
        clinician = _user(session, world, "clinician")
        checkins.complete_task(session, clinician, task.id)
        checkins.resolve_flag(session, clinician, flag_id)
        assert session.get(SafetyFlag, flag_id).status == "resolved"


def test_the_safety_tables_match_their_migration(database):
    load_table_modules()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, metadata) if _touches(d, SAFETY_TABLES)]
    assert diff == []


def _touches(change, tables: set[str]) -> bool:
    item = change[0] if isinstance(change, list) else change
    for part in item[1:]:
        table = getattr(part, "table", None)
        if getattr(table, "name", None) in tables or getattr(part, "name", None) in tables:
            return True
    return False


def test_task_routings_are_kept_with_their_task(world):
    outcome = _raise(world)
    with world.session() as session:
        rows = session.scalars(select(TaskRouting)).all()
        assert [r.task_id for r in rows] == [_task_of(world, outcome.flag_ids[0]).id]


def test_an_admin_sets_the_duty_clinician_on_the_accounts_page(world, client_for):
    admin = client_for("admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "Now: none (every active clinician)" in page.text
    response = admin.post("/admin/duty", data={"clinician_id": str(world.users["other"].id)})
    assert response.status_code == 200 and "other@test.example is the duty clinician" in response.text
    refused = admin.post("/admin/duty", data={"clinician_id": str(world.users["learner"].id)})
    assert refused.status_code == 400 and "no active clinician" in refused.text
    for name in ("clinician", "educator", "patient"):
        attempt = client_for(name).post(
            "/admin/duty", data={"clinician_id": str(world.users[name].id)}
        )
        assert attempt.status_code == 403
    assert _raise(world).routes[0] == safety_routing.Route(world.users["other"].id, RouteRule.DUTY)


def test_disabling_on_the_accounts_page_moves_the_urgent_task(world, client_for):
    _on_team(world, "other")
    outcome = _raise(world)
    task = _task_of(world, outcome.flag_ids[0])
    admin = client_for("admin")
    response = admin.post(f"/admin/users/{world.users['other'].id}/active", data={"active": "false"})
    assert response.status_code == 303
    care = client_for("clinician").get("/care")
    assert f'data-task="{task.id}"' in care.text and "whole team" in care.text


def test_the_protocol_runs_under_the_least_privilege_database_role(world, backend):
    """On PostgreSQL the application runs as `bedside_app` (no UPDATE of a flag's kind, no
    DELETE): the protocol, resolving, completing and reassignment must all work under it.
    SQLite has no roles; there the same steps run as the file's owner."""
    with as_app_role(world, backend):
        _on_team(world, "other")
        with world.session() as session:
            if backend["name"] == "postgresql":
                assert session.scalar(text("SELECT current_user")) == "bedside_app"
            patient = _user(session, world, "patient")
            result = checkins.submit_checkin(session, patient, "phq9", [0] * 8 + [1])
        assert result.stored and result.crisis is not None and result.flag_ids
        _disable(world, "other")
        with world.session() as session:
            clinician = _user(session, world, "clinician")
            (task,) = [t for t in checkins.open_tasks(session, clinician) if t.flag_id]
            checkins.complete_task(session, clinician, task.id)
            checkins.resolve_flag(session, clinician, result.flag_ids[0])
            flag = session.get(SafetyFlag, result.flag_ids[0])
            assert flag.status == "resolved" and "checkin_id" in flag.detail


def test_taking_a_clinician_off_the_care_team_moves_their_task_to_the_team_left(world):
    from bedside.services import grants

    _on_team(world, "other")
    _on_team(world, "clinician")
    outcome = _raise(world)
    task = _task_of(world, outcome.flag_ids[0])
    holder = task.assignee_id
    remaining = "clinician" if holder == world.users["other"].id else "other"
    with world.session() as session:
        grants.revoke_care(
            session, _user(session, world, "admin"), world.users["patient"].id, holder
        )
    with world.session() as session:
        moved = session.get(CareTask, task.id)
        assert moved.assignee_id == world.users[remaining].id
        assert safety_routing.routing_history(session, task.id)[-1].reason == "care_team_changed"
        grants.revoke_care(
            session, _user(session, world, "admin"), world.users["patient"].id,
            world.users[remaining].id,
        )
    with world.session() as session:  # no team left, no duty clinician: the whole team
        assert session.get(CareTask, task.id).assignee_id is None
    assert _sees_task(world, "other", task.id) and _sees_task(world, "clinician", task.id)
