"""The MI-code step of `bedside models train`: AnnoMI development transcripts -> `mi.npz`.

Only the *development* transcripts of `data/annomi_split.json` are read for training (the
held-out ones are measured once, by `bench/mi_codes.py`). Where several annotators coded a
transcript, the rows of the lowest annotator id are used (as `bench/_annomi.py` does), so each
utterance counts once. A clinician turn's context is the client's last run of turns before it
(what the engine passes as `context`); a client turn's context is the therapist's last run.
Hyper-parameters (L2 strength, class balance, context or none) are chosen per model by 5-fold
cross-validation grouped by transcript within development; the seed fixes the fold assignment.
"""

from __future__ import annotations

import csv
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from bedside.errors import FormatError
from bedside.nlp._artefacts import sha256_file
from bedside.nlp._lexical import LexicalModel
from bedside.nlp._mi_model import CONTEXT_WORDS, MI_TASKS, MIModel, mi_text
from bedside.nlp.training.metrics import macro_f1

__all__ = ["MI_FILE", "MIExample", "examples", "read_annomi", "read_split", "train_mi"]

MI_FILE = "mi.npz"
VERSION = "1.0.0"
GRID_C = (1.0, 4.0)
GRID_BALANCED = (True,)
FOLDS = 5
_CONTEXT_CHARS = 1000


@dataclass(frozen=True)
class MIExample:
    """One AnnoMI utterance with the talk before it and its codes (None where not coded)."""

    transcript: str
    context: str
    text: str
    labels: dict[str, str | None]


def read_annomi(path: Path) -> dict[str, list[dict[str, str]]]:
    """Rows of each transcript in utterance order, one annotator's (the lowest id) per transcript."""
    if not path.is_file():
        raise FormatError("AnnoMI file not found; set BEDSIDE_DATA_DIR", source=str(path))
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            grouped[row["transcript_id"]].append(row)
    found = {}
    for tid, rows in grouped.items():
        annotator = min(int(r["annotator_id"] or 0) for r in rows)
        found[tid] = sorted(
            (r for r in rows if int(r["annotator_id"] or 0) == annotator),
            key=lambda r: int(r["utterance_id"]),
        )
    return found


def read_split(path: Path) -> dict[str, list[str]]:
    """`development` and `held_out` transcript ids of a split file."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return {"development": [str(t) for t in document["development"]],
            "held_out": [str(t) for t in document["held_out"]]}


def _code(value: str) -> str | None:
    return None if value in ("", "n/a") else value


def examples(transcripts: dict[str, list[dict[str, str]]], ids: Sequence[str]) -> list[MIExample]:
    """Every non-empty utterance of the named transcripts with its context and codes."""
    found = []
    for tid in ids:
        rows = [r for r in transcripts[tid] if r["utterance_text"].strip()]
        for position, row in enumerate(rows):
            speaker = row["interlocutor"]
            collected: list[str] = []
            for before in range(position - 1, -1, -1):
                if rows[before]["interlocutor"] != speaker:
                    collected.append(rows[before]["utterance_text"])
                elif collected:
                    break
            context = " ".join(reversed(collected))[-_CONTEXT_CHARS:]
            if speaker == "therapist":
                labels = {
                    "question": _code(row["question_subtype"]) if row["question_exists"] == "True" else None,
                    "reflection": (_code(row["reflection_subtype"])
                                   if row["reflection_exists"] == "True" else None),
                    "mi_behaviour": _code(row["main_therapist_behaviour"]),
                    "talk_type": None,
                }
            else:
                labels = {"question": None, "reflection": None, "mi_behaviour": None,
                          "talk_type": _code(row["client_talk_type"])}
            found.append(MIExample(tid, context, row["utterance_text"], labels))
    return found


def _task_rows(data: Sequence[MIExample], task: str) -> list[MIExample]:
    """Examples of the speaker a task applies to (clinician tasks: therapist rows)."""
    if task == "talk_type":
        return [e for e in data if e.labels["talk_type"] is not None]
    return [e for e in data if e.labels["mi_behaviour"] is not None]


def _targets(rows: Sequence[MIExample], task: str) -> np.ndarray:
    classes = MI_TASKS[task]
    return np.array([classes.index(e.labels[task]) for e in rows], dtype=np.int64)


def _folds(groups: Sequence[str], seed: int) -> list[np.ndarray]:
    """Transcript-grouped folds: transcripts shuffled with the seed, dealt round-robin."""
    ids = sorted(set(groups), key=lambda g: (len(g), g))
    random.Random(seed).shuffle(ids)
    fold_of = {g: i % FOLDS for i, g in enumerate(ids)}
    assignment = np.array([fold_of[g] for g in groups])
    return [np.flatnonzero(assignment == k) for k in range(FOLDS)]


def _cv_score(rows: Sequence[MIExample], task: str, context_words: int, c: float, balanced: bool,
              seed: int) -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [mi_text(e.context, e.text, context_words=context_words) for e in rows]
    y = _targets(rows, task)
    predicted = np.zeros_like(y)
    for test in _folds([e.transcript for e in rows], seed):
        train = np.setdiff1d(np.arange(len(rows)), test)
        vectoriser = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        matrix = vectoriser.fit_transform([texts[i] for i in train])
        model = LogisticRegression(max_iter=2000, C=c, class_weight="balanced" if balanced else None)
        model.fit(matrix, y[train])
        predicted[test] = model.predict(vectoriser.transform([texts[i] for i in test]))
    return macro_f1(list(y), list(predicted), range(len(MI_TASKS[task])))


def train_mi(data_dir: Path, out_dir: Path, split_path: Path, *, seed: int = 13,
             limit: int | None = None, grid: bool = True,
             progress: Callable[[str], None] = print) -> tuple[dict[str, Any], dict[str, str]]:
    """Fit the four MI models on the development transcripts; write `out_dir/mi.npz`.

    Returns the manifest entry (`models.mi_codes`) and the file hashes to add to `files`.
    `limit` keeps only the first N development transcripts (tests); `grid=False` skips the
    search and uses C=2, balanced, with context (tests).
    """
    started = time.monotonic()
    transcripts = read_annomi(data_dir / "annomi" / "train.csv")
    split = read_split(split_path)
    held_out = set(split["held_out"])
    development = [t for t in split["development"] if t in transcripts and t not in held_out]
    if limit is not None:
        development = development[:limit]
    data = examples(transcripts, development)
    chosen: dict[str, dict[str, Any]] = {}
    models: dict[str, LexicalModel] = {}
    for task in MI_TASKS:
        rows = _task_rows(data, task)
        best: dict[str, Any] = {"context_words": CONTEXT_WORDS, "c": 2.0, "balanced": True, "cv_macro_f1": None}
        if grid:
            scores = {}
            for words, c, balanced in product((0, CONTEXT_WORDS), GRID_C, GRID_BALANCED):
                scores[(words, c, balanced)] = _cv_score(rows, task, words, c, balanced, seed)
            (words, c, balanced), score = max(scores.items(), key=lambda kv: (kv[1], -kv[0][1]))
            best = {"context_words": words, "c": c, "balanced": balanced,
                    "cv_macro_f1": round(score, 4)}
            progress(f"mi {task}: cv macro-F1 {score:.3f} (context words {words}, C={c}, "
                     f"balanced={balanced})")
        texts = [mi_text(e.context, e.text, context_words=int(best["context_words"])) for e in rows]
        models[task] = LexicalModel.fit(texts, _targets(rows, task)[:, None],
                                        classes=len(MI_TASKS[task]), balanced=bool(best["balanced"]),
                                        c=float(best["c"]))
        chosen[task] = best
    model = MIModel(models, {t: int(b["context_words"]) for t, b in chosen.items()})
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MI_FILE
    np.savez(path, **model.to_arrays())  # type: ignore[arg-type]
    entry = {
        "version": VERSION,
        "file": MI_FILE,
        "method": "TF-IDF word 1-2 grams of the turn (with `?` kept and its questions' first "
        "words) + logistic regression per code, run in numpy; C and context (the talk before the "
        "turn, or none: see `chosen`) by 5-fold CV grouped by transcript within development",
        "dev_note": "`dev` holds the old rules' figures on the PriMock57 gold set; the learned "
        "codes' held-out AnnoMI and gold figures are in docs/benchmarks.md (bench/mi_codes.py)",
        "training_data": f"AnnoMI shared part, development transcripts of {split_path.name} "
        f"({len(development)} transcripts, {len(data)} utterances; lowest annotator id where "
        "several coded a transcript); no held-out transcript",
        "development_transcripts": development,
        "chosen": chosen,
        "seed": seed,
        "train_seconds": round(time.monotonic() - started),
        "rules_fallback": "bedside.nlp._mi.MIRules when mi.npz is absent from the manifest",
        # Clinical talk first: on the PriMock57 MI gold the rules' question and reflection codes
        # beat these AnnoMI-trained ones (question macro-F1 0.965 vs 0.699, reflection presence
        # 0.609 vs 0.411), so the model fills only mi_behaviour and talk_type (docs/models/mi.md).
        "question_reflection": "rules",
    }
    return entry, {MI_FILE: sha256_file(path)}
