"""Loading the shipped weights: offline, hash-checked, and clear errors when files are bad."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bedside.errors import ModelError
from bedside.nlp import Artefacts, default_dir, load_labeller, sha256_file


@pytest.fixture
def weights_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped weights folder that a test may damage."""
    target = tmp_path / "weights"
    shutil.copytree(default_dir(), target)
    return target


def test_manifest_hashes_match_the_shipped_files() -> None:
    artefacts = Artefacts.load()
    for name, digest in artefacts.manifest["files"].items():
        assert sha256_file(artefacts.path(name)) == digest
    assert {"empathy", "emotions", "mi_codes"} <= set(artefacts.manifest["models"])


def test_shipped_artefacts_stay_under_80_mb() -> None:
    total = sum(p.stat().st_size for p in default_dir().iterdir() if p.is_file())
    assert total < 80e6


def test_corrupt_weight_file_raises_model_error(weights_copy: Path) -> None:
    heads = weights_copy / "heads.npz"
    heads.write_bytes(heads.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelError, match=r"heads\.npz is corrupt: sha256"):
        load_labeller(weights_copy)


def test_missing_weight_file_raises_model_error(weights_copy: Path) -> None:
    (weights_copy / "encoder.onnx").unlink()
    with pytest.raises(ModelError, match=r"encoder\.onnx is missing"):
        load_labeller(weights_copy)


def test_missing_manifest_raises_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"manifest .* is missing"):
        load_labeller(tmp_path)


def test_incomplete_manifest_raises_model_error(weights_copy: Path) -> None:
    manifest = json.loads((weights_copy / "manifest.json").read_text())
    del manifest["models"]["emotions"]
    (weights_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="emotions"):
        load_labeller(weights_copy)


def test_loads_offline_without_torch() -> None:
    """The analysis path must work with no network and must never import torch."""
    code = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise OSError('network disabled in this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from bedside.nlp import load_labeller\n"
        "lab = load_labeller()\n"
        "lab.empathy(['I am scared'], ['That sounds frightening.'])\n"
        "lab.emotions(['I am scared'])\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
