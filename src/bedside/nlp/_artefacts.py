"""The shipped weight files: where they are, what they should hash to, and what they were trained on.

`weights/manifest.json` lists every file with its sha256 and describes each model (version,
training data, dev metrics). Loading checks every hash first, so a truncated download, a bad
merge or a hand-edited file fails loudly with `ModelError` instead of giving quietly wrong labels.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bedside.errors import ModelError

__all__ = ["MANIFEST", "Artefacts", "default_dir", "sha256_file"]

MANIFEST = "manifest.json"


def default_dir() -> Path:
    """The package-data folder holding the shipped weights."""
    return Path(str(resources.files("bedside.nlp") / "weights"))


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Artefacts:
    """A verified weights folder: its manifest and the paths of its files."""

    folder: Path
    manifest: dict[str, Any]

    @classmethod
    def load(cls, folder: Path | None = None, *, verify: bool = True) -> Artefacts:
        """Read the manifest and (by default) check the sha256 of every listed file.

        Raises:
            ModelError: the manifest or a weight file is missing, unreadable or corrupt.
        """
        folder = folder or default_dir()
        manifest_path = folder / MANIFEST
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(
                f"model manifest {manifest_path} is missing: reinstall bedside or run "
                "`bedside models train`"
            ) from None
        except (OSError, ValueError) as error:
            raise ModelError(f"model manifest {manifest_path} is unreadable ({error})") from None
        files = manifest.get("files")
        if not isinstance(files, dict) or not files:
            raise ModelError(f"model manifest {manifest_path} lists no files")
        artefacts = cls(folder, manifest)
        if verify:
            for name, expected in files.items():
                path = artefacts.path(name)
                if not path.is_file():
                    raise ModelError(
                        f"weight file {path} is missing: reinstall bedside or run "
                        "`bedside models train`"
                    )
                actual = sha256_file(path)
                if actual != expected:
                    raise ModelError(
                        f"weight file {path} is corrupt: sha256 {actual[:12]}… does not match "
                        f"the manifest's {str(expected)[:12]}…; reinstall bedside or run "
                        "`bedside models train`"
                    )
        return artefacts

    def path(self, name: str) -> Path:
        """Path of a file listed in the manifest."""
        return self.folder / name

    def model(self, name: str) -> dict[str, Any]:
        """The manifest entry of one model (`empathy`, `emotions`, `mi_codes`)."""
        models = self.manifest.get("models", {})
        if name not in models:
            raise ModelError(f"model manifest has no entry for {name!r}")
        entry: dict[str, Any] = models[name]
        return entry
