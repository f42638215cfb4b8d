"""CSV transcripts: a header naming `speaker` and `text`, optionally `start`, `end` and `role`.

    speaker,text,start,end
    Dr Lee,How are you feeling?,1.2,3.0
    Patient,"Tired, mostly.",3.4,5.1

Spreadsheet exports are the commonest hand-made transcript; the header is required so that a
column swap cannot silently turn speakers into text. The delimiter is the first of `,`, `;` and
tab found in the header line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from bedside.errors import FormatError
from bedside.io._common import TurnBuilder, brief, conversation_id
from bedside.model import Conversation, Role

__all__ = ["CSV_COLUMNS", "read_csv"]

CSV_COLUMNS = ("speaker", "role", "text", "start", "end")
_REQUIRED = ("speaker", "text")


def _number(cell: str, column: str, *, source: str, line: int) -> float | None:
    cell = cell.strip()
    if not cell:
        return None
    if cell.count(",") == 1 and "." not in cell:
        cell = cell.replace(",", ".")  # a decimal comma, as ';'-separated spreadsheets write
    try:
        return float(cell)
    except ValueError:
        raise FormatError(
            f"{column} {brief(cell)} is not a number; expected seconds such as 12.5 or an empty cell",
            source=source,
            line=line,
        ) from None


def _role(cell: str, *, source: str, line: int) -> Role | None:
    cell = cell.strip().lower()
    if not cell:
        return None
    try:
        return Role(cell)
    except ValueError:
        raise FormatError(
            f"role {brief(cell)} is unknown; expected one of {', '.join(r.value for r in Role)}",
            source=source,
            line=line,
        ) from None


def read_csv(
    data: str, *, source: str = "<string>", roles: Mapping[str, Role] | None = None
) -> Conversation:
    """Read a CSV transcript with a header row.

    Raises:
        FormatError: a missing or unknown column, a row with the wrong number of cells, an
            unclosed quote, a time that is not a number, or no turns at all.
    """
    header_line = data.split("\n", 1)[0]
    # Spreadsheets in many locales save with ';' (or tabs); the header says which was used.
    delimiter = next((d for d in (",", ";", "\t") if d in header_line), ",")
    rows = csv.reader(io.StringIO(data, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [cell.strip().lower() for cell in next(rows)]
    except (StopIteration, csv.Error) as error:
        raise FormatError(f"unreadable CSV header ({error})", source=source, line=1) from None
    unknown = [name for name in header if name not in CSV_COLUMNS]
    missing = [name for name in _REQUIRED if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise FormatError(
            f"header {brief(','.join(header), 80)} is not usable; expected columns speaker,text[,start,end][,role]",
            source=source,
            line=1,
            column=1,
        )
    column = {name: header.index(name) for name in header}
    builder = TurnBuilder(source=source, roles=roles)
    line = rows.line_num
    while True:
        first = line + 1
        try:
            cells = next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            raise FormatError(
                f"malformed CSV row ({error}); check the quotes", source=source, line=first
            ) from None
        line = rows.line_num
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise FormatError(
                f"row has {len(cells)} cells; expected {len(header)} ({','.join(header)})",
                source=source,
                line=first,
            )
        start = (
            _number(cells[column["start"]], "start", source=source, line=first)
            if "start" in column
            else None
        )
        end = (
            _number(cells[column["end"]], "end", source=source, line=first)
            if "end" in column
            else None
        )
        role = _role(cells[column["role"]], source=source, line=first) if "role" in column else None
        builder.add(
            cells[column["speaker"]],
            cells[column["text"]],
            start=start,
            end=end,
            line=first,
            role=role,
        )
    if not builder.turns:
        raise FormatError("no turns found; expected rows after the header", source=source)
    return Conversation(id=conversation_id(source), source=source, turns=tuple(builder.turns))
