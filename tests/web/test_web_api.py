"""The JSON API: tokens, pagination, the contract JSON, OpenAPI."""

from __future__ import annotations

from bedside.db.tables import ApiToken, User
from bedside.services import accounts
from web_fixtures import TRANSCRIPT, Client, store_encounter


def _api(app, world, role):
    with world.session() as session:
        made = accounts.create_api_token(session, session.get(User, world.users[role].id), "test")
    client = Client(app, None, None)
    client.http.headers["authorization"] = f"Bearer {made.secret}"
    return client, made


def test_tokens_are_hashed_at_rest_and_can_be_revoked(app, world):
    client, made = _api(app, world, "clinician")
    with world.session() as session:
        stored = session.get(ApiToken, made.token.id)
        assert made.secret not in (stored.token_hash, stored.prefix)
    assert client.get("/api/v1/me").json()["role"] == "clinician"
    with world.session() as session:
        accounts.revoke_api_token(session, session.get(User, world.users["clinician"].id), made.token.id)
    assert client.get("/api/v1/me").status_code == 401


def test_unauthenticated_requests_get_401(app):
    response = Client(app, None, None).get("/api/v1/encounters")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_upload_list_paginate_and_get_the_contract_json(app, world):
    client, _ = _api(app, world, "clinician")
    for number in range(3):
        created = client.post("/api/v1/encounters", files=[("files", ("v.txt", TRANSCRIPT))],
                              data={"title": f"visit {number}"})
        assert created.status_code == 201, created.text
    listing = client.get("/api/v1/encounters?limit=2&offset=0").json()
    assert listing["total"] == 3 and len(listing["items"]) == 2
    assert listing["items"][0]["title"] == "visit 2"
    rest = client.get("/api/v1/encounters?limit=2&offset=2").json()
    assert [i["title"] for i in rest["items"]] == ["visit 0"]
    encounter_id = listing["items"][0]["id"]
    analysis = client.get(f"/api/v1/encounters/{encounter_id}/analysis").json()
    assert analysis["schema"] == "bedside.analysis/1"
    assert {"id", "turns", "metrics", "opportunities", "score"} <= analysis.keys()
    assert "text" not in client.get(f"/api/v1/encounters/{encounter_id}").json()


def test_api_upload_errors_are_400_with_file_and_line(app, world):
    client, _ = _api(app, world, "clinician")
    response = client.post("/api/v1/encounters", files=[("files", ("bad.json", b"{not json"))])
    assert response.status_code == 400
    assert response.json()["detail"].startswith("bad.json:")


def test_researchers_get_aggregates_not_encounters(app, world, pipeline):
    for _ in range(5):
        store_encounter(world, "clinician", pipeline)
    client, _ = _api(app, world, "researcher")
    rows = client.get("/api/v1/aggregates").json()
    assert rows[0]["encounters"] == 5 and not rows[0]["suppressed"]
    assert client.get("/api/v1/encounters").status_code == 403


def test_openapi_documents_the_api_only(app):
    spec = Client(app, None, None).get("/openapi.json").json()
    paths = set(spec["paths"])
    assert "/api/v1/encounters" in paths
    assert all(p.startswith("/api/v1") for p in paths)


def test_api_docs_are_served_from_vendored_files(app):
    client = Client(app, None, None)
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/vendor/htmx.min.js").text.startswith("var htmx")
