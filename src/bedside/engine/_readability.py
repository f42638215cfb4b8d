"""Flesch-Kincaid grade of spoken clinician language, with a syllable rule that needs no data.

`textstat` looks syllables up in NLTK's CMU dictionary and downloads it on first use, which fails
offline (docs/libraries.md section 8). The grade is a simple formula, so bedside computes it here:

    grade = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59

(Kincaid et al. 1975, Naval Technical Training Command report 8-75). Syllables are counted with a
vowel-group rule: each run of vowels (a, e, i, o, u, y) is one syllable, a silent final "e" is
dropped (but "-le" after a consonant, as in "table", keeps its syllable), "-ed" after a letter
other than t or d is silent ("helped"), common two-vowel splits ("ia", "io", "eo" as in "diet",
"radio") add one, a silent "e" before "-ly", "-ment", "-ful", "-ness", "-less" or "-thing" is
dropped ("likely"), and every word has at least one. On a list of everyday and medical words it
agrees with a dictionary count for roughly nine words in ten, and is off by one otherwise, which
moves a grade by a fraction of a school year.

Hesitations ("um", "uh", "erm") are dropped before counting, since they are not language a patient
has to understand. Transcripts punctuated by a transcriber give the sentence boundaries.
"""

from __future__ import annotations

import re

from bedside.engine._text import FILLERS, normalise

__all__ = ["count_syllables", "readability_grade"]

_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_SPLITS = re.compile(r"(?<![tcsgx])i[aou]|eo|(?<![qg])u[ao]|ii")
_INNER_SILENT_E = re.compile(r"(?<=[^aeiouy])e(?=(?:ly|ment|ful|ness|less|thing)$)")
_SENTENCE_END = re.compile(r"[.!?]+")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_EXCEPTIONS = {
    "the": 1,
    "every": 2,
    "people": 2,
    "area": 3,
    "idea": 3,
    "being": 2,
    "doing": 2,
    "going": 2,
    "seeing": 2,
    "medicine": 3,
    "business": 2,
    "different": 3,
    "evening": 2,
    "family": 3,
    "naturally": 4,
    "usually": 4,
    "actually": 4,
    "abdomen": 3,
    "diarrhoea": 4,
    "diarrhea": 4,
    "ibuprofen": 4,
    "paracetamol": 5,
    "temperature": 4,
}


def count_syllables(word: str) -> int:
    """Estimate the syllables of one English word (at least 1 for any word with letters)."""
    word = word.lower().strip("'")
    if "'" in word:
        word = word.split("'")[0] or word.replace("'", "")
    if not word:
        return 0
    if word in _EXCEPTIONS:
        return _EXCEPTIONS[word]
    if word.startswith("every") and len(word) > 5:
        return 2 + count_syllables(word[5:])
    stem = word
    if len(stem) > 2 and stem.endswith("e") and not re.search(r"[^aeiouy]le$", stem):
        stem = stem[:-1]
    elif (len(stem) > 3 and stem.endswith("ed") and stem[-3] not in "td") or (
        len(stem) > 3 and stem.endswith("es") and stem[-3] not in "sxzhc"
    ):
        stem = stem[:-2]
    count = len(_VOWEL_GROUPS.findall(stem))
    count -= len(_INNER_SILENT_E.findall(stem))
    count += len(_SPLITS.findall(stem))
    return max(1, count)


def readability_grade(text: str) -> float:
    """Flesch-Kincaid grade level of a text (a US school grade; 6-8 suits most patients).

    Returns 0.0 for a text with no words. The grade is not clipped: very short plain sentences
    can score below zero, as in the original formula.

    Example:
        >>> readability_grade("The inflammation is likely viral; maintain adequate hydration.")
        14.08
    """
    lowered = normalise(text)
    words = [w for w in _WORD.findall(lowered) if w not in FILLERS]
    if not words:
        return 0.0
    sentences = max(1, len([s for s in _SENTENCE_END.split(lowered) if _WORD.search(s)]))
    counted: dict[str, int] = {}  # local memo: speech repeats its words
    syllables = 0
    for word in words:
        if word not in counted:
            counted[word] = count_syllables(word)
        syllables += counted[word]
    grade = 0.39 * (len(words) / sentences) + 11.8 * (syllables / len(words)) - 15.59
    return round(grade, 2)
