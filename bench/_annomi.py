"""AnnoMI for the score's validity check: transcripts as Conversations, the split, AUC with a CI.

AnnoMI (Wu et al. 2022, 2023) holds transcribed *demonstrations* of high- and low-quality
motivational interviewing, every utterance coded by MI experts. It is not primary care: the
score is checked here against an expert's judgement of MI quality, the nearest labelled
judgement of a clinician's relational skill that the shared data holds.

Used by `bench/score_validity.py`, `scripts/fit_score_weights.py` and the tests; no bedside
internals beyond the public model classes.
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bedside.model import Conversation, Role, Speaker, Turn

ROOT = Path(__file__).resolve().parents[1]
SPLIT_FILE = ROOT / "data" / "annomi_split.json"
SPLIT_SEED = 12
DEV_SHARE = 0.5
_ROLES = {"therapist": Role.CLINICIAN, "client": Role.PATIENT}
_NAMES = {"therapist": "Therapist", "client": "Client"}


@dataclass(frozen=True)
class Transcript:
    """One AnnoMI transcript as coded by one annotator (the lowest id where several coded it)."""

    id: str
    quality: str  # "high" | "low"
    topic: str
    rows: tuple[dict[str, str], ...]

    @property
    def high(self) -> bool:
        """True for a high-quality MI demonstration."""
        return self.quality == "high"


def load_transcripts(path: Path) -> dict[str, Transcript]:
    """Every transcript in an AnnoMI CSV, keyed by `transcript_id`, utterances in order.

    Where several annotators coded a transcript, their rows repeat the utterances; the lowest
    annotator id's rows are kept, so each utterance appears once.
    """
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            grouped[row["transcript_id"]].append(row)
    found: dict[str, Transcript] = {}
    for tid, rows in grouped.items():
        annotator = min(rows, key=lambda r: int(r["annotator_id"] or 0))["annotator_id"]
        kept = sorted(
            (r for r in rows if r["annotator_id"] == annotator),
            key=lambda r: int(r["utterance_id"]),
        )
        found[tid] = Transcript(
            id=tid, quality=kept[0]["mi_quality"], topic=kept[0]["topic"], rows=tuple(kept)
        )
    return dict(sorted(found.items(), key=lambda item: int(item[0])))


def to_conversation(transcript: Transcript) -> Conversation:
    """The transcript as bedside reads a consultation: therapist = clinician, client = patient.

    AnnoMI gives only each utterance's start time, so turns carry no times (talk time is then
    counted in words, and there is no interruption figure): the same as a typed transcript.
    """
    turns = tuple(
        Turn(
            speaker=Speaker(name=_NAMES[row["interlocutor"]], role=_ROLES[row["interlocutor"]]),
            text=row["utterance_text"],
            line=number,
        )
        for number, row in enumerate(transcript.rows, start=1)
        if row["utterance_text"].strip()
    )
    return Conversation(id=f"annomi_{transcript.id}", turns=turns, source="annomi")


def human_reflection_to_question(transcript: Transcript) -> float:
    """Reflections per question from AnnoMI's own expert codes (MITI's R:Q ratio)."""
    therapist = [r for r in transcript.rows if r["interlocutor"] == "therapist"]
    reflections = sum(1 for r in therapist if r["reflection_exists"] == "True")
    questions = sum(1 for r in therapist if r["question_exists"] == "True")
    return reflections / max(questions, 1)


def make_split(
    transcripts: Mapping[str, Transcript], *, seed: int = SPLIT_SEED
) -> dict[str, object]:
    """A split by transcript, stratified by quality: half of each quality to development."""
    rng = random.Random(seed)
    split: dict[str, list[str]] = {"development": [], "held_out": []}
    for quality in ("high", "low"):
        ids = sorted((t for t, tr in transcripts.items() if tr.quality == quality), key=int)
        rng.shuffle(ids)
        cut = round(len(ids) * DEV_SHARE)
        split["development"].extend(ids[:cut])
        split["held_out"].extend(ids[cut:])
    return {
        "corpus": "AnnoMI (shared part, ../shared/data/annomi/train.csv)",
        "unit": "transcript_id; stratified by mi_quality; half of each quality to development",
        "seed": seed,
        "development": sorted(split["development"], key=int),
        "held_out": sorted(split["held_out"], key=int),
    }


def read_split(path: Path = SPLIT_FILE) -> dict[str, list[str]]:
    """The committed split (`data/annomi_split.json`)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return {"development": list(document["development"]), "held_out": list(document["held_out"])}


def auc(scores: Sequence[float], positive: Sequence[bool]) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties count half."""
    pos = [s for s, p in zip(scores, positive, strict=True) if p]
    neg = [s for s, p in zip(scores, positive, strict=True) if not p]
    if not pos or not neg:
        raise ValueError("AUC needs at least one positive and one negative case")
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def bootstrap_ci(
    scores: Sequence[float],
    positive: Sequence[bool],
    *,
    rounds: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap CI of the AUC, resampling positives and negatives separately."""
    rng = random.Random(seed)
    pos = [s for s, p in zip(scores, positive, strict=True) if p]
    neg = [s for s, p in zip(scores, positive, strict=True) if not p]
    found = []
    for _ in range(rounds):
        a = [rng.choice(pos) for _ in pos]
        b = [rng.choice(neg) for _ in neg]
        found.append(auc(a + b, [True] * len(a) + [False] * len(b)))
    found.sort()
    tail = (1.0 - level) / 2
    return found[int(tail * rounds)], found[min(rounds - 1, int((1 - tail) * rounds))]


def paired(ids: Iterable[str], transcripts: Mapping[str, Transcript]) -> list[Transcript]:
    """The transcripts named, in id order."""
    return [transcripts[i] for i in sorted(ids, key=int)]
