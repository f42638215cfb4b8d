"""Stateful API runs with schemathesis: sequences of /api/v1 calls that feed one another.

schemathesis infers links between operations from the OpenAPI document (an encounter listed or
created → fetched → its analysis), and we add the one it cannot infer (who I am → my FHIR
Bundle). Each run is a bounded number of scenarios of a bounded number of steps, derandomised
so CI sees the same sequences every time. A run fails on any 5xx, on a response that does not
match its declared schema, status code or content type.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bedside.db.tables import User
from bedside.services import accounts
from bedside.services.training import ReplyAssessor
from web_fixtures import store_encounter

SCENARIOS = 25
STEPS = 8
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
ME = "/api/v1/me"
FHIR = "/api/v1/patients/{patient_id}/fhir"


def _schema(app: Any) -> Any:
    """The app's schema, plus a link from /me to the caller's own FHIR Bundle."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    paths = schema.raw_schema["paths"]
    if FHIR in paths:
        fhir_id = paths[FHIR]["get"]["operationId"]
        paths[ME]["get"]["responses"]["200"]["links"] = {
            "OwnFhirBundle": {"operationId": fhir_id,
                              "parameters": {"patient_id": "$response.body#/id"}},
        }
    return schema


def _machine(app: Any, headers: dict[str, str], seen: set[tuple[str, int]] | None = None) -> Any:
    """The state machine, calling with `headers`, noting (path template, status) into `seen`."""
    base = _schema(app).as_state_machine()

    class Workflow(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            if seen is not None:
                seen.add((case.operation.path, response.status_code))

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, recorder=self.recorder)

    return Workflow


def _bearer(world: Any, name: str) -> dict[str, str]:
    with world.session() as session:
        made = accounts.create_api_token(session, session.get(User, world.users[name].id), "sf")
    return {"authorization": f"Bearer {made.secret}"}


def test_the_state_machine_links_the_api_operations(app):
    """Guard against a schema change that silently leaves the run with nothing to chain."""
    machine = _machine(app, {})
    links = [name for name in dir(machine) if "__GET_api_v1_encounters_encounter_id" in name]
    assert len(links) >= 3, links
    assert any("patient_id" in name for name in dir(machine)), "the /me → FHIR link is missing"


# What each run must have reached through a link, so that it tests sequences, not single calls.
REACHED = {
    "clinician": ("/api/v1/encounters/{encounter_id}/analysis", 200),
    "patient": (FHIR, 200),
    "educator": ("/api/v1/encounters/{encounter_id}", 200),  # a cohort member's encounter
    None: ("/api/v1/me", 401),
}


@pytest.mark.parametrize("role", list(REACHED), ids=["clinician", "patient", "educator", "anonymous"])
def test_stateful_api_runs_answer_within_the_schema(role, app, world, pipeline):
    app.state.training_assessor = ReplyAssessor()
    for _ in range(2):
        store_encounter(world, "clinician", pipeline, patient="patient")
    headers = _bearer(world, role) if role else {}
    seen: set[tuple[str, int]] = set()
    _machine(app, headers, seen).run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert REACHED[role] in seen, sorted(seen)
