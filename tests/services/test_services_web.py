"""Services behind the web pages: access rules, accounts, aggregates, the demo seed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bedside.db.tables import AuditEvent, Encounter, User
from bedside.errors import NotFound, PermissionDenied
from bedside.services import accounts, demo, encounters, insights
from web_fixtures import PASSWORD, PRIMOCK, store_encounter


def _user(session, world, name):
    return session.get(User, world.users[name].id)


def test_object_rules_follow_ownership_cohorts_sharing_and_patients(world, pipeline):
    own = store_encounter(world, "clinician", pipeline, patient="patient")
    outside = store_encounter(world, "other", pipeline)
    visible = {}
    with world.session() as session:
        for name in ("clinician", "other", "educator", "learner", "patient", "researcher", "admin"):
            user = _user(session, world, name)
            try:
                visible[name] = {e.id for e in encounters.list_page(session, user).items}
            except PermissionDenied:
                visible[name] = None
    assert visible == {
        "clinician": {own}, "other": {outside}, "educator": {own}, "learner": set(),
        "patient": {own}, "researcher": None, "admin": None,
    }
    with world.session() as session, pytest.raises(NotFound):
        encounters.get(session, _user(session, world, "educator"), outside)


def test_authenticate_counts_failures_and_slows(world):
    with world.session() as session:
        for _ in range(accounts.MAX_FAILURES):
            with pytest.raises(accounts.LoginFailed):
                accounts.authenticate(session, "learner@test.example", "wrong-wrong")
        with pytest.raises(accounts.LoginFailed):  # the right password must wait, told nothing more
            accounts.authenticate(session, "learner@test.example", PASSWORD)
        assert _user(session, world, "learner").locked_until is not None


def test_only_admins_create_accounts_and_passwords_need_length(world):
    with world.session() as session:
        with pytest.raises(PermissionDenied):
            accounts.create_user(session, _user(session, world, "clinician"), organisation_id=world.organisation_id,
                                 email="x@test.example", display_name="X", role="learner", password="long enough pw")
        with pytest.raises(PermissionDenied, match="at least 12"):
            accounts.create_user(session, _user(session, world, "admin"), organisation_id=world.organisation_id,
                                 email="x@test.example", display_name="X", role="learner", password="short")


def test_aggregates_suppress_small_months(world, pipeline):
    for _ in range(insights.MIN_CELL - 1):
        store_encounter(world, "clinician", pipeline)
    with world.session() as session:
        rows = insights.aggregates(session, _user(session, world, "researcher"))
    assert len(rows) == 1 and rows[0].suppressed and rows[0].mean_score is None


def test_audit_event_commits_with_the_change_or_not_at_all(world, pipeline):
    with world.session() as session:
        before = session.scalar(select(func.count(AuditEvent.id)))
        with pytest.raises(PermissionDenied):
            encounters.upload(session, _user(session, world, "clinician"),
                              [encounters.Upload("v.txt", b"Dr A: hi\nPatient: hello\n")],
                              pipeline=pipeline, patient_email="nobody@test.example")
        session.rollback()
        assert session.scalar(select(func.count(AuditEvent.id))) == before
        assert session.scalar(select(func.count(Encounter.id))) == 0


def test_demo_seed_makes_one_login_per_role_and_analyses_the_samples(database, pipeline):
    with database.sessions() as session:
        logins, problems = demo.seed(session, pipeline=pipeline, samples=PRIMOCK)
        assert problems == []
        assert sorted(login.role for login in logins) == sorted(
            ["admin", "educator", "clinician", "learner", "patient", "researcher"])
        assert session.scalar(select(func.count(Encounter.id))) == 3
        again, _ = demo.seed(session, pipeline=pipeline, samples=PRIMOCK)  # idempotent, new passwords
        assert session.scalar(select(func.count(Encounter.id))) == 3
        assert again[0].password != logins[0].password
        user = accounts.authenticate(session, again[0].email, again[0].password)
        assert user.role == again[0].role
