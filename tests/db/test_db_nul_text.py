"""A NUL character in text is refused the same way on SQLite and PostgreSQL, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bedside.db.tables import Organisation
from bedside.errors import FormatError


def test_nul_in_text_is_a_clear_error_and_nothing_is_stored(database) -> None:
    with database.sessions() as session:
        before = session.scalar(select(func.count()).select_from(Organisation))
        session.add(Organisation(name="Clinic\x00One"))
        with pytest.raises(FormatError, match="NUL character"):
            session.flush()
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Organisation)) == before


def test_nul_in_an_api_form_field_is_a_400_not_a_500(world, client_for) -> None:
    client = client_for("clinician")
    response = client.post(
        "/api/v1/encounters",
        data={"patient_email": "\x00", "title": ""},
        files={"files": ("a.txt", b"Dr Lee: How are you?\nPatient: Scared.\n", "text/plain")},
    )
    assert response.status_code == 400, response.text
