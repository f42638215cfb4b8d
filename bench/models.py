"""Benchmark of the shipped models against TF-IDF + logistic regression trained in the same run.

Prints markdown tables: quality on the dev splits (EPITOME, GoEmotions-Ekman) and on the held-out
half of the hand-labelled MI gold set, then speed on this machine (batched turns/s including
tokenisation, p95 single-turn latency, load time, resident memory, artefact size).

    .venv/bin/python bench/models.py            # needs the corpora (BEDSIDE_DATA_DIR) and scikit-learn
"""

from __future__ import annotations

import json
import resource
import statistics
import time
from pathlib import Path

import numpy as np

from bedside.config import get_settings
from bedside.model.labels import EMOTIONS, MECHANISMS
from bedside.nlp import default_dir, load_labeller
from bedside.nlp.training.corpora import emotion_matrix, read_epitome, read_goemotions
from bedside.nlp.training.metrics import binary_f1, macro_f1
from bedside.nlp.training.pipeline import evaluate_emotions, evaluate_empathy

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "data" / "gold" / "mi" / "gold.jsonl"


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def speed(labeller, gold: list[dict]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Throughput and latency on real PriMock57 clinician turns (empathy + MI codes)."""
    contexts = [r["context"] for r in gold]
    texts = [r["text"] for r in gold]
    labeller.empathy(contexts[:32], texts[:32])  # warm-up
    started = time.perf_counter()
    rounds = 3
    for _ in range(rounds):
        labeller.empathy(contexts, texts)
        labeller.mi_codes(contexts, texts)
    clinician_rate = rounds * len(texts) / (time.perf_counter() - started)
    patient = [c for c in contexts if c] or texts
    started = time.perf_counter()
    labeller.emotions(patient)
    patient_rate = len(patient) / (time.perf_counter() - started)
    latencies = []
    for context, text in zip(contexts[:200], texts[:200], strict=True):
        t0 = time.perf_counter()
        labeller.empathy([context], [text])
        labeller.mi_codes([context], [text])
        latencies.append(1000 * (time.perf_counter() - t0))
    return {
        "clinician_turns_per_s": clinician_rate,
        "patient_turns_per_s": patient_rate,
        "p95_ms": float(np.percentile(latencies, 95)),
        "median_ms": statistics.median(latencies),
    }


def baseline_empathy(train, dev) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """TF-IDF (word 1-2 grams of seeker + response) + logistic regression per mechanism."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vectoriser.fit_transform([e.response for e in train])
    x_dev = vectoriser.transform([e.response for e in dev])
    scores = {}
    for m, mechanism in enumerate(MECHANISMS):
        model = LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0)
        model.fit(x_train, [e.levels[m] for e in train])
        scores[mechanism] = macro_f1([e.levels[m] for e in dev], list(model.predict(x_dev)), [0, 1, 2])
    return scores


def baseline_emotions(train, dev) -> float:  # type: ignore[no-untyped-def]
    """TF-IDF + one-vs-rest logistic regression, per-label thresholds chosen on dev (as ours)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vectoriser.fit_transform([e.text for e in train])
    x_dev = vectoriser.transform([e.text for e in dev])
    y_train, y_dev = emotion_matrix(train), emotion_matrix(dev).astype(bool)
    f1s = []
    for k in range(len(EMOTIONS)):
        model = LogisticRegression(max_iter=1000, C=4.0).fit(x_train, y_train[:, k])
        probs = model.predict_proba(x_dev)[:, 1]
        f1s.append(max(binary_f1(y_dev[:, k], probs >= t) for t in np.arange(0.05, 0.96, 0.05)))
    return float(np.mean(f1s))


def mi_scores(gold: list[dict], predicted_q: list, predicted_r: list) -> tuple[float, float]:  # type: ignore[type-arg]
    """Macro-F1 of question type and of reflection type (including the `none` class)."""
    q = macro_f1([r["question"] for r in gold], predicted_q, [None, "open", "closed"])
    r = macro_f1([g["reflection"] for g in gold], predicted_r, [None, "simple", "complex"])
    return q, r


def baseline_mi(dev: list[dict], test: list[dict]) -> tuple[float, float]:  # type: ignore[type-arg]
    """TF-IDF + logistic regression trained on the gold dev half, scored on the test half."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"[\w']+|\?")
    x_dev = vectoriser.fit_transform([r["text"] for r in dev])
    x_test = vectoriser.transform([r["text"] for r in test])
    out = []
    for key in ("question", "reflection"):
        labels = [str(r[key]) for r in dev]
        model = LogisticRegression(max_iter=2000, class_weight="balanced").fit(x_dev, labels)
        out.append([None if p == "None" else p for p in model.predict(x_test)])
    return mi_scores(test, out[0], out[1])


def main() -> None:
    """Run everything and print the tables."""
    data = get_settings().data_dir
    if not data.is_absolute():
        data = (ROOT / data).resolve()
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    rss_before = rss_mb()
    t0 = time.perf_counter()
    labeller = load_labeller()
    load_s = time.perf_counter() - t0
    fast = speed(labeller, gold)
    rss_after = rss_mb()
    size = sum(p.stat().st_size for p in default_dir().iterdir() if p.is_file()) / 1e6

    ep_train = read_epitome(data / "epitome" / "train.csv")
    ep_dev = read_epitome(data / "epitome" / "dev.csv")
    go_train = read_goemotions(data / "goemotions_ekman" / "train.tsv")
    go_dev = read_goemotions(data / "goemotions_ekman" / "dev.tsv")
    ours_empathy = evaluate_empathy(labeller, ep_dev)
    ours_emotions = evaluate_emotions(labeller, go_dev)
    base_empathy = baseline_empathy(ep_train, ep_dev)
    base_emotions = baseline_emotions(go_train, go_dev)
    dev_gold = [r for r in gold if r["split"] == "dev"]
    test_gold = [r for r in gold if r["split"] == "test"]
    codes = labeller.mi_codes([r["context"] for r in test_gold], [r["text"] for r in test_gold])
    ours_q, ours_r = mi_scores(test_gold, [c.question for c in codes], [c.reflection for c in codes])
    base_q, base_r = baseline_mi(dev_gold, test_gold)

    print("| quality (dev unless noted) | target | bedside | TF-IDF + LR baseline |")
    print("|---|---|---|---|")
    targets = {"emotional_reactions": 0.76, "interpretations": 0.70, "explorations": 0.74}
    for mechanism in MECHANISMS:
        print(f"| EPITOME {mechanism} macro-F1 | ≥ {targets[mechanism]:.2f} | "
              f"{ours_empathy[mechanism]['macro_f1']:.3f} | {base_empathy[mechanism]:.3f} |")
    for mechanism in MECHANISMS:
        print(f"| EPITOME {mechanism} rationale token-F1 | reported | "
              f"{ours_empathy[mechanism]['rationale_token_f1']:.3f} | – |")
    print(f"| GoEmotions-Ekman macro-F1 (7 labels) | ≥ 0.64 | {ours_emotions['macro_f1']:.3f} | "
          f"{base_emotions:.3f} |")
    print(f"| MI question type macro-F1 (gold test, n={len(test_gold)}) | ≥ 0.85 | {ours_q:.3f} | {base_q:.3f} |")
    print(f"| MI reflection macro-F1 (gold test, n={len(test_gold)}) | ≥ 0.60 | {ours_r:.3f} | {base_r:.3f} |")
    print()
    print("GoEmotions per-label F1 (bedside): " + json.dumps(ours_emotions["per_label_f1"]))
    print()
    print("| speed (2 shared cores) | target | bedside |")
    print("|---|---|---|")
    print(f"| clinician turns/s, empathy + MI, batched, PriMock57 gold turns | ≥ 200 | "
          f"{fast['clinician_turns_per_s']:.0f} |")
    print(f"| patient turns/s, emotions, batched | – | {fast['patient_turns_per_s']:.0f} |")
    print(f"| single clinician turn latency p95 (median) | ≤ 30 ms | {fast['p95_ms']:.1f} ms "
          f"({fast['median_ms']:.1f} ms) |")
    print(f"| model load (hash check + sessions) | ≤ 2 s | {load_s:.2f} s |")
    print(f"| peak RSS after load + labelling | ≤ 500 MB | {rss_after:.0f} MB (interpreter before load {rss_before:.0f} MB) |")
    print(f"| shipped artefacts | ≤ 80 MB | {size:.1f} MB |")


if __name__ == "__main__":
    main()
