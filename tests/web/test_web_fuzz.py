"""API fuzzing with schemathesis against /openapi.json: no request may cause a server error.

Bounded: a few dozen generated requests per operation, signed in as a clinician (who may use
every encounter operation), plus the same without credentials.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from bedside.db.tables import User
from bedside.services import accounts
from web_fixtures import store_encounter

EXAMPLES = 30
# This area's operations; other areas' API routes (check-ins, training) fuzz their own.
OWN = ("/api/v1/",)  # every API operation, check-ins and training included


@pytest.mark.parametrize("signed_in", [True, False], ids=["token", "anonymous"])
def test_no_generated_request_causes_a_server_error(app, world, pipeline, signed_in):
    store_encounter(world, "clinician", pipeline)
    headers = {}
    if signed_in:
        with world.session() as session:
            made = accounts.create_api_token(session, session.get(User, world.users["clinician"].id), "fuzz")
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
            case.validate_response(response, checks=[not_a_server_error])

        call()
