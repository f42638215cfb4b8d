"""Data at rest: sealed columns on both databases, tamper and wrong-key errors, key rotation,
the migration that seals existing rows, key loading, and database files readable by their owner only."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from sqlalchemy import Text, inspect, select, text, type_coerce

from bedside.config import Settings
from bedside.db import crypto
from bedside.db.tables import Encounter
from bedside.db.tables_care import PatientMessage
from bedside.errors import ConfigError, SealedDataError
from bedside.services import keys
from bedside.services.database import open_database, upgrade
from web_fixtures import store_patient_records

MARKER = "MARKER-zebra-7731"
PATIENT_WORDS = {
    "encounters.title", "encounters.source_name", "encounters.conversation", "encounters.analysis", "encounters.report", "checkins.answers",
    "patient_messages.text", "patient_voice.what_matters", "patient_voice.goals",
    "care_plans.document", "training_attempts.state",
}


def _raw_values(database):
    """Every sealed column's stored text, as the database holds it."""
    values = {}
    with database.engine.connect() as connection:
        for column in keys.encrypted_columns():
            raw = type_coerce(column, Text)
            values[f"{column.table.name}.{column.name}"] = [
                row[0] for row in connection.execute(select(raw).where(raw.is_not(None)))
            ]
    return values


@pytest.fixture
def restore_keyring():
    """Tests that install their own keyring put the environment's back afterwards."""
    try:
        before = crypto.installed_keyring()
    except ConfigError:
        before = None
    yield
    crypto.install_keyring(before)


def test_every_sealed_column_holds_no_plaintext_and_reads_back(world):
    ids = store_patient_records(world, MARKER)
    raw = _raw_values(world.database)
    assert set(raw) >= PATIENT_WORDS
    for column in PATIENT_WORDS:
        values = raw[column]
        assert values, column
        for value in values:
            assert MARKER not in value and MARKER.encode().hex() not in value, column
            assert crypto.sealed_key_id(value) == "test-1", column
    with world.session() as session:
        encounter = session.get(Encounter, ids["encounters"])
        assert encounter.analysis["turns"][0]["text"] == f"I am {MARKER}"
        assert session.get(PatientMessage, ids["patient_messages"]).text == MARKER


def test_the_same_text_seals_differently_each_time():
    keyring = crypto.parse_keyring("a:" + keys.new_key())
    first, second = (crypto.seal(b"same", keyring, purpose="t.c") for _ in range(2))
    assert first != second
    assert crypto.unseal(first, keyring, purpose="t.c") == b"same"


def test_a_changed_byte_a_swapped_column_and_plaintext_are_clear_errors(world):
    ids = store_patient_records(world, MARKER)
    with world.database.engine.begin() as connection:
        sealed = connection.execute(
            text("SELECT analysis FROM encounters WHERE id = :id"), {"id": ids["encounters"]}
        ).scalar_one()
        body = sealed.rsplit(":", 1)[1]
        flipped = body[:20] + ("A" if body[20] != "A" else "B") + body[21:]
        connection.execute(
            text("UPDATE encounters SET analysis = :v, report = :r WHERE id = :id"),
            {"v": sealed.rsplit(":", 1)[0] + ":" + flipped, "r": sealed, "id": ids["encounters"]},
        )
        connection.execute(
            text("UPDATE patient_messages SET text = 'plain words' WHERE id = :id"),
            {"id": ids["patient_messages"]},
        )
    with world.session() as session:
        encounter = session.get(Encounter, ids["encounters"])
        with pytest.raises(SealedDataError, match=r"encounters\.analysis: .*integrity check"):
            _ = encounter.analysis
        with pytest.raises(SealedDataError, match=r"encounters\.report: .*integrity check"):
            _ = encounter.report  # the analysis ciphertext does not open as another column
        with pytest.raises(SealedDataError, match="not encrypted"):
            session.scalar(select(PatientMessage.text).where(PatientMessage.id == ids["patient_messages"]))


def test_a_wrong_key_fails_clearly_whether_its_id_is_known_or_not(world, restore_keyring):
    ids = store_patient_records(world, MARKER)
    crypto.install_keyring(crypto.parse_keyring("other:" + keys.new_key()))
    with world.session() as session, pytest.raises(SealedDataError, match="'test-1', which is not configured"):
        session.scalar(select(PatientMessage.text).where(PatientMessage.id == ids["patient_messages"]))
    crypto.install_keyring(crypto.parse_keyring("test-1:" + keys.new_key()))
    with world.session() as session, pytest.raises(SealedDataError, match="integrity check"):
        session.scalar(select(PatientMessage.text).where(PatientMessage.id == ids["patient_messages"]))


def test_rotation_reencrypts_everything_in_batches_and_resumes(world, restore_keyring):
    for n in range(3):
        store_patient_records(world, f"{MARKER}-{n}")
    old = crypto.installed_keyring()
    new_key = keys.new_key()
    rotating = crypto.parse_keyring(f"new:{new_key},test-1:{base64.b64encode(old.keys['test-1']).decode()}")
    crypto.install_keyring(rotating)

    class Stop(Exception):
        pass

    def stop_after_first_batch(column, done):
        raise Stop

    with pytest.raises(Stop):
        keys.rotate(world.database.sessions, rotating, batch_size=2, progress=stop_after_first_batch)
    ids = {crypto.sealed_key_id(v) for vs in _raw_values(world.database).values() for v in vs}
    assert ids == {"new", "test-1"}  # the first batch was committed, the rest waits

    total = sum(len(values) for values in _raw_values(world.database).values())
    results = keys.rotate(world.database.sessions, rotating, batch_size=2)
    assert sum(r.rewritten for r in results) == total - 2
    assert {crypto.sealed_key_id(v) for vs in _raw_values(world.database).values() for v in vs} == {"new"}
    assert sum(r.rewritten for r in keys.rotate(world.database.sessions, rotating)) == 0

    crypto.install_keyring(crypto.parse_keyring(f"new:{new_key}"))  # the old key can go now
    with world.session() as session:
        texts = sorted(session.scalars(select(PatientMessage.text)))
    assert texts == [f"{MARKER}-{n}" for n in range(3)]


def test_the_migration_seals_existing_rows_and_downgrade_opens_them(world):
    from bedside.services.database import downgrade

    store_patient_records(world, MARKER)
    url = world.database.url
    world.database.dispose()
    downgrade(url, "0007_audit")
    database = open_database(url)
    try:
        with database.engine.connect() as connection:
            plain = connection.execute(text("SELECT text FROM patient_messages")).scalar_one()
            analysis = connection.execute(text("SELECT CAST(analysis AS TEXT) FROM encounters")).scalar_one()
        assert plain == MARKER and MARKER in analysis
    finally:
        database.dispose()
    upgrade(url)
    database = open_database(url)
    try:
        if database.engine.dialect.name == "postgresql":  # JSONB cannot hold sealed text
            columns = {c["name"]: c["type"] for c in inspect(database.engine).get_columns("encounters")}
            assert isinstance(columns["analysis"], Text)
        raw = _raw_values(database)
        assert all(crypto.is_sealed(v) and MARKER not in v for vs in raw.values() for v in vs)
        with database.sessions() as session:
            assert session.scalar(select(PatientMessage.text)) == MARKER
            assert session.scalar(select(Encounter)).analysis["turns"][0]["text"] == f"I am {MARKER}"
    finally:
        database.dispose()


def test_a_server_database_needs_a_key_and_keys_must_be_32_bytes(monkeypatch):
    monkeypatch.delenv("BEDSIDE_DATA_KEYS", raising=False)
    monkeypatch.delenv("BEDSIDE_DATA_KEY", raising=False)
    with pytest.raises(ConfigError, match="set BEDSIDE_DATA_KEY"):
        keys.load_keyring(Settings(), database_url="postgresql+psycopg://db/bedside")
    monkeypatch.setenv("BEDSIDE_DATA_KEY", base64.b64encode(b"short").decode())
    with pytest.raises(ConfigError, match="5 bytes"):
        keys.load_keyring(Settings(), database_url="postgresql+psycopg://db/bedside")
    monkeypatch.setenv("BEDSIDE_DATA_KEY", "not base64!")
    with pytest.raises(ConfigError, match="not valid base64"):
        keys.load_keyring(Settings(), database_url="postgresql+psycopg://db/bedside")
    key = keys.new_key()
    monkeypatch.setenv("BEDSIDE_DATA_KEY", key)
    keyring = keys.load_keyring(Settings(), database_url="postgresql+psycopg://db/bedside")
    assert keyring.active_id == crypto.key_id_for(base64.b64decode(key))
    monkeypatch.setenv("BEDSIDE_DATA_KEYS", f"{keys.new_key()},{key}")  # the bare key keeps its id
    assert crypto.key_id_for(base64.b64decode(key)) in keys.load_keyring(
        Settings(), database_url="postgresql+psycopg://db/bedside"
    ).keys


def test_the_embedded_database_keeps_a_generated_key_0600_in_a_0700_home(monkeypatch, tmp_path):
    monkeypatch.delenv("BEDSIDE_DATA_KEYS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    first = keys.load_keyring(Settings(), database_url="sqlite:///x.sqlite3")
    assert keys.load_keyring(Settings(), database_url="sqlite:///x.sqlite3") == first
    home = tmp_path / "bedside"
    assert stat.S_IMODE(os.stat(home / "data_key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700


def test_the_default_database_files_are_0600_in_a_0700_folder(monkeypatch, tmp_path, restore_keyring):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("BEDSIDE_DATABASE_URL", raising=False)
    url = Settings().resolved_database_url()
    upgrade(url)
    database = open_database(url)
    try:
        with database.engine.begin() as connection:  # a write, so that -wal and -shm exist
            connection.execute(text("INSERT INTO organisations (name, created_at) VALUES ('x', '2026-01-01')"))
        home = tmp_path / "bedside"
        files = [home / name for name in ("bedside.sqlite3", "bedside.sqlite3-wal", "bedside.sqlite3-shm")]
        assert all(path.exists() for path in files)
        assert {stat.S_IMODE(os.stat(path).st_mode) for path in files} == {0o600}
        assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    finally:
        database.dispose()


def test_an_old_world_readable_database_is_tightened_when_opened(tmp_path, restore_keyring):
    path = tmp_path / "old.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    open_database(f"sqlite:///{path}").dispose()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_the_cli_rotates_to_the_first_key_and_a_rerun_has_nothing_left(world, monkeypatch, restore_keyring):
    from typer.testing import CliRunner

    from bedside.cli.main import app as cli

    store_patient_records(world, MARKER)
    old = base64.b64encode(crypto.installed_keyring().keys["test-1"]).decode()
    monkeypatch.setenv("BEDSIDE_DATABASE_URL", world.database.url)
    monkeypatch.setenv("BEDSIDE_DATA_KEYS", f"next:{keys.new_key()},test-1:{old}")
    result = CliRunner().invoke(cli, ["data", "rotate-key", "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    assert "patient_messages.text: 1 re-encrypted" in result.output
    assert "under data key 'next'" in result.output
    assert {crypto.sealed_key_id(v) for c in PATIENT_WORDS for v in _raw_values(world.database)[c]} == {"next"}
    again = CliRunner().invoke(cli, ["data", "rotate-key"])
    assert again.exit_code == 0 and "patient_messages.text: 0 re-encrypted" in again.output
    assert len(CliRunner().invoke(cli, ["data", "new-key"]).output.strip()) == 44



def test_the_sqlite_files_on_disk_hold_no_plaintext(tmp_path, password_hash, restore_keyring):
    """The bytes of the database file and its write-ahead log, not just the columns."""
    from bedside.db.tables import Organisation, User
    from web_fixtures import World

    path = tmp_path / "disk.sqlite3"
    upgrade(f"sqlite:///{path}")
    database = open_database(f"sqlite:///{path}")
    try:
        with database.sessions() as session:
            organisation = Organisation(name="Disk Clinic")
            session.add(organisation)
            session.flush()
            users = {name: User(organisation_id=organisation.id, email=f"{name}@disk.example",
                                display_name=name, role=name, password_hash=password_hash)
                     for name in ("patient", "clinician", "learner")}
            session.add_all(users.values())
            session.commit()
        store_patient_records(World(database=database, organisation_id=organisation.id, users=users), MARKER)
        files = [path, tmp_path / "disk.sqlite3-wal"]
        assert sum(f.stat().st_size for f in files if f.exists()) > 0
        for name in files:
            if name.exists():
                assert MARKER.encode() not in name.read_bytes(), name
        with database.sessions() as session:
            assert session.scalar(select(PatientMessage.text)) == MARKER
    finally:
        database.dispose()


def test_a_tampered_value_is_a_500_for_the_reader_and_a_log_line_without_content(world, client_for, caplog):
    ids = store_patient_records(world, MARKER)
    with world.database.engine.begin() as connection:
        connection.execute(text("UPDATE encounters SET analysis = report WHERE id = :id"),
                           {"id": ids["encounters"]})  # a valid ciphertext of another column
    with caplog.at_level("ERROR", logger="bedside.web.app"):
        response = client_for("clinician").get(f"/api/v1/encounters/{ids['encounters']}/analysis")
    assert response.status_code == 500
    assert MARKER not in response.text
    logged = [r.getMessage() for r in caplog.records if "failed to decrypt" in r.getMessage()]
    assert logged and "encounters.analysis" in logged[0] and MARKER not in logged[0]


def test_a_break_glass_justification_is_sealed_too(world):
    from datetime import timedelta

    from bedside.db import utcnow
    from bedside.db.tables_access import BreakGlassAccess

    with world.session() as session:
        grant = BreakGlassAccess(organisation_id=world.organisation_id,
                                 clinician_id=world.users["other"].id,
                                 patient_id=world.users["patient"].id,
                                 justification=f"found unconscious {MARKER}",
                                 expires_at=utcnow() + timedelta(hours=4))
        session.add(grant)
        session.commit()
        grant_id = grant.id
    [raw] = _raw_values(world.database)["break_glass_access.justification"]
    assert crypto.is_sealed(raw) and MARKER not in raw
    with world.session() as session:
        assert session.get(BreakGlassAccess, grant_id).justification.endswith(MARKER)
