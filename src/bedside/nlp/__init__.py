"""Shipped language models: EPITOME empathy, Ekman emotions and MITI question/reflection codes.

    from bedside.nlp import load_labeller
    labeller = load_labeller()          # offline; checks the sha256 of every weight file
    labeller.empathy(["I feel so alone"], ["That sounds really hard. What happened?"])

Inference needs only onnxruntime, tokenizers and numpy; training (`bedside models train`) needs
the optional `train` extra for the fine-tuned empathy encoder.
"""

from bedside.nlp._artefacts import Artefacts, default_dir, sha256_file
from bedside.nlp._labeller import Labeller, load_labeller

__all__ = ["Artefacts", "Labeller", "default_dir", "load_labeller", "sha256_file"]
