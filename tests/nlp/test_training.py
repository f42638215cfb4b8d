"""Training runs end to end on a tiny sample, without torch, and gives loadable weights."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from bedside.errors import FormatError
from bedside.nlp import load_labeller
from bedside.nlp.training.corpora import read_epitome, read_goemotions
from bedside.nlp.training.fit import fit_head
from bedside.nlp.training.pipeline import train

EMPATHIC = "I'm so sorry you're going through this, it sounds really hard. What happened?"
FLAT = "Go to the doctor."


def _tiny_corpora(root: Path) -> Path:
    epitome = root / "epitome"
    epitome.mkdir(parents=True)
    header = ["seeker_post_id", "response_post_id", "seeker_post", "response_post",
              "emotional_reactions", "interpretations", "explorations",
              "emotional_reactions_rationales", "interpretations_rationales", "explorations_rationales"]
    for split in ("train", "dev"):
        with (epitome / f"{split}.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for i in range(6):
                writer.writerow([f"s{i}", f"r{i}", f"I feel awful today ({i})", EMPATHIC, 2, 1, 2,
                                 "it sounds really hard|", "I'm so sorry|", "What happened?|"])
                writer.writerow([f"t{i}", f"q{i}", f"My exam went badly ({i})", FLAT, 0, 0, 0, "", "", ""])
    go = root / "goemotions_ekman"
    go.mkdir()
    for split in ("train", "dev"):
        lines = [f"I am so happy {i}!\t3\tid{i}" for i in range(8)]
        lines += [f"This is terrifying {i}\t2\tjd{i}" for i in range(8)]
        lines += [f"The bus leaves at {i}\t4\tkd{i}" for i in range(8)]
        (go / f"{split}.tsv").write_text("\n".join(lines) + "\n")
    return root


def test_training_on_a_tiny_sample_gives_a_working_labeller(tmp_path: Path) -> None:
    data = _tiny_corpora(tmp_path / "data")
    manifest = train(data, tmp_path / "weights", progress=lambda _message: None)
    assert "torch" not in sys.modules
    assert set(manifest["models"]) == {"empathy", "emotions", "mi_codes"}
    labeller = load_labeller(tmp_path / "weights")
    empathic, flat = labeller.empathy(["I feel awful"] * 2, [EMPATHIC, FLAT])
    assert sum(empathic.levels.values()) > sum(flat.levels.values())
    per_label = manifest["models"]["emotions"]["dev"]["per_label_f1"]
    assert min(per_label["joy"], per_label["fear"], per_label["neutral"]) > 0.9


def test_fit_head_is_reproducible_with_a_seed() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    first = fit_head(x, y, kind="softmax", hidden=8, epochs=60, lr=1e-2, batch_size=16, seed=3)
    second = fit_head(x, y, kind="softmax", hidden=8, epochs=60, lr=1e-2, batch_size=16, seed=3)
    assert np.array_equal(first.logits(x), second.logits(x))
    assert (first.logits(x).argmax(1) == y).mean() > 0.8


def test_corpus_readers_report_bad_rows(tmp_path: Path) -> None:
    bad = tmp_path / "dev.tsv"
    bad.write_text("fine text\t3\tid1\nbroken line without tabs\n")
    try:
        read_goemotions(bad)
    except FormatError as error:
        assert str(error).endswith("dev.tsv:2: expected text<TAB>label ids<TAB>id")
    else:
        raise AssertionError("expected a FormatError")
    missing = tmp_path / "nope.csv"
    try:
        read_epitome(missing)
    except FormatError as error:
        assert "not found" in str(error)
    else:
        raise AssertionError("expected a FormatError")


def test_lexical_model_reproduces_scikit_learn_without_it() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from bedside.nlp._lexical import LexicalModel

    texts = [EMPATHIC, FLAT, "I'm so sorry, that sounds hard", "Go outside more", "What happened then?",
             "That sounds hard, I'm sorry", "Have you tried going outside?", "So sorry. What happened?"]
    levels = np.array([[2, 1, 2], [0, 0, 0], [2, 1, 0], [0, 0, 0], [0, 0, 2], [2, 0, 0], [0, 0, 1],
                       [1, 0, 2]])
    model = LexicalModel.fit(texts, levels)
    restored = LexicalModel.from_arrays(model.to_arrays(), 3)
    matrix = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(texts)
    for m in range(3):
        reference = LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0)
        expected = reference.fit(matrix, levels[:, m]).predict_proba(matrix)
        got = restored.probabilities(texts)[:, m][:, list(reference.classes_)]
        assert np.allclose(got, expected, atol=1e-9)


def test_frozen_layers_option_picks_what_to_freeze() -> None:
    from types import SimpleNamespace

    from bedside.nlp.training.finetune import frozen_modules

    layers = [f"layer{i}" for i in range(6)]
    encoder = SimpleNamespace(embeddings="embeddings", encoder=SimpleNamespace(layer=layers))
    assert frozen_modules(encoder, 0) == []
    assert frozen_modules(encoder, 3) == ["embeddings", "layer0", "layer1", "layer2"]
    for bad in (-1, 7):
        try:
            frozen_modules(encoder, bad)
        except ValueError as error:
            assert "between 0 and 6" in str(error)
        else:
            raise AssertionError("expected a ValueError")
