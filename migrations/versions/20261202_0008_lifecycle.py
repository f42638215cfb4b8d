"""Data at rest and lifecycle: encryption, retention policies (security issue 11).

Revision ID: 0008_lifecycle
Revises: 0007_audit
Create Date: 2026-12-02 02:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = '0008_lifecycle'
down_revision: str | Sequence[str] | None = '0007_audit'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
