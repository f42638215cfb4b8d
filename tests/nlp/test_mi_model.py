"""MI codes learned from AnnoMI (issue 13 item 1): shipped weights, labels, fallback, training."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bedside.errors import ModelError
from bedside.nlp import Artefacts, Labeller, default_dir, load_labeller
from bedside.nlp._mi_model import BEHAVIOURS, MI_TASKS, TALK_TYPES, mi_text
from bedside.nlp.training.mi import examples, read_annomi, read_split, train_mi

ROOT = Path(__file__).resolve().parents[2]
SPLIT = ROOT / "data" / "annomi_split.json"


def test_manifest_lists_the_mi_weights_with_their_hash() -> None:
    artefacts = Artefacts.load()
    entry = artefacts.model("mi_codes")
    assert entry["file"] in artefacts.manifest["files"]
    held_out = set(read_split(SPLIT)["held_out"])
    assert entry["development_transcripts"]
    assert not held_out & set(entry["development_transcripts"])


def test_corrupt_mi_weights_fail_loudly(tmp_path: Path) -> None:
    target = tmp_path / "weights"
    shutil.copytree(default_dir(), target)
    path = target / "mi.npz"
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelError, match=r"mi\.npz is corrupt"):
        load_labeller(target)


def test_without_mi_weights_the_rules_code_questions(tmp_path: Path) -> None:
    target = tmp_path / "weights"
    shutil.copytree(default_dir(), target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]["mi.npz"]
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    fallback = load_labeller(target)
    (code,) = fallback.mi_codes([""], ["Do you smoke?"])
    assert code.question == "closed" and code.behaviour is None
    assert fallback.talk_types(["Do you smoke?"], ["No."]) == [None]


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> Labeller:
    """The shipped weights with the learned question and reflection codes switched on.

    The shipped manifest keeps the rules' question and reflection codes for clinical talk (they
    beat the AnnoMI-trained ones on the PriMock57 MI gold); the learned ones stay testable here.
    """
    target = tmp_path_factory.mktemp("mi") / "weights"
    shutil.copytree(default_dir(), target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["models"]["mi_codes"].pop("question_reflection", None)
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return load_labeller(target)


def test_the_shipped_default_keeps_the_rules_for_questions_and_reflections(labeller: Labeller) -> None:
    (code,) = labeller.mi_codes(["I smoke a bit."], ["Do you smoke every day?"])
    assert code.question == "closed"
    assert code.behaviour in BEHAVIOURS  # the learned model still gives the main behaviour


def test_open_question_from_annomi_style_talk(learned: Labeller) -> None:
    labeller = learned
    (code,) = labeller.mi_codes(
        ["I guess I've been drinking more since I lost my job."], ["What's your thinking around that?"]
    )
    assert code.question == "open"
    assert code.behaviour == "question"


def test_complex_reflection_in_an_annomi_style_exchange(learned: Labeller) -> None:
    labeller = learned
    context = (
        "I know I should cut down. My wife keeps on at me about it, and the kids notice. "
        "But after a long shift it's the only thing that helps me unwind."
    )
    (code,) = labeller.mi_codes(
        [context], ["So part of you is worried about what the drinking is doing to your family, "
                    "and another part of you feels it's the one way you have to cope."]
    )
    assert code.reflection == "complex"
    assert code.behaviour == "reflection"


def test_label_ranges_and_determinism(labeller: Labeller) -> None:
    contexts = ["", "I want to quit smoking.", "I don't think I have a problem."]
    texts = ["Hello, how are you?", "You really want to stop.", "I think you should quit now."]
    first = labeller.mi_codes(contexts, texts)
    assert first == labeller.mi_codes(contexts, texts)
    for code in first:
        assert code.question in (None, "open", "closed")
        assert code.reflection in (None, "simple", "complex")
        assert code.behaviour in BEHAVIOURS
    talk = labeller.talk_types(texts, contexts)
    assert talk == labeller.talk_types(texts, contexts)
    assert all(t in TALK_TYPES for t in talk)
    assert labeller.mi_codes([], []) == [] and labeller.talk_types([], []) == []
    with pytest.raises(ValueError, match="same length"):
        labeller.talk_types(["a"], [])


def test_client_talk_types_of_clear_cases(labeller: Labeller) -> None:
    talk = labeller.talk_types(
        ["", "", ""],
        ["I think I could cut down, I want to be healthier for my kids.",
         "I don't see why I should stop. It doesn't bother me.", "I work at the bank."],
    )
    assert talk == ["change", "sustain", "neutral"]


def test_context_words_are_kept_apart_from_the_turn() -> None:
    text = mi_text("you drink", "So why?")
    assert text.startswith("zs so why zq  ze") and "zqwwhy" in text and "cxdrink" in text
    assert "cx" not in mi_text("you drink", "So why?", context_words=0)


def test_training_runs_on_a_tiny_sample_and_respects_the_split(shared_data: Path, tmp_path: Path) -> None:
    entry, files = train_mi(shared_data, tmp_path, SPLIT, limit=3, grid=False, progress=lambda _: None)
    split = read_split(SPLIT)
    assert entry["development_transcripts"] == split["development"][:3]
    assert not set(split["held_out"]) & set(entry["development_transcripts"])
    assert set(files) == {"mi.npz"} and (tmp_path / "mi.npz").is_file()
    with np.load(tmp_path / "mi.npz") as arrays:
        assert {f"mi.{t}.terms" for t in MI_TASKS} <= set(arrays)
    _, files_again = train_mi(shared_data, tmp_path / "again", SPLIT, limit=3, grid=False,
                               progress=lambda _: None)
    assert files_again == files  # fixed seed: the same bytes


def test_examples_use_one_annotator_and_the_previous_turn(shared_data: Path) -> None:
    transcripts = read_annomi(shared_data / "annomi" / "train.csv")
    tid = read_split(SPLIT)["development"][0]
    found = examples(transcripts, [tid])
    ids = [r["utterance_id"] for r in transcripts[tid]]
    assert len(ids) == len(set(ids))
    therapist = [e for e in found if e.labels["mi_behaviour"] is not None]
    client = [e for e in found if e.labels["talk_type"] is not None]
    assert therapist and client
    assert all(e.labels["talk_type"] is None for e in therapist)
    second = found[1]
    assert second.context == found[0].text or found[0].labels == second.labels


def test_manifest_switch_keeps_rule_codes_with_model_behaviour(tmp_path: Path) -> None:
    target = tmp_path / "weights"
    shutil.copytree(default_dir(), target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["models"]["mi_codes"]["question_reflection"] = "rules"
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (code,) = load_labeller(target).mi_codes([""], ["How long has it been going on?"])
    assert code.question == "closed" and code.behaviour in BEHAVIOURS
