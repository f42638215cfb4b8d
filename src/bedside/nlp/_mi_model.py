"""MI codes learned from AnnoMI: TF-IDF + logistic regression over a turn and the talk before it.

Four models, each a `LexicalModel` (scikit-learn's `TfidfVectorizer` reproduced in numpy, so no
scikit-learn at run time), stored in `weights/mi.npz`:

- per clinician turn: `question` (none / open / closed), `reflection` (none / simple / complex),
  `mi_behaviour` (AnnoMI's main therapist behaviour: reflection / question / therapist_input /
  other);
- per patient or family turn: `talk_type` (change / neutral / sustain).

A model's text is the turn itself, with `?` kept as a word (`zq`) and its start and end marked
(`zs`, `ze`, so "ends with a question" is a bigram), followed by the words of the turn it answers,
each prefixed `cx` so that context words never mix with the turn's own. Trained by
`bedside.nlp.training.mi` on the development transcripts of `data/annomi_split.json`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from bedside.model.labels import MICode
from bedside.nlp._lexical import LexicalModel

__all__ = [
    "BEHAVIOURS",
    "MI_TASKS",
    "QUESTIONS",
    "REFLECTIONS",
    "TALK_TYPES",
    "MIModel",
    "mi_text",
]

QUESTIONS: tuple[str | None, ...] = (None, "open", "closed")
REFLECTIONS: tuple[str | None, ...] = (None, "simple", "complex")
BEHAVIOURS: tuple[str, ...] = ("reflection", "question", "therapist_input", "other")
TALK_TYPES: tuple[str, ...] = ("change", "neutral", "sustain")
MI_TASKS: dict[str, tuple[str | None, ...]] = {
    "question": QUESTIONS,
    "reflection": REFLECTIONS,
    "mi_behaviour": BEHAVIOURS,
    "talk_type": TALK_TYPES,
}
"""Each model's classes, in the order of its probability columns."""

_WORD = re.compile(r"(?u)\b\w\w+\b")
_QUESTION = re.compile(r"[^.?!]*\?")
_OPENER = re.compile(r"(?:\b(?:so|and|but|okay|ok|well|now|um+|uh+|right|yeah|then)\b[\s,]*)+")
CONTEXT_WORDS = 60
"""Only the last words of the preceding talk are used (the part the turn answers)."""


def _question_starts(text: str) -> list[str]:
    """`zqw` + the first word and `zqb` + the first two words of each question sentence."""
    found = []
    for sentence in _QUESTION.findall(text):
        words = [w for w in re.findall(r"[a-z']+", _OPENER.sub(" ", sentence)) if w][:2]
        if words:
            found.append("zqw" + words[0].replace("'", ""))
            found.append("zqb" + "".join(words).replace("'", ""))
    return found


def mi_text(context: str, text: str, *, context_words: int = CONTEXT_WORDS) -> str:
    """The string a model vectorises: the marked turn, the openings of its questions (the words
    that make a question open or closed), then its context's last words."""
    lowered = (text or "").lower()
    own = lowered.replace("?", " zq ")
    words = _WORD.findall((context or "").lower())[-context_words:] if context_words else []
    starts = " ".join(_question_starts(lowered))
    return f"zs {own} ze {starts} " + " ".join(f"cx{w}" for w in words)


class MIModel:
    """The four AnnoMI models; stateless after loading, so safe to share between threads."""

    def __init__(self, models: Mapping[str, LexicalModel],
                 context_words: Mapping[str, int] | None = None) -> None:
        missing = set(MI_TASKS) - set(models)
        if missing:
            raise KeyError(f"mi model lacks {sorted(missing)}")
        self._models = dict(models)
        self.context_words = {t: int((context_words or {}).get(t, CONTEXT_WORDS)) for t in MI_TASKS}
        """Per task, how many words of the preceding talk its model reads (0: none)."""

    def probabilities(self, task: str, contexts: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        """Class probabilities of one task, shape `(n, classes)` in `MI_TASKS[task]` order."""
        if len(contexts) != len(texts):
            raise ValueError("contexts and texts must have the same length")
        if not texts:
            return np.zeros((0, len(MI_TASKS[task])))
        words = self.context_words[task]
        strings = [mi_text(c, t, context_words=words) for c, t in zip(contexts, texts, strict=True)]
        return self._models[task].probabilities(strings)[:, 0, :]

    def predict(self, task: str, contexts: Sequence[str], texts: Sequence[str]) -> list[str | None]:
        """The most likely class of each text for one task."""
        classes = MI_TASKS[task]
        return [classes[int(i)] for i in self.probabilities(task, contexts, texts).argmax(-1)]

    def codes(self, contexts: Sequence[str], responses: Sequence[str]) -> list[MICode]:
        """Question, reflection and main behaviour of each clinician response."""
        questions = self.predict("question", contexts, responses)
        reflections = self.predict("reflection", contexts, responses)
        behaviours = self.predict("mi_behaviour", contexts, responses)
        return [
            MICode.model_validate({"question": q, "reflection": r, "behaviour": b})
            for q, r, b in zip(questions, reflections, behaviours, strict=True)
        ]

    def talk_types(self, contexts: Sequence[str], texts: Sequence[str]) -> list[str]:
        """Change, neutral or sustain talk of each patient or family turn."""
        return [str(t) for t in self.predict("talk_type", contexts, texts)]

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays for `mi.npz` (no pickling)."""
        arrays: dict[str, np.ndarray] = {}
        for task, model in self._models.items():
            arrays.update(model.to_arrays(f"mi.{task}"))
            arrays[f"mi.{task}.context_words"] = np.asarray([self.context_words[task]])
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> MIModel:
        """Rebuild the models stored with `to_arrays`."""
        models = {task: LexicalModel.from_arrays(arrays, 1, f"mi.{task}") for task in MI_TASKS}
        words = {task: int(np.asarray(arrays[f"mi.{task}.context_words"])[0]) for task in MI_TASKS}
        return cls(models, words)
