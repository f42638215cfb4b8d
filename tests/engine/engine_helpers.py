"""Helpers for the engine tests: fixture consultations and PriMock57 pairs as conversations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bedside.io import merge_conversations, read_conversations
from bedside.model import Conversation, Role, Speaker, Turn, infer_role

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "engine"
CONSULTATIONS = FIXTURES / "consultations"


def load_fixture(path: Path) -> tuple[Conversation, dict[str, Any]]:
    """A hand-written consultation (contract input JSON plus an `expected` block)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    turns = []
    for number, item in enumerate(document["turns"], start=1):
        role = Role(item["role"]) if "role" in item else infer_role(item["speaker"])
        turns.append(
            Turn(
                speaker=Speaker(name=item["speaker"], role=role),
                text=item["text"],
                start=item.get("start"),
                end=item.get("end"),
                line=number,
            )
        )
    conv = Conversation(id=document["id"], source=path.name, turns=tuple(turns))
    return conv, document["expected"]


def read_pair(doctor: Path) -> Conversation:
    """A PriMock57 consultation: its doctor and patient TextGrids merged on one timeline."""
    patient = doctor.with_name(doctor.name.replace("_doctor", "_patient"))
    parts = [c for path in (doctor, patient) for c in read_conversations(path)]
    return merge_conversations(parts, conv_id=doctor.name.replace("_doctor.TextGrid", ""))


def timed(*rows: tuple[str, str, float, float]) -> Conversation:
    """A conversation from (speaker, text, start, end) rows; roles inferred from names."""
    turns = tuple(
        Turn(speaker=Speaker(name=name, role=infer_role(name)), text=text, start=start, end=end)
        for name, text, start, end in rows
    )
    return Conversation(id="timed", turns=turns)
