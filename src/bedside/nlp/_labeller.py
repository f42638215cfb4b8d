"""`Labeller`: the shipped empathy, emotion and MI-code models behind the `TurnLabeller` protocol."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bedside.errors import ModelError
from bedside.model.labels import EMOTIONS, MECHANISMS, EmotionLabel, EmpathyLabel, MICode, Span
from bedside.nlp._artefacts import Artefacts
from bedside.nlp._encoder import BATCH_SIZE, Encoder, load_tokenizer, make_session, pad
from bedside.nlp._heads import Head, sigmoid, softmax
from bedside.nlp._lexical import LexicalModel
from bedside.nlp._mi import MIRules
from bedside.nlp._mi_model import MIModel
from bedside.nlp._spans import token_spans

__all__ = ["Labeller", "load_labeller"]


class Labeller:
    """Labels turns with the shipped models; build it with `load_labeller()`.

    Every method is batched and deterministic (same inputs, same outputs) and does no I/O. One
    instance may be shared by several threads: ONNX Runtime sessions are thread-safe and the
    tokenizers and heads are only read. Creating one takes well under a second, so Dask or
    process-pool workers should simply build their own.
    """

    def __init__(self, artefacts: Artefacts, *, threads: int = 0) -> None:
        self.artefacts = artefacts
        empathy = artefacts.model("empathy")
        emotions = artefacts.model("emotions")
        sessions: dict[str, Any] = {}
        for name in {empathy["encoder"], emotions["encoder"]}:
            sessions[name] = make_session(artefacts.path(name), threads=threads)
        tokenizer_path = artefacts.path(artefacts.manifest["tokenizer"])
        self._emotion_encoder = Encoder(
            sessions[emotions["encoder"]],
            load_tokenizer(tokenizer_path, max_length=int(emotions["max_length"])),
        )
        self._empathy_session = sessions[empathy["encoder"]]
        self._pair_tokenizer = load_tokenizer(
            tokenizer_path, max_length=int(empathy["max_length"]), strategy="longest_first"
        )
        with np.load(artefacts.path(artefacts.manifest["heads"])) as arrays:
            stored = dict(arrays)
        try:
            self._emotion_head = Head.from_arrays(stored, "emotions")
            self._level_heads = [Head.from_arrays(stored, f"levels.{m}") for m in MECHANISMS]
            self._tag_head = Head.from_arrays(stored, "tags")
            self._lexical = LexicalModel.from_arrays(stored, len(MECHANISMS))
            self._emotion_lexical = (
                LexicalModel.from_arrays(stored, len(EMOTIONS), "emotion_lexical")
                if "emotion_lexical.terms" in stored else None
            )
        except KeyError as error:
            raise ModelError(f"heads file lacks {error}: retrain with `bedside models train`") from None
        self._emotion_thresholds = np.asarray(emotions["thresholds"], dtype=np.float32)
        self._tag_thresholds = np.asarray(empathy["tag_thresholds"], dtype=np.float32)
        self._lexical_weight = float(empathy["lexical_weight"])
        self._mi = MIRules()
        self._mi_model = _load_mi(artefacts)
        self._mi_rules_for_codes = (
            artefacts.manifest.get("models", {}).get("mi_codes", {}).get("question_reflection") == "rules"
        )

    # -- emotions -----------------------------------------------------------------------------
    def emotion_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probability of each emotion, shape `(n, 7)` in `EMOTIONS` order."""
        if not texts:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        probs = sigmoid(self._emotion_head.logits(self._emotion_encoder.embed(texts)))
        if self._emotion_lexical is not None:
            w = float(self.artefacts.model("emotions").get("lexical_weight", 0.5))
            lexical = self._emotion_lexical.probabilities(list(texts))[:, :, 1]
            probs = ((1 - w) * probs + w * lexical).astype(np.float32)
        return probs

    def emotions(self, texts: Sequence[str]) -> list[EmotionLabel]:
        """Emotion set (labels over their dev-chosen thresholds; else the most likely one)."""
        labels = []
        for row in self.emotion_scores(texts):
            chosen = [e for e, p, t in zip(EMOTIONS, row, self._emotion_thresholds, strict=True) if p >= t]
            if not chosen:
                chosen = [EMOTIONS[int(np.argmax(row / self._emotion_thresholds))]]
            scores = {e: round(float(p), 4) for e, p in zip(EMOTIONS, row, strict=True)}
            labels.append(EmotionLabel(emotions=tuple(chosen), scores=scores))
        return labels

    # -- empathy ------------------------------------------------------------------------------
    def empathy(self, contexts: Sequence[str], responses: Sequence[str]) -> list[EmpathyLabel]:
        """EPITOME levels of each response to its context, with rationale character spans."""
        if len(contexts) != len(responses):
            raise ValueError("contexts and responses must have the same length")
        if not responses:
            return []
        encodings = self._pair_tokenizer.encode_batch(
            [(c or "", r or "") for c, r in zip(contexts, responses, strict=True)]
        )
        results: list[EmpathyLabel | None] = [None] * len(responses)
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for begin in range(0, len(order), BATCH_SIZE):
            rows = order[begin : begin + BATCH_SIZE]
            batch = pad([encodings[i] for i in rows])
            feeds = {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask}
            if "token_type_ids" in {i.name for i in self._empathy_session.get_inputs()}:
                feeds["token_type_ids"] = np.asarray(
                    [e.type_ids + [0] * (batch.input_ids.shape[1] - len(e.ids)) for e in batch.encodings],
                    dtype=np.int64,
                )
            (hidden,) = self._empathy_session.run(["hidden"], feeds)
            weights = batch.attention_mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
            encoder_probs = np.stack([softmax(h.logits(pooled)) for h in self._level_heads], 1)
            lexical_probs = self._lexical.probabilities([responses[i] or "" for i in rows])
            w = self._lexical_weight
            averaged = (1 - w) * encoder_probs + w * lexical_probs
            levels = averaged.argmax(-1)
            presence = 1.0 - averaged[..., 0]
            tags = sigmoid(self._tag_head.logits(hidden))
            for slot, index in enumerate(rows):
                results[index] = self._empathy_label(
                    responses[index], batch.encodings[slot], levels[slot], tags[slot],
                    presence[slot],
                )
        return [r for r in results if r is not None]

    def _empathy_label(
        self, text: str, encoding: Any, levels: np.ndarray, tags: np.ndarray, presence: np.ndarray
    ) -> EmpathyLabel:
        positions = [
            i for i, (seq, (s, e)) in enumerate(zip(encoding.sequence_ids, encoding.offsets, strict=True))
            if seq == 1 and e > s
        ]
        offsets = [encoding.offsets[i] for i in positions]
        rationales: dict[str, tuple[Span, ...]] = {}
        for m, mechanism in enumerate(MECHANISMS):
            if levels[m] == 0 or not positions:
                rationales[mechanism] = ()
                continue
            inside = tags[positions, m] >= self._tag_thresholds[m]
            rationales[mechanism] = token_spans(offsets, inside, text)
        return EmpathyLabel(
            levels={m: int(levels[i]) for i, m in enumerate(MECHANISMS)},
            rationales=rationales,
            presence={m: round(float(presence[i]), 4) for i, m in enumerate(MECHANISMS)},
        )

    # -- MI codes -----------------------------------------------------------------------------
    def mi_codes(self, contexts: Sequence[str], responses: Sequence[str]) -> list[MICode]:
        """Question, reflection and main MI behaviour of each clinician response.

        From the AnnoMI-trained models (`mi.npz`); from the rules (`MIRules`, no behaviour)
        when the weights folder has no MI model. With `"question_reflection": "rules"` in the
        manifest's `mi_codes` entry, the rules code questions and reflections and the model only
        the behaviour (the switch for clinical talk, where the rules do better: docs/models/mi.md).
        """
        if len(contexts) != len(responses):
            raise ValueError("contexts and responses must have the same length")
        if self._mi_model is None:
            return self._mi.code_batch(contexts, responses)
        codes = self._mi_model.codes(contexts, responses)
        if not self._mi_rules_for_codes:
            return codes
        return [
            rule.model_copy(update={"behaviour": code.behaviour})
            for rule, code in zip(self._mi.code_batch(contexts, responses), codes, strict=True)
        ]

    def talk_types(self, contexts: Sequence[str], texts: Sequence[str]) -> list[str | None]:
        """Change, neutral or sustain talk of each patient or family turn (None without the model).

        `contexts` are the clinician's words before each turn.
        """
        if len(contexts) != len(texts):
            raise ValueError("contexts and texts must have the same length")
        if self._mi_model is None:
            return [None] * len(texts)
        return list(self._mi_model.talk_types(contexts, texts))


def _load_mi(artefacts: Artefacts) -> MIModel | None:
    """The AnnoMI models when the manifest lists their file (already hash-checked), else None."""
    name = artefacts.manifest.get("models", {}).get("mi_codes", {}).get("file")
    if not name or name not in artefacts.manifest.get("files", {}):
        return None
    try:
        with np.load(artefacts.path(name)) as arrays:
            return MIModel.from_arrays(dict(arrays))
    except (KeyError, ValueError) as error:
        raise ModelError(f"{name} is incomplete ({error}): retrain with `bedside models train`") from None


def load_labeller(folder: Path | None = None, *, threads: int | None = None) -> Labeller:
    """Load the shipped models offline, checking every weight file's sha256 first.

    Args:
        folder: a weights folder with `manifest.json` (default: the one inside the package).
        threads: ONNX Runtime intra-op threads (default `BEDSIDE_NLP_THREADS` or all cores);
            use 1 inside multi-process Dask workers to avoid oversubscribing the CPU.

    Raises:
        ModelError: a weight file is missing or corrupt, or the manifest is unusable.
    """
    if threads is None:
        threads = int(os.environ.get("BEDSIDE_NLP_THREADS", "0") or 0)
    artefacts = Artefacts.load(folder)
    try:
        return Labeller(artefacts, threads=threads)
    except (KeyError, TypeError) as error:
        raise ModelError(f"model manifest is incomplete ({error}): retrain with `bedside models train`") from None
