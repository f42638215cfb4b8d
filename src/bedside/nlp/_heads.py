"""Small dense heads on top of encoder features, stored as plain numpy arrays.

A head is a one-hidden-layer perceptron (or a linear layer when it has no hidden weights). Keeping
heads in numpy means they are trained and run without torch, so CI can train one on a tiny sample.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["Head", "sigmoid", "softmax"]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    out: np.ndarray = exp / exp.sum(axis=-1, keepdims=True)
    return out


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Element-wise logistic function."""
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(logits, -40.0, 40.0)))
    return out


class Head:
    """Affine (optionally with one ReLU hidden layer) map from features to logits.

    Args:
        params: `W2`, `b2` (output layer) and optionally `W1`, `b1` (hidden layer).
        temperature: divides the logits; fitted on dev so probabilities are calibrated.
    """

    def __init__(self, params: Mapping[str, np.ndarray], temperature: float = 1.0) -> None:
        self.params = {k: np.asarray(v, dtype=np.float32) for k, v in params.items()}
        self.temperature = float(temperature)

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Raw (temperature-scaled) scores, shape `(n, outputs)`."""
        x = features.astype(np.float32)
        if "W1" in self.params:
            x = np.maximum(x @ self.params["W1"] + self.params["b1"], 0.0)
        out: np.ndarray = (x @ self.params["W2"] + self.params["b2"]) / self.temperature
        return out

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Arrays to store in an `.npz`, names prefixed with the head's name."""
        arrays = {f"{prefix}.{k}": v for k, v in self.params.items()}
        arrays[f"{prefix}.temperature"] = np.asarray(self.temperature, dtype=np.float32)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> Head:
        """Rebuild a head stored with `to_arrays`."""
        params = {
            key[len(prefix) + 1 :]: arrays[key]
            for key in arrays
            if key.startswith(prefix + ".") and not key.endswith(".temperature")
        }
        return cls(params, float(arrays[f"{prefix}.temperature"]))
