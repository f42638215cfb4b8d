"""The routers of the web application, and the hook other areas use to add theirs.

`create_app` includes the `router` of every module named in `ROUTE_MODULES`, then of every module
in `OPTIONAL_ROUTE_MODULES` that exists. Patient check-ins and the training simulator add
`bedside/web/routes/checkins.py` and `bedside/web/routes/training.py` with a module-level
`router = APIRouter(...)`; they are picked up without editing this package. A module may also
define `NAV = [("Label", "/path", frozenset({UserRole...}))]` to add items to the navigation.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["OPTIONAL_ROUTE_MODULES", "ROUTE_MODULES", "route_modules"]

ROUTE_MODULES: tuple[str, ...] = (
    "bedside.web.routes.auth",
    "bedside.web.routes.pages",
    "bedside.web.routes.encounters",
    "bedside.web.routes.insights",
    "bedside.web.routes.admin",
    "bedside.web.routes.grants",
    "bedside.web.routes.api",
)

OPTIONAL_ROUTE_MODULES: tuple[str, ...] = (
    "bedside.web.routes.checkins",
    "bedside.web.routes.training",
)


def route_modules() -> list[ModuleType]:
    """The modules whose `router` the app includes (optional ones only when present)."""
    modules = [importlib.import_module(name) for name in ROUTE_MODULES]
    for name in OPTIONAL_ROUTE_MODULES:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as error:
            if error.name != name:  # the module exists but one of its imports is missing
                raise
    return modules
