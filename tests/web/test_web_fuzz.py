"""API fuzzing with schemathesis against /openapi.json: no request may cause a server error,
and every answer matches what the document declares (status code, content type, body schema).

Bounded: a few dozen generated requests per operation, signed in as a clinician (who may use
every encounter operation) and as a patient (their FHIR Bundle), plus the same without
credentials. Sequences of calls are `test_schemathesis_stateful.py`.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bedside.db.tables import User
from bedside.services import accounts
from web_fixtures import store_encounter

EXAMPLES = 30
# This area's operations; other areas' API routes (check-ins, training) fuzz their own.
OWN = ("/api/v1/",)  # every API operation, check-ins and training included
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("signed_in", ["clinician", "patient", None],
                         ids=["clinician", "patient", "anonymous"])
def test_no_generated_request_causes_a_server_error(app, world, pipeline, signed_in):
    store_encounter(world, "clinician", pipeline, patient="patient")
    headers = {}
    if signed_in:
        with world.session() as session:
            made = accounts.create_api_token(session, session.get(User, world.users[signed_in].id), "fuzz")
        headers["authorization"] = f"Bearer {made.secret}"
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [op for op in (result.ok() for result in schema.get_all_operations())
                  if op.path.startswith(OWN)]
    assert len(operations) >= 6
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def call(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        call()
