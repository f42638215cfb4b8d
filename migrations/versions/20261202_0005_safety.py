"""Safety routing: duty clinician, task reassignment (security issue 11, flags).

Revision ID: 0005_safety
Revises: 0004_access
Create Date: 2026-12-02 02:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = '0005_safety'
down_revision: str | Sequence[str] | None = '0004_access'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
