"""A MiniLM encoder on ONNX Runtime with a `tokenizers` tokenizer: the only inference engine.

Why not torch: the analysis path must run on two CPU cores inside every Dask worker, start in
well under two seconds and not pull a 750 MB dependency. ONNX Runtime sessions are safe to call
from several threads (`InferenceSession.run` is documented thread-safe), and the tokenizer is only
read after loading, so one `Encoder` may serve a thread pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

__all__ = ["Batch", "Encoder", "load_tokenizer"]

BATCH_SIZE = 32


def load_tokenizer(path: Path, *, max_length: int, strategy: str = "only_first") -> Tokenizer:
    """Read a `tokenizer.json`, switch off its fixed 128-token padding and cap the length.

    The all-MiniLM-L6-v2 tokenizer file pads every input to 128 tokens; padding per batch instead
    makes short clinician turns about three times cheaper.
    """
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length, strategy=strategy)
    return tokenizer


@dataclass(frozen=True)
class Batch:
    """Token ids of a padded batch, and the encodings they came from (for character offsets)."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    encodings: list[Encoding]


def pad(encodings: list[Encoding]) -> Batch:
    """Pad a list of encodings to the longest one (id 0 is [PAD] in the MiniLM vocabulary)."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.ids)] = 1
    return Batch(ids, mask, encodings)


def make_session(path: Path, *, threads: int = 0) -> ort.InferenceSession:
    """An ONNX Runtime CPU session with full graph optimisation."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class Encoder:
    """Mean-pooled sentence embeddings (all-MiniLM-L6-v2 style, L2-normalised)."""

    def __init__(self, session: ort.InferenceSession, tokenizer: Tokenizer) -> None:
        self._session = session
        self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One 384-d unit vector per text; batches are formed by length to limit padding."""
        out = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for begin in range(0, len(order), BATCH_SIZE):
            rows = order[begin : begin + BATCH_SIZE]
            batch = pad([encodings[i] for i in rows])
            (hidden,) = self._session.run(
                ["hidden"], {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask}
            )
            out[rows] = mean_pool(hidden, batch.attention_mask)
        return out


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average the token vectors under the mask, then L2-normalise (as sentence-transformers)."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(summed, axis=1, keepdims=True)
    out: np.ndarray = (summed / np.maximum(norms, 1e-12)).astype(np.float32)
    return out
