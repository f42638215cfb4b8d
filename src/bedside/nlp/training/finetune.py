"""Fine-tune MiniLM with three EPITOME level heads and a rationale token tagger (needs torch).

Only `bedside models train` imports this module, and only with the `train` extra installed.
The model reads the pair `[CLS] seeker/patient context [SEP] response [SEP]`, mean-pools all
tokens for the three 3-way level heads (emotional reactions, interpretations, explorations), and
tags each response token as inside or outside each mechanism's rationale. The epoch with the best
mean dev macro-F1 is kept, then exported to ONNX and quantised to int8.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bedside.nlp.training.corpora import EmpathyExample, rationale_spans

__all__ = [
    "MAX_LENGTH", "export_finetuned", "finetune_empathy", "frozen_modules", "pair_encodings", "token_targets",
]

MAX_LENGTH = 128
log = logging.getLogger(__name__)


def pair_encodings(tokenizer, contexts: Sequence[str], responses: Sequence[str]):  # type: ignore[no-untyped-def]
    """Tokenise (context, response) pairs the same way at training and at run time."""
    return tokenizer.encode_batch(list(zip(contexts, responses, strict=True)))


def token_targets(encoding, example: EmpathyExample) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Per-token 0/1 rationale targets `(T, 3)` and a mask of response tokens `(T,)`."""
    length = len(encoding.ids)
    targets = np.zeros((length, 3), np.float32)
    mask = np.zeros(length, np.float32)
    spans = [rationale_spans(example.response, example.rationales[m]) for m in range(3)]
    for position, (sequence, (start, end)) in enumerate(
        zip(encoding.sequence_ids, encoding.offsets, strict=True)
    ):
        if sequence != 1 or end <= start:
            continue
        mask[position] = 1.0
        for mechanism in range(3):
            if any(start < s_end and end > s_start for s_start, s_end in spans[mechanism]):
                targets[position, mechanism] = 1.0
    return targets, mask


def frozen_modules(encoder: Any, frozen_layers: int) -> list[Any]:
    """The encoder modules to freeze: embeddings and the `frozen_layers` lowest layers, or none.

    Freezing halves the backward pass on two CPU cores (the 0.3.0 weights were trained that way
    on a busy machine); `frozen_layers=0` trains every parameter, embeddings included.
    """
    if frozen_layers < 0 or frozen_layers > len(encoder.encoder.layer):
        raise ValueError(f"frozen_layers must be between 0 and {len(encoder.encoder.layer)}, got {frozen_layers}")
    if frozen_layers == 0:
        return []
    return [encoder.embeddings, *encoder.encoder.layer[:frozen_layers]]


def finetune_empathy(
    base_dir: Path,
    tokenizer: Any,
    train: list[EmpathyExample],
    dev: list[EmpathyExample],
    out_dir: Path,
    *,
    epochs: int = 4,
    seed: int = 13,
    batch_size: int = 16,
    lr: float = 5e-5,
    frozen_layers: int = 3,
) -> dict[str, object]:
    """Fine-tune, keep the best dev epoch in `empathy_best.pt`; returns training facts.

    `frozen_layers` > 0 freezes the embeddings and that many lower transformer layers; 0 freezes
    nothing.
    """
    import torch
    from transformers import AutoModel

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    rng = np.random.default_rng(seed)

    class Model(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base_dir))
            self.levels = torch.nn.Linear(384, 9)
            self.tags = torch.nn.Linear(384, 3)

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).float()
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return self.levels(pooled).view(-1, 3, 3), self.tags(hidden)

    model = Model()
    for module in frozen_modules(model.encoder, frozen_layers):
        for parameter in module.parameters():
            parameter.requires_grad = False
    train_enc = pair_encodings(tokenizer, [e.seeker for e in train], [e.response for e in train])
    dev_enc = pair_encodings(tokenizer, [e.seeker for e in dev], [e.response for e in dev])
    levels = np.array([e.levels for e in train])
    counts = np.stack([np.bincount(levels[:, m], minlength=3) for m in range(3)]).astype(np.float32)
    class_weights = torch.tensor(np.sqrt(counts.sum(1, keepdims=True) / (3 * counts)))

    def tensors(encs: Any, examples: list[EmpathyExample], rows: Any) -> tuple[Any, ...]:
        width = max(len(encs[i].ids) for i in rows)
        ids = np.zeros((len(rows), width), np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        tags = np.zeros((len(rows), width, 3), np.float32)
        tag_mask = np.zeros((len(rows), width), np.float32)
        for r, i in enumerate(rows):
            n = len(encs[i].ids)
            ids[r, :n], mask[r, :n], types[r, :n] = encs[i].ids, 1, encs[i].type_ids
            tags[r, :n], tag_mask[r, :n] = token_targets(encs[i], examples[i])
        y = np.array([examples[i].levels for i in rows])
        return (torch.tensor(ids), torch.tensor(mask), torch.tensor(types), torch.tensor(y),
                torch.tensor(tags), torch.tensor(tag_mask))

    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01
    )
    steps = epochs * ((len(train) + batch_size - 1) // batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps)
    )
    best: dict[str, object] = {}
    best_score = -1.0
    started = time.monotonic()
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(train))
        for begin in range(0, len(order), batch_size):
            ids, mask, types, y, tags, tag_mask = tensors(train_enc, train, order[begin : begin + batch_size])
            level_logits, tag_logits = model(ids, mask, types)
            loss = sum(
                torch.nn.functional.cross_entropy(level_logits[:, m], y[:, m], weight=class_weights[m])
                for m in range(3)
            )
            tag_loss = torch.nn.functional.binary_cross_entropy_with_logits(
                tag_logits, tags, reduction="none"
            ).sum(-1)
            loss = loss + (tag_loss * tag_mask).sum() / tag_mask.sum().clamp(min=1.0)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
        model.eval()
        predictions = []
        with torch.no_grad():
            for begin in range(0, len(dev), 64):
                rows = list(range(begin, min(begin + 64, len(dev))))
                ids, mask, types, *_ = tensors(dev_enc, dev, rows)
                predictions.append(model(ids, mask, types)[0].argmax(-1).numpy())
        predicted = np.concatenate(predictions)
        truth = np.array([e.levels for e in dev])
        f1s = [macro_f1(truth[:, m], predicted[:, m], 3) for m in range(3)]
        score = float(np.mean(f1s))
        log.info("epoch %d dev macro-F1 %s (%.0f s)", epoch + 1, np.round(f1s, 3), time.monotonic() - started)
        if score > best_score:
            best_score = score
            best = {"score": score, "epoch": epoch + 1, "dev_macro_f1": f1s}
            torch.save(model.state_dict(), out_dir / "empathy_best.pt")
    best["seconds"] = round(time.monotonic() - started)
    return best


def export_finetuned(base_dir: Path, state_path: Path, out_dir: Path) -> dict[str, np.ndarray]:
    """Export the fine-tuned encoder as int8 `empathy.onnx`; return its heads as numpy arrays."""
    import tempfile

    import torch
    from transformers import AutoModel

    from bedside.nlp.training.base import export_encoder, quantise

    state = torch.load(state_path)
    encoder = AutoModel.from_pretrained(str(base_dir))
    encoder.load_state_dict({k[len("encoder."):]: v for k, v in state.items() if k.startswith("encoder.")})
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "empathy_fp32.onnx"
        export_encoder(encoder, fp32, token_types=True)
        quantise(fp32, out_dir / "empathy.onnx")
    levels_w = state["levels.weight"].numpy()  # (9, 384): mechanism-major, 3 levels each
    levels_b = state["levels.bias"].numpy()
    arrays: dict[str, np.ndarray] = {}
    for m, mechanism in enumerate(("emotional_reactions", "interpretations", "explorations")):
        arrays[f"levels.{mechanism}.W2"] = levels_w[3 * m : 3 * m + 3].T.copy()
        arrays[f"levels.{mechanism}.b2"] = levels_b[3 * m : 3 * m + 3].copy()
        arrays[f"levels.{mechanism}.temperature"] = np.asarray(1.0, np.float32)
    arrays["tags.W2"] = state["tags.weight"].numpy().T.copy()
    arrays["tags.b2"] = state["tags.bias"].numpy().copy()
    arrays["tags.temperature"] = np.asarray(1.0, np.float32)
    return arrays


def macro_f1(truth: np.ndarray, predicted: np.ndarray, classes: int) -> float:
    """Unweighted mean of per-class F1 over the classes present in truth or prediction."""
    scores = []
    for c in range(classes):
        tp = np.sum((truth == c) & (predicted == c))
        fp = np.sum((truth != c) & (predicted == c))
        fn = np.sum((truth == c) & (predicted != c))
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))
