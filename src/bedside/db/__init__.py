"""Storage: SQLAlchemy 2 tables on one metadata, engines, sessions and repository queries.

Other areas add their own tables as modules of this package on `bedside.db.base.Base`;
`load_table_modules()` imports them all for Alembic and tests.
"""

from bedside.db import audit_chain as _audit_chain  # noqa: F401 - hashes audit rows on flush
from bedside.db.base import Base, metadata, utcnow
from bedside.db.session import load_table_modules, make_engine, make_sessionmaker
from bedside.db.tables import UserRole

__all__ = ["Base", "UserRole", "load_table_modules", "make_engine", "make_sessionmaker", "metadata", "utcnow"]
