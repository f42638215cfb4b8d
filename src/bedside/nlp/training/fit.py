"""Fit numpy heads with Adam (no torch needed): softmax for levels, sigmoid for multi-label."""

from __future__ import annotations

import numpy as np

from bedside.nlp._heads import Head, sigmoid, softmax

__all__ = ["fit_head", "fit_temperature"]


def fit_head(
    features: np.ndarray,
    targets: np.ndarray,
    *,
    kind: str,
    hidden: int = 0,
    epochs: int = 30,
    batch_size: int = 256,
    lr: float = 1e-3,
    weight_decay: float = 1e-4,
    class_weights: np.ndarray | None = None,
    seed: int = 13,
    min_steps: int = 300,
) -> Head:
    """Train a head by minibatch Adam on cross-entropy.

    Args:
        features: `(n, d)` inputs.
        targets: class ids `(n,)` for `kind="softmax"`, or a 0/1 matrix `(n, k)` for "sigmoid".
        kind: "softmax" (one label of k) or "sigmoid" (independent labels).
        hidden: width of a ReLU hidden layer; 0 gives a linear (logistic-regression) head.
        class_weights: per-class loss weights (softmax) or positive weights (sigmoid).
        seed: fixes initialisation and minibatch order, so training is reproducible.
        min_steps: train for at least this many updates, so tiny samples still converge
            (never binding on the full corpora).
    """
    rng = np.random.default_rng(seed)
    x = features.astype(np.float32)
    n, d = x.shape
    outputs = int(targets.max()) + 1 if kind == "softmax" else targets.shape[1]
    if kind == "softmax":
        outputs = max(outputs, int(class_weights.shape[0]) if class_weights is not None else 0)
    params: dict[str, np.ndarray] = {}
    width = d
    if hidden:
        params["W1"] = (rng.standard_normal((d, hidden)) * np.sqrt(2.0 / d)).astype(np.float32)
        params["b1"] = np.zeros(hidden, np.float32)
        width = hidden
    params["W2"] = (rng.standard_normal((width, outputs)) * np.sqrt(1.0 / width)).astype(np.float32)
    params["b2"] = np.zeros(outputs, np.float32)
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    step = 0
    epochs = max(epochs, -(-min_steps // -(-n // batch_size)))
    for _epoch in range(epochs):
        order = rng.permutation(n)
        for begin in range(0, n, batch_size):
            rows = order[begin : begin + batch_size]
            grads = _gradients(params, x[rows], targets[rows], kind, class_weights)
            step += 1
            for key, grad in grads.items():
                grad = grad + weight_decay * params[key] if key.startswith("W") else grad
                m, v = moments[key]
                m[:] = 0.9 * m + 0.1 * grad
                v[:] = 0.999 * v + 0.001 * grad * grad
                m_hat = m / (1 - 0.9**step)
                v_hat = v / (1 - 0.999**step)
                params[key] -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    return Head(params)


def _gradients(
    params: dict[str, np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    kind: str,
    class_weights: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Back-propagation of the mean (weighted) cross-entropy through one or two layers."""
    hidden_in = x
    if "W1" in params:
        pre = x @ params["W1"] + params["b1"]
        hidden_in = np.maximum(pre, 0.0)
    logits = hidden_in @ params["W2"] + params["b2"]
    if kind == "softmax":
        probs = softmax(logits)
        onehot = np.eye(logits.shape[1], dtype=np.float32)[y]
        weights = class_weights[y] if class_weights is not None else np.ones(len(y), np.float32)
        delta = (probs - onehot) * weights[:, None] / weights.sum()
    else:
        probs = sigmoid(logits)
        pos = class_weights if class_weights is not None else np.ones(y.shape[1], np.float32)
        # d/dz of -(pos*y*log p + (1-y)*log(1-p)) = p*(pos*y + 1 - y) - pos*y
        delta = (probs * (pos * y + 1 - y) - pos * y) / len(y)
    grads = {"W2": hidden_in.T @ delta, "b2": delta.sum(axis=0)}
    if "W1" in params:
        back = (delta @ params["W2"].T) * (pre > 0)
        grads["W1"] = x.T @ back
        grads["b1"] = back.sum(axis=0)
    return grads


def fit_temperature(logits: np.ndarray, targets: np.ndarray, *, kind: str) -> float:
    """The temperature that minimises dev log-loss (grid search; calibrates probabilities)."""
    best, best_loss = 1.0, np.inf
    for temperature in np.exp(np.linspace(np.log(0.25), np.log(4.0), 41)):
        scaled = logits / temperature
        if kind == "softmax":
            probs = softmax(scaled)
            loss = -np.mean(np.log(probs[np.arange(len(targets)), targets] + 1e-12))
        else:
            probs = sigmoid(scaled)
            loss = -np.mean(targets * np.log(probs + 1e-12) + (1 - targets) * np.log(1 - probs + 1e-12))
        if loss < best_loss:
            best, best_loss = float(temperature), float(loss)
    return best
