"""API fuzzing with schemathesis against /openapi.json: no request may cause a server error,
and every answer matches what the document declares (status code, content type, body schema).

Bounded: a few dozen generated requests per operation, signed in as a clinician (who may use
every encounter operation) and as a patient (their FHIR Bundle), plus the same without
credentials. Sequences of calls are `test_schemathesis_stateful.py`. The pages' forms, which
the document does not describe, are fuzzed with Hypothesis below.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from test_route_matrix import MATRIX, Actor, make_setting

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


# ----- the pages' forms --------------------------------------------------------------------------
# Pages are not in the OpenAPI document, so schemathesis cannot reach them: every POST page route
# gets generated form fields (its declared ones and the ones routes read themselves), as an actor
# the route matrix lets through, on A's real records.

FORM_EXAMPLES = 12
AWKWARD = st.sampled_from([
    "", "0", "-1", str(2**63), str(2**70), "1e9", "\x00", "nul\x00inside", "true", "false",
    "a" * 5000, "phq9", "grief", "patient@test.example", "learner@test.example", " ERASE",
    "=cmd|' /C calc'!A0", "<script>alert(1)</script>", "😀" * 50,
])
VALUES = st.one_of(AWKWARD, st.text(max_size=40))
READ_BY_HAND = ["text", "email", "name", "goals", "what_matters", "actions", "scenario_id",
                *(f"item{n}" for n in range(1, 11)), "code", "reason", "confirm", "consent",
                "justification", "clinician_id", "password", "new_password", "current_password"]
SKIP = {"/logout"}  # ends the session the rest of the run needs


def _page_forms() -> list[tuple[str, str]]:
    """(POST path, the A actor the matrix lets through) for every POST page route."""
    found = []
    for rows in MATRIX.values():
        for r in rows:
            if r.method != "POST" or r.path.startswith("/api/") or r.path in SKIP:
                continue
            allowed = [a for a, want in r.expected.items() if a.startswith("A.") and min(
                want if isinstance(want, tuple) else (want,)) < 400]
            found.append((r.path, allowed[0] if allowed else "A.clinician"))
    return found


def test_every_post_page_is_in_the_form_fuzz():
    assert len(_page_forms()) >= 40


@pytest.mark.parametrize(("path", "actor"), _page_forms(), ids=[p for p, _ in _page_forms()])
def test_no_generated_form_causes_a_server_error(path, actor, app, world, pipeline, password_hash):
    records = make_setting(app, world, pipeline, password_hash)
    client = Actor(app, records, actor).page
    url = path.format(**records.values)

    @given(fields=st.dictionaries(st.sampled_from(READ_BY_HAND), VALUES, max_size=8))
    @settings(max_examples=FORM_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def post(fields):
        response = client.post(url, data=fields)
        assert response.status_code < 500, f"{actor} POST {url} {fields!r} → {response.status_code}"

    post()
