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
    """Multinomial logistic regression per mechanism over TF-IDF word 1-2 grams."""

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
        """Level probabilities, shape `(n, mechanisms, 3)`."""
        out = np.zeros((len(texts), len(self._coefs), 3))
        for row, text in enumerate(texts):
            index, values = self.features(text)
            for m, (coef, intercept) in enumerate(zip(self._coefs, self._intercepts, strict=True)):
                out[row, m] = softmax(coef[:, index] @ values + intercept)
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays to store in `heads.npz` (terms as a unicode array: no pickling)."""
        terms = sorted(self._index, key=self._index.__getitem__)
        arrays = {"lexical.terms": np.array(terms), "lexical.idf": self._idf}
        for m, (coef, intercept) in enumerate(zip(self._coefs, self._intercepts, strict=True)):
            arrays[f"lexical.coef.{m}"] = coef
            arrays[f"lexical.intercept.{m}"] = intercept
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], mechanisms: int) -> LexicalModel:
        """Rebuild a model stored with `to_arrays`."""
        return cls(
            [str(t) for t in arrays["lexical.terms"]],
            arrays["lexical.idf"],
            [arrays[f"lexical.coef.{m}"] for m in range(mechanisms)],
            [arrays[f"lexical.intercept.{m}"] for m in range(mechanisms)],
        )

    @classmethod
    def fit(cls, texts: Sequence[str], levels: np.ndarray) -> LexicalModel:
        """Train with scikit-learn (dev/train extra): class-balanced, C=4, one model per mechanism."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        vectoriser = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        matrix = vectoriser.fit_transform(list(texts))
        coefs, intercepts = [], []
        for m in range(levels.shape[1]):
            model = LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0)
            model.fit(matrix, levels[:, m])
            coef = np.zeros((3, matrix.shape[1]))
            intercept = np.full(3, -30.0)  # a level never seen in training stays impossible
            classes = list(model.classes_)
            if len(classes) > 2:
                for row, label in enumerate(classes):
                    coef[label], intercept[label] = model.coef_[row], model.intercept_[row]
            else:  # binary: P(second class) = sigmoid(w.x + b) = softmax([0, w.x + b])
                intercept[classes[0]] = 0.0
                coef[classes[1]], intercept[classes[1]] = model.coef_[0], model.intercept_[0]
            coefs.append(coef)
            intercepts.append(intercept)
        return cls(list(vectoriser.get_feature_names_out()), vectoriser.idf_, coefs, intercepts)
