"""Care relationships, consent, cohort grants, break-glass access (security issue 11, access model).

Revision ID: 0004_access
Revises: 0003_training
Create Date: 2026-12-02 02:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = '0004_access'
down_revision: str | Sequence[str] | None = '0003_training'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
