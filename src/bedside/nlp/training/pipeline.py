"""Reproduce the shipped weights from the shared corpora: `bedside models train` calls `train`.

Steps (fixed seed throughout):
1. emotions: frozen MiniLM sentence embeddings of GoEmotions-Ekman -> one-hidden-layer sigmoid
   head (numpy), temperature and per-label thresholds chosen on dev;
2. empathy: (context, response) pairs of EPITOME through the empathy encoder -> three 3-way
   level heads on the mean-pooled tokens and a per-token rationale tagger, tag thresholds chosen
   on dev. The empathy encoder is either the frozen base encoder (no torch needed) or a MiniLM
   fine-tuned with torch (`finetune=True`, the `train` extra), whose heads are exported as arrays;
3. every figure in the manifest is measured by the runtime `Labeller` on the dev splits.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bedside.model.labels import EMOTIONS, MECHANISMS
from bedside.nlp._artefacts import MANIFEST, Artefacts, sha256_file
from bedside.nlp._encoder import Encoder, load_tokenizer, make_session, pad
from bedside.nlp._heads import Head, sigmoid
from bedside.nlp._lexical import LexicalModel
from bedside.nlp.training.corpora import (
    EmpathyExample,
    emotion_matrix,
    rationale_spans,
    read_epitome,
    read_goemotions,
)
from bedside.nlp.training.fit import fit_head, fit_temperature
from bedside.nlp.training.metrics import binary_f1, macro_f1, rationale_token_f1

__all__ = ["EMOTION_MAX_LENGTH", "EMPATHY_MAX_LENGTH", "train"]

log = logging.getLogger(__name__)
EMPATHY_MAX_LENGTH = 128
EMOTION_MAX_LENGTH = 64
VERSION = "0.3.0"
LEXICAL_WEIGHT = 0.5
"""Share of the TF-IDF model in the averaged level probabilities (equal weights, fixed a priori)."""


def train(
    data_dir: Path,
    out_dir: Path,
    *,
    base: Path | None = None,
    seed: int = 13,
    limit: int | None = None,
    empathy_encoder: Path | None = None,
    empathy_heads: dict[str, np.ndarray] | None = None,
    cache: Path | None = None,
    progress: Callable[[str], None] = log.info,
) -> dict[str, Any]:
    """Train every model and write a complete weights folder with its manifest.

    Args:
        data_dir: the shared corpora folder (`epitome/`, `goemotions_ekman/`).
        out_dir: where to write `manifest.json`, `heads.npz` and the encoder files.
        base: a weights folder whose `encoder.onnx` and `tokenizer.json` are the frozen base
            (default: the shipped one).
        limit: use only the first `limit` examples of each split (for tests and smoke runs).
        empathy_encoder, empathy_heads: a fine-tuned empathy encoder (ONNX, output `hidden`) and
            its `levels.*` heads; without them the level heads are fitted on frozen features.
        cache: folder for sentence embeddings keyed by encoder hash and texts (saves minutes
            when retraining; never changes results).
    """
    started = time.monotonic()
    base_artefacts = Artefacts.load(base)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer_name = base_artefacts.manifest["tokenizer"]
    for name in ("encoder.onnx", tokenizer_name):
        if base_artefacts.path(name).resolve() != (out_dir / name).resolve():
            shutil.copyfile(base_artefacts.path(name), out_dir / name)
    tokenizer_path = out_dir / tokenizer_name
    base_session = make_session(out_dir / "encoder.onnx")

    progress("reading corpora")
    go_train = read_goemotions(data_dir / "goemotions_ekman" / "train.tsv")[:limit]
    go_dev = read_goemotions(data_dir / "goemotions_ekman" / "dev.tsv")[:limit]
    ep_train = read_epitome(data_dir / "epitome" / "train.csv")[:limit]
    ep_dev = read_epitome(data_dir / "epitome" / "dev.csv")[:limit]

    progress(f"emotions: embedding {len(go_train) + len(go_dev)} comments")
    encoder = Encoder(base_session, load_tokenizer(tokenizer_path, max_length=EMOTION_MAX_LENGTH))
    embed = _cached(encoder, sha256_file(out_dir / "encoder.onnx"), cache)
    heads: dict[str, np.ndarray] = {}
    emotions_entry = _train_emotions(embed, go_train, go_dev, seed, heads)

    empathy_name = "encoder.onnx"
    if empathy_encoder is not None:
        empathy_name = "empathy.onnx"
        shutil.copyfile(empathy_encoder, out_dir / empathy_name)
    progress(f"empathy: encoding {len(ep_train) + len(ep_dev)} pairs with {empathy_name}")
    pair_tokenizer = load_tokenizer(tokenizer_path, max_length=EMPATHY_MAX_LENGTH, strategy="longest_first")
    session = base_session if empathy_encoder is None else make_session(out_dir / empathy_name)
    train_pooled, train_tokens, train_tags = _pair_features(session, pair_tokenizer, ep_train)
    _dev_pooled, dev_tokens, dev_tags = _pair_features(session, pair_tokenizer, ep_dev)
    levels = np.array([e.levels for e in ep_train])
    if empathy_heads is not None:
        heads.update(empathy_heads)
    else:
        for m, mechanism in enumerate(MECHANISMS):
            counts = np.bincount(levels[:, m], minlength=3).astype(np.float32)
            weights = np.sqrt(counts.sum() / (3 * np.maximum(counts, 1)))
            head = fit_head(train_pooled, levels[:, m], kind="softmax", epochs=60, lr=3e-3,
                            batch_size=64, class_weights=weights.astype(np.float32), seed=seed + m)
            heads.update(head.to_arrays(f"levels.{mechanism}"))
    lexical = LexicalModel.fit([e.response for e in ep_train], levels)
    heads.update(lexical.to_arrays())
    if "tags.W2" not in heads:
        tag_head = fit_head(np.concatenate(train_tokens), np.concatenate(train_tags), kind="sigmoid",
                            epochs=8, lr=2e-3, batch_size=512, seed=seed + 7)
        heads.update(tag_head.to_arrays("tags"))
    tag_head = Head.from_arrays(heads, "tags")
    tag_probs = sigmoid(tag_head.logits(np.concatenate(dev_tokens)))
    dev_truth = np.concatenate(dev_tags).astype(bool)
    tag_thresholds = [
        _best_threshold(dev_truth[:, m], tag_probs[:, m]) for m in range(len(MECHANISMS))
    ]
    empathy_entry = {
        "version": VERSION,
        "encoder": empathy_name,
        "max_length": EMPATHY_MAX_LENGTH,
        "tag_thresholds": tag_thresholds,
        "lexical_weight": LEXICAL_WEIGHT,
        "method": "MiniLM-L6 fine-tuned with torch (embeddings + 3 lower layers frozen), 8-bit ONNX, "
        "levels averaged with a TF-IDF + logistic-regression model" if empathy_encoder else
        "frozen MiniLM-L6 8-bit ONNX features + numpy heads",
        "training_data": "EPITOME train.csv (2,115 Reddit seeker/response pairs); selected on dev.csv",
    }
    heads_path = out_dir / "heads.npz"
    np.savez(heads_path, **heads)  # type: ignore[arg-type]
    files = [tokenizer_name, "encoder.onnx", "heads.npz"] + ([empathy_name] if empathy_encoder else [])
    manifest: dict[str, Any] = {
        "schema": "bedside.models/1",
        "tokenizer": tokenizer_name,
        "heads": "heads.npz",
        "seed": seed,
        "files": {name: sha256_file(out_dir / name) for name in sorted(set(files))},
        "provenance": base_artefacts.manifest.get("provenance", {}),
        "models": {
            "empathy": empathy_entry,
            "emotions": emotions_entry,
            "mi_codes": {
                "version": VERSION,
                "method": "rules (bedside.nlp._mi), written on the dev half of data/gold/mi",
                "training_data": "none; hand-labelled PriMock57 gold set for development/testing",
            },
        },
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

    progress("measuring the shipped labeller on dev")
    from bedside.nlp._labeller import load_labeller

    labeller = load_labeller(out_dir)
    empathy_entry["dev"] = evaluate_empathy(labeller, ep_dev)
    emotions_entry["dev"] = evaluate_emotions(labeller, go_dev)
    manifest["train_seconds"] = round(time.monotonic() - started)
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _cached(encoder: Encoder, encoder_sha: str, cache: Path | None) -> Callable[[list[str]], np.ndarray]:
    """`encoder.embed`, memoised on disk when a cache folder is given."""
    import hashlib

    def embed(texts: list[str]) -> np.ndarray:
        if cache is None:
            return encoder.embed(texts)
        key = hashlib.sha256((encoder_sha + str(EMOTION_MAX_LENGTH) + "\x00".join(texts)).encode()).hexdigest()
        path = cache / f"{key[:32]}.npy"
        if path.is_file():
            stored: np.ndarray = np.load(path)
            return stored
        vectors = encoder.embed(texts)
        cache.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
        return vectors

    return embed


def _train_emotions(embed: Callable[[list[str]], np.ndarray], train: list[Any], dev: list[Any],
                    seed: int, heads: dict[str, np.ndarray]) -> dict[str, Any]:
    x_train = embed([e.text for e in train])
    x_dev = embed([e.text for e in dev])
    y_train, y_dev = emotion_matrix(train), emotion_matrix(dev)
    head = fit_head(x_train, y_train, kind="sigmoid", hidden=512, epochs=25, lr=1e-3,
                    batch_size=128, weight_decay=1e-4, seed=seed)
    head.temperature = fit_temperature(head.logits(x_dev), y_dev, kind="sigmoid")
    probs = sigmoid(head.logits(x_dev))
    thresholds = [_best_threshold(y_dev[:, k].astype(bool), probs[:, k]) for k in range(len(EMOTIONS))]
    heads.update(head.to_arrays("emotions"))
    lexical = LexicalModel.fit([e.text for e in train], y_train.astype(int), classes=2, balanced=False)
    heads.update(lexical.to_arrays("emotion_lexical"))
    lexical_probs = lexical.probabilities([e.text for e in dev])[:, :, 1]
    probs = (1 - LEXICAL_WEIGHT) * probs + LEXICAL_WEIGHT * lexical_probs
    thresholds = [_best_threshold(y_dev[:, k].astype(bool), probs[:, k]) for k in range(len(EMOTIONS))]
    return {
        "version": VERSION,
        "encoder": "encoder.onnx",
        "max_length": EMOTION_MAX_LENGTH,
        "thresholds": thresholds,
        "method": "frozen MiniLM-L6 8-bit ONNX sentence embedding + 512-unit MLP (numpy), "
        "temperature-scaled, averaged with a TF-IDF + logistic-regression model, per-label "
        "thresholds chosen on dev",
        "lexical_weight": LEXICAL_WEIGHT,
        "training_data": "GoEmotions-Ekman train.tsv (43,410 Reddit comments); thresholds on dev.tsv",
    }


def _best_threshold(truth: np.ndarray, probs: np.ndarray) -> float:
    """The probability cut-off (0.05 steps) with the best dev F1."""
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    scores = [binary_f1(truth, probs >= t) for t in grid]
    return float(grid[int(np.argmax(scores))])


def _pair_features(session: Any, tokenizer: Any, examples: list[EmpathyExample]
                   ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Mean-pooled pair features, response-token features and their rationale targets."""
    from bedside.nlp.training.finetune import token_targets

    encodings = tokenizer.encode_batch([(e.seeker, e.response) for e in examples])
    pooled = np.zeros((len(examples), 384), np.float32)
    tokens: list[np.ndarray] = [np.zeros((0, 384), np.float32)] * len(examples)
    tags: list[np.ndarray] = [np.zeros((0, 3), np.float32)] * len(examples)
    order = sorted(range(len(examples)), key=lambda i: len(encodings[i].ids))
    names = {i.name for i in session.get_inputs()}
    for begin in range(0, len(order), 32):
        rows = order[begin : begin + 32]
        batch = pad([encodings[i] for i in rows])
        feeds = {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask}
        if "token_type_ids" in names:
            feeds["token_type_ids"] = np.asarray(
                [e.type_ids + [0] * (batch.input_ids.shape[1] - len(e.ids)) for e in batch.encodings],
                dtype=np.int64,
            )
        (hidden,) = session.run(["hidden"], feeds)
        weights = batch.attention_mask[..., None].astype(np.float32)
        pooled[rows] = (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
        for slot, index in enumerate(rows):
            target, mask = token_targets(batch.encodings[slot], examples[index])
            keep = mask.astype(bool)
            tokens[index] = hidden[slot, : len(mask)][keep]
            tags[index] = target[keep]
    return pooled, tokens, tags


def evaluate_empathy(labeller: Any, examples: list[EmpathyExample]) -> dict[str, Any]:
    """Dev macro-F1 per mechanism and rationale token-F1, measured through the runtime."""
    labels = labeller.empathy([e.seeker for e in examples], [e.response for e in examples])
    result: dict[str, Any] = {}
    for m, mechanism in enumerate(MECHANISMS):
        truth = [e.levels[m] for e in examples]
        predicted = [label.levels[mechanism] for label in labels]
        gold_spans = [rationale_spans(e.response, e.rationales[m]) for e in examples]
        result[mechanism] = {
            "macro_f1": round(macro_f1(truth, predicted, [0, 1, 2]), 4),
            "accuracy": round(float(np.mean(np.array(truth) == np.array(predicted))), 4),
            "rationale_token_f1": round(rationale_token_f1(
                [e.response for e in examples], gold_spans,
                [label.rationales[mechanism] for label in labels]), 4),
        }
    return result


def evaluate_emotions(labeller: Any, examples: list[Any]) -> dict[str, Any]:
    """Dev macro-F1 over the seven labels and F1 per label, measured through the runtime."""
    truth = emotion_matrix(examples).astype(bool)
    labels = labeller.emotions([e.text for e in examples])
    predicted = np.zeros_like(truth)
    for row, label in enumerate(labels):
        predicted[row, [EMOTIONS.index(x) for x in label.emotions]] = True
    per_label = {e: round(binary_f1(truth[:, k], predicted[:, k]), 4) for k, e in enumerate(EMOTIONS)}
    return {"macro_f1": round(float(np.mean(list(per_label.values()))), 4), "per_label_f1": per_label}


def evaluate_mi(gold_path: Path) -> dict[str, Any]:
    """Macro-F1 of the MI rules on the hand-labelled gold set, per split (dev tunes, test reports)."""
    from bedside.nlp._mi import MIRules

    rows = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line]
    rules = MIRules()
    result: dict[str, Any] = {}
    for split in ("test", "dev"):
        part = [r for r in rows if r["split"] == split]
        codes = rules.code_batch([r["context"] for r in part], [r["text"] for r in part])
        suffix = "" if split == "test" else "_dev"
        result[f"gold_{split}_n"] = len(part)
        result[f"question_macro_f1{suffix}"] = round(macro_f1(
            [r["question"] for r in part], [c.question for c in codes], [None, "open", "closed"]), 4)
        result[f"reflection_macro_f1{suffix}"] = round(macro_f1(
            [r["reflection"] for r in part], [c.reflection for c in codes], [None, "simple", "complex"]), 4)
    return result
