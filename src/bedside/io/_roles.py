"""`--role "Dr Lee=clinician"` options parsed into the overrides that readers take."""

from __future__ import annotations

from collections.abc import Iterable

from bedside.errors import FormatError
from bedside.model import Role

__all__ = ["parse_role_overrides"]


def parse_role_overrides(items: Iterable[str]) -> dict[str, Role]:
    """`["Dr Lee=clinician", "Sam=family"]` -> `{"Dr Lee": Role.CLINICIAN, "Sam": Role.FAMILY}`.

    The last `=` separates the role, so a name may itself contain `=`.

    Raises:
        FormatError: an item without `=`, with an empty name, or with an unknown role.
    """
    roles: dict[str, Role] = {}
    choices = ", ".join(role.value for role in Role)
    for item in items:
        name, sep, role = item.rpartition("=")
        name = " ".join(name.split())
        if not sep or not name:
            raise FormatError(
                f"{item!r} is not NAME=ROLE; expected for example 'Dr Lee=clinician'",
                source="--role",
            )
        try:
            roles[name] = Role(role.strip().lower())
        except ValueError:
            raise FormatError(
                f"role {role.strip()!r} is unknown; expected one of {choices}", source="--role"
            ) from None
    return roles
