"""The demo organisation `bedside demo` (what `make run` starts) seeds: one account per role,
a cohort, and a few PriMock57 sample consultations analysed for real.

Passwords are random and new on every run (the accounts are reset each time), so that a demo
left running on a shared machine does not carry a well-known password.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bedside.db.base import utcnow
from bedside.db.tables import Cohort, CohortMember, Encounter, Organisation, User, UserRole
from bedside.db.tables_credentials import TotpCredential
from bedside.errors import BedsideError
from bedside.services import audit, encounters, grants
from bedside.services.passwords import hash_password

__all__ = ["DEMO_ORGANISATION", "DemoLogin", "sample_dir", "seed"]

log = logging.getLogger(__name__)

DEMO_ORGANISATION = "Demo Clinic"
DOMAIN = "demo.bedside.example"
ACCOUNTS = (
    (UserRole.CLINICIAN, "Dr Demo Clinician"),
    (UserRole.LEARNER, "Demo Learner"),
    (UserRole.EDUCATOR, "Demo Educator"),
    (UserRole.PATIENT, "Demo Patient"),
    (UserRole.RESEARCHER, "Demo Researcher"),
    (UserRole.ADMIN, "Demo Admin"),
)


@dataclass(frozen=True)
class DemoLogin:
    """One printed demo login."""

    role: str
    email: str
    password: str
    totp_secret: str | None = None  # the admin's authenticator key (admins must have one)


def _fresh_authenticator(session: Session, user: User) -> str:
    """A new confirmed TOTP secret for the demo admin (printed with the logins, new every run)."""
    import pyotp

    secret = pyotp.random_base32()
    session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    session.add(TotpCredential(user_id=user.id, secret=secret, confirmed_at=utcnow(), last_step=0))
    session.flush()
    return secret


def sample_dir() -> Path:
    """The bundled PriMock57 pairs (`data/samples/primock57` in the source tree)."""
    import bedside

    return Path(bedside.__file__).resolve().parents[2] / "data" / "samples" / "primock57"


def _pairs(folder: Path) -> list[list[Path]]:
    groups: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(folder.glob("*.TextGrid")):
        groups[path.stem.rsplit("_", 1)[0]].append(path)
    return [files for _, files in sorted(groups.items()) if len(files) > 1]


def seed(
    session: Session, *, pipeline: encounters.Pipeline, samples: Path | None = None
) -> tuple[list[DemoLogin], list[str]]:
    """Create (or refresh) the demo organisation; returns the logins and any sample problems."""
    organisation = session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))
    if organisation is None:
        organisation = Organisation(name=DEMO_ORGANISATION)
        session.add(organisation)
        session.flush()
    logins: list[DemoLogin] = []
    users: dict[UserRole, User] = {}
    for role, name in ACCOUNTS:
        email = f"{role.value}@{DOMAIN}"
        password = secrets.token_urlsafe(9)
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(organisation_id=organisation.id, email=email, display_name=name, role=role.value,
                        password_hash="")
            session.add(user)
        user.password_hash = hash_password(password)
        user.failed_logins = 0
        user.locked_until = None
        user.is_active = True
        session.flush()
        users[role] = user
        totp = _fresh_authenticator(session, user) if role is UserRole.ADMIN else None
        logins.append(DemoLogin(role.value, email, password, totp))
    educator = users[UserRole.EDUCATOR]
    if session.scalar(select(Cohort).where(Cohort.educator_id == educator.id)) is None:
        cohort = Cohort(organisation_id=organisation.id, name="Foundation year team",
                        educator_id=educator.id)
        session.add(cohort)
        session.flush()
        for role in (UserRole.CLINICIAN, UserRole.LEARNER):
            session.add(CohortMember(cohort_id=cohort.id, user_id=users[role].id))
    audit.record(session, None, "demo.seed", f"organisation:{organisation.id}")
    session.commit()
    # The demo admin puts the clinician on the patient's care team (the consultation below is
    # linked to the patient, which needs it).
    grants.grant_care(
        session, users[UserRole.ADMIN], users[UserRole.PATIENT].id, users[UserRole.CLINICIAN].email,
        consent=True,
    )

    problems: list[str] = []
    has_encounters = session.scalar(
        select(Encounter.id).where(Encounter.organisation_id == organisation.id).limit(1)
    )
    if has_encounters is None:
        owners = [users[UserRole.CLINICIAN], users[UserRole.CLINICIAN], users[UserRole.LEARNER]]
        for number, files in enumerate(_pairs(samples or sample_dir())):
            owner = owners[number % len(owners)]
            uploads = [encounters.Upload(p.name, p.read_bytes()) for p in files]
            try:
                encounters.upload(
                    session, owner, uploads, pipeline=pipeline,
                    patient_email=users[UserRole.PATIENT].email if number == 0 else "",
                )
            except (BedsideError, ImportError) as error:
                session.rollback()
                problems.append(f"{files[0].name}: {error}")
    return logins, problems
