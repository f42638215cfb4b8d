"""A TF-IDF + logistic-regression model of the EPITOME levels, run in plain numpy.

Word n-grams catch what a small encoder fine-tuned briefly on 2,115 examples misses (stock
phrases such as "I'm so sorry" or "have you tried"), and the encoder catches what words alone miss;
the labeller averages the two models' probabilities. Tokenisation and weighting reproduce
scikit-learn's `TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)` exactly, so the model is
trained with scikit-learn and run without it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import pairwise

import numpy as np

from bedside.nlp._heads import softmax

__all__ = ["LexicalModel"]

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


class LexicalModel:
    """Logistic regression per output (an EPITOME mechanism, or one emotion) over TF-IDF 1-2 grams.

    Each output is a softmax over its classes (3 levels, or 2 for present/absent); a binary
    scikit-learn model becomes the softmax of `[0, w.x + b]`, which equals its sigmoid.
    """

    def __init__(self, terms: Sequence[str], idf: np.ndarray, coefs: Sequence[np.ndarray],
                 intercepts: Sequence[np.ndarray]) -> None:
        self._index = {term: i for i, term in enumerate(terms)}
        self._idf = np.asarray(idf, dtype=np.float64)
        self._coefs = [np.asarray(c, dtype=np.float64) for c in coefs]
        self._intercepts = [np.asarray(b, dtype=np.float64) for b in intercepts]

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Indices and L2-normalised sublinear TF-IDF values of the text's known n-grams."""
        tokens = _TOKEN.findall(text.lower())
        grams = tokens + [f"{a} {b}" for a, b in pairwise(tokens)]
        counts = Counter(g for g in grams if g in self._index)
        if not counts:
            return np.zeros(0, np.int64), np.zeros(0)
        index = np.array([self._index[g] for g in counts], dtype=np.int64)
        values = (1.0 + np.log(np.array(list(counts.values()), dtype=np.float64))) * self._idf[index]
        return index, values / np.linalg.norm(values)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, shape `(n, outputs, classes)`."""
        out = np.zeros((len(texts), len(self._coefs), self._coefs[0].shape[0]))
        for row, text in enumerate(texts):
            index, values = self.features(text)
            for m, (coef, intercept) in enumerate(zip(self._coefs, self._intercepts, strict=True)):
                out[row, m] = softmax(coef[:, index] @ values + intercept)
        return out

    def to_arrays(self, prefix: str = "lexical") -> dict[str, np.ndarray]:
        """Arrays to store in `heads.npz` (terms as newline-joined UTF-8 bytes: no pickling)."""
        terms = sorted(self._index, key=self._index.__getitem__)
        blob = np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)
        arrays: dict[str, np.ndarray] = {f"{prefix}.terms": blob, f"{prefix}.idf": self._idf}
        for m, (coef, intercept) in enumerate(zip(self._coefs, self._intercepts, strict=True)):
            arrays[f"{prefix}.coef.{m}"] = coef
            arrays[f"{prefix}.intercept.{m}"] = intercept
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], outputs: int, prefix: str = "lexical") -> LexicalModel:
        """Rebuild a model stored with `to_arrays`."""
        terms = bytes(np.asarray(arrays[f"{prefix}.terms"], dtype=np.uint8)).decode("utf-8").split("\n")
        return cls(
            terms,
            arrays[f"{prefix}.idf"],
            [arrays[f"{prefix}.coef.{m}"] for m in range(outputs)],
            [arrays[f"{prefix}.intercept.{m}"] for m in range(outputs)],
        )

    @classmethod
    def fit(cls, texts: Sequence[str], targets: np.ndarray, *, classes: int = 3,
            balanced: bool = True, c: float = 4.0, min_df: int = 2) -> LexicalModel:
        """Train with scikit-learn (dev/train extra): one model per column of `targets`.

        `c` is the inverse L2 strength (4 for the empathy and emotion models) and `min_df` the
        fewest texts an n-gram must occur in to be kept.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        vectoriser = TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True)
        matrix = vectoriser.fit_transform(list(texts))
        coefs, intercepts = [], []
        for m in range(targets.shape[1]):
            model = LogisticRegression(
                max_iter=2000, class_weight="balanced" if balanced else None, C=c
            )
            coef = np.zeros((classes, matrix.shape[1]))
            intercept = np.full(classes, -30.0)  # a class never seen in training stays impossible
            present = np.unique(targets[:, m])
            if len(present) == 1:  # nothing to learn: always that class
                intercept[int(present[0])] = 0.0
                coefs.append(coef)
                intercepts.append(intercept)
                continue
            model.fit(matrix, targets[:, m])
            seen = [int(c) for c in model.classes_]
            if len(seen) > 2:
                for row, label in enumerate(seen):
                    coef[label], intercept[label] = model.coef_[row], model.intercept_[row]
            else:  # binary: P(second class) = sigmoid(w.x + b) = softmax([0, w.x + b])
                intercept[seen[0]] = 0.0
                coef[seen[1]], intercept[seen[1]] = model.coef_[0], model.intercept_[0]
            coefs.append(coef)
            intercepts.append(intercept)
        return cls(list(vectoriser.get_feature_names_out()), vectoriser.idf_, coefs, intercepts)
