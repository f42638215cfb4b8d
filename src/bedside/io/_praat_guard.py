"""Refuse, in linear time, the long-format TextGrids on which praatio's parser goes quadratic.

praatio finds each quoted field of the long text format with `re.search(r'text ?= ?"(.*)"\\s*$')`
(DOTALL for `text` and `mark`, one line for a tier's `name`). When a field has no closing quote
at the end of a line, the search fails, but only after retrying from every later `text = "` of
the same interval, each retry scanning to its end: an 80 KB file took 2 s, 320 KB half a minute,
and 50 MB would hold a worker for days. Such a file is malformed (praatio ends in ParsingError),
so the same answer is given here first, with the line, after one pass.

The splitting mirrors praatio 6's `_parseNormalTextgrid`: tiers at `item [`, entries at
`intervals [` or `points [`.
"""

from __future__ import annotations

import re

from bedside.errors import FormatError

__all__ = ["check_long_fields"]

_ITEM = re.compile(r"item ?\[")
_QUOTE_AT_LINE_END = re.compile(r'"[^\S\n]*$', re.MULTILINE)
_NAME = re.compile(r'name ?= ?"')
_FIELDS = {
    True: (re.compile(r"intervals ?\["), re.compile(r'text ?= ?"')),
    False: (re.compile(r"points ?\["), re.compile(r'mark ?= ?"')),
}
"""Interval tier or not -> (what separates its entries, the field praatio searches in each)."""


def check_long_fields(data: str, *, source: str) -> None:
    """Raise FormatError when a tier name or an entry's text opens a quote that no line closes.

    Only the first field of each kind in a block matters: when its search succeeds, praatio's
    succeeds there too, in one scan of the block.
    """
    for tier_start, tier in _blocks(_ITEM, data)[1:]:  # the first piece is `]:` of `item []:`
        entry_split, field = _FIELDS['class = "IntervalTier"' in tier]
        entries = _blocks(entry_split, tier)
        first_entry = entry_split.search(tier)
        header_end = first_entry.start() if first_entry else len(tier)
        name = _NAME.search(tier, 0, header_end)
        if name:
            line_end = tier.find("\n", name.end(), header_end)
            rest = tier[name.end() : header_end if line_end < 0 else line_end]
            if not rest.rstrip().endswith('"'):
                _unclosed(data, tier_start + name.start(), "tier name", source)
        for entry_start, entry in entries:
            opened = field.search(entry)
            if opened and not _QUOTE_AT_LINE_END.search(entry, opened.end()):
                _unclosed(data, tier_start + entry_start + opened.start(), "text", source)


def _blocks(separator: re.Pattern[str], text: str) -> list[tuple[int, str]]:
    """The pieces after each separator, with their offsets in `text` (praatio's `re.split`)."""
    matches = list(separator.finditer(text))
    ends = [match.start() for match in matches[1:]] + [len(text)] * bool(matches)
    return [
        (match.end(), text[match.end() : end]) for match, end in zip(matches, ends, strict=True)
    ]


def _unclosed(data: str, offset: int, what: str, source: str) -> None:
    line = data.count("\n", 0, offset) + 1
    column = offset - (data.rfind("\n", 0, offset) + 1) + 1
    raise FormatError(
        f"the {what} opens a quote that no line closes: the file looks truncated, or a quote "
        'is missing; expected text = "..." ending in a quote',
        source=source,
        line=line,
        column=column,
    )
