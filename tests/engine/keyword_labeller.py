"""A small deterministic keyword labeller that follows the `TurnLabeller` protocol, for tests.

It stands in for the ONNX models of `bedside.nlp` so engine tests run fast, offline and with
known answers. It also counts its calls, so tests can check the engine batches (one call per
method per conversation).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bedside.model import EMOTIONS, EmotionLabel, EmpathyLabel, MICode

_EMOTION_WORDS = {
    "fear": re.compile(r"\b(?:scared|afraid|terrified|worried|anxious|frightened|nervous)\b", re.I),
    "sadness": re.compile(
        r"\b(?:sad|down|low|miserable|lonely|crying|hopeless|died|passed)\b", re.I
    ),
    "anger": re.compile(r"\b(?:angry|furious|frustrated|annoyed|fed up)\b", re.I),
    "joy": re.compile(r"\b(?:great|happy|glad|relieved|wonderful)\b", re.I),
}
_REACTIONS = re.compile(r"\b(?:sorry|must be|sounds (?:hard|frightening|difficult))\b", re.I)
_INTERPRETATIONS = re.compile(r"\b(?:i understand|i can imagine|sounds like you)\b", re.I)
_EXPLORATIONS = re.compile(
    r"\b(?:tell me more|what worries|how are you feeling|what makes you)\b", re.I
)
_OPEN = re.compile(r"(?:^|[.!?]\s+)\W*(?:what|how|why|tell me)\b", re.I)


class KeywordLabeller:
    """Labels by keyword: fear, sadness, anger, joy words; EPITOME cue phrases; open questions."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {"emotions": 0, "empathy": 0, "mi_codes": 0}

    def emotions(self, texts: Sequence[str]) -> list[EmotionLabel]:
        self.calls["emotions"] += 1
        labels = []
        for text in texts:
            scores = dict.fromkeys(EMOTIONS, 0.0)
            for name, pattern in _EMOTION_WORDS.items():
                if pattern.search(text):
                    scores[name] = 0.9
            if not any(scores.values()):
                scores["neutral"] = 0.9
            labels.append(
                EmotionLabel(emotions=tuple(n for n in EMOTIONS if scores[n] >= 0.5), scores=scores)
            )
        return labels

    def empathy(self, contexts: Sequence[str], responses: Sequence[str]) -> list[EmpathyLabel]:
        self.calls["empathy"] += 1
        labels = []
        for response in responses:
            levels: dict[str, int] = {}
            rationales: dict[str, tuple[tuple[int, int], ...]] = {}
            for name, pattern in (
                ("emotional_reactions", _REACTIONS),
                ("interpretations", _INTERPRETATIONS),
                ("explorations", _EXPLORATIONS),
            ):
                spans = tuple((m.start(), m.end()) for m in pattern.finditer(response))
                levels[name] = 2 if spans else 0
                rationales[name] = spans
            labels.append(EmpathyLabel(levels=levels, rationales=rationales))
        return labels

    def mi_codes(self, contexts: Sequence[str], responses: Sequence[str]) -> list[MICode]:
        self.calls["mi_codes"] += 1
        codes = []
        for response in responses:
            question = None
            if "?" in response:
                question = "open" if _OPEN.search(response) else "closed"
            reflection = "complex" if re.search(r"\bsounds like you\b", response, re.I) else None
            codes.append(MICode(question=question, reflection=reflection))
        return codes
