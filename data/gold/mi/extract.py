"""Extract clinician turns (with the patient speech before them) from PriMock57 for hand labelling.

Run once: `.venv/bin/python data/gold/mi/extract.py CONSULTATION...` writes unlabelled rows to
stdout as JSON Lines. The labels in `gold.jsonl` were then added by hand (see GUIDE.md); this script
only makes the turn segmentation reproducible.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from praatio import textgrid

TAG = re.compile(r"</?UNSURE>|<[A-Z_]+/>")


def clean(text: str) -> str:
    """Remove transcription tags, keep their words, squeeze spaces."""
    return re.sub(r"\s+", " ", TAG.sub(" ", text)).strip()


def turns(folder: Path, consultation: str) -> list[tuple[float, str, str]]:
    """All non-empty intervals of both speakers, in time order."""
    rows = []
    for role in ("doctor", "patient"):
        grid = textgrid.openTextgrid(
            str(folder / f"{consultation}_{role}.TextGrid"), includeEmptyIntervals=False
        )
        for tier_name in grid.tierNames:
            for entry in grid.getTier(tier_name).entries:
                text = clean(entry.label)
                if re.search(r"\w", text):
                    rows.append((entry.start, role, text))
    rows.sort()
    return rows


def main() -> None:
    """Print one JSON object per clinician turn."""
    folder = Path(sys.argv[1])
    for consultation in sys.argv[2:]:
        context: list[str] = []
        for index, (_start, role, text) in enumerate(turns(folder, consultation)):
            if role == "patient":
                context.append(text)
                continue
            row = {"consultation": consultation, "turn": index, "context": " ".join(context),
                   "text": text}
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            context = []


if __name__ == "__main__":
    main()
