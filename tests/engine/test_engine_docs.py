"""docs/analysis.md explains every key the engine writes (docs are tested, sqlite-utils style)."""

from __future__ import annotations

import re
from pathlib import Path

from engine_helpers import timed
from keyword_labeller import KeywordLabeller

from bedside.engine import analyse

DOCS = Path(__file__).resolve().parents[2] / "docs" / "analysis.md"


def test_every_output_key_is_documented() -> None:
    conv = timed(
        ("Doctor", "What brings you in today?", 0.0, 2.0),
        ("Patient", "I've found a lump and I'm scared it's cancer.", 2.5, 6.0),
        ("Doctor", "Don't worry. Do you smoke?", 6.5, 8.0),
        ("Patient", "No.", 8.5, 9.0),
    )
    document = analyse(conv, labeller=KeywordLabeller()).to_json()
    keys = set(document) | set(document["metrics"]) | set(document["score"])
    keys |= {k for turn in document["turns"] for k in turn}
    keys |= {k for item in document["opportunities"] for k in item}
    keys |= set(document["score"]["breakdown"])
    keys |= set(document["metrics"]["mi"])
    keys -= {"schema", "id", "index", "speaker", "role", "text", "start", "end", "tags", "source"}
    text = DOCS.read_text(encoding="utf-8")
    fenced = re.findall(r"```.*?```", text, flags=re.DOTALL)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", " ", text, flags=re.DOTALL))
    code = " ".join(fenced + inline)
    undocumented = sorted(k for k in keys if not re.search(rf"\b{re.escape(k)}\b", code))
    assert undocumented == []
