"""Analysis jobs off the event loop: queued uploads and their progress (security issue 11).

Revision ID: 0009_jobs
Revises: 0008_lifecycle
Create Date: 2026-12-02 02:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = '0009_jobs'
down_revision: str | Sequence[str] | None = '0008_lifecycle'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
