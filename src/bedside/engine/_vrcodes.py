"""The VR-CoDES coding rules of `vrcodes.v1.yaml`: non-cues and the provider-response phrases.

Kept in a file of their own so that the cue and response rules of `cues.v1.yaml` and
`responses.v1.yaml` keep their schema: this adds what VR-CoDES needs on top (Zimmermann et al.,
PEC 2011; Del Piccolo et al., PEC 2011): what is not a cue ("sorry, I didn't catch that"),
non-verbal signs marked in the transcript (type f), and the phrases that place a response among
the nine codes (a postponement is `ER-block`, "go on" is `NP-invite`, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import Field

from bedside.engine._rules import _check, _compile, _expect_schema, _read, _Strict

__all__ = ["DEFAULT_VRCODES", "VRCodesRules", "load_vrcodes"]


class _VRCodesFile(_Strict, frozen=True):
    schema_: str = Field(alias="schema")
    not_cue: tuple[str, ...]
    nonverbal: tuple[str, ...]
    block: tuple[str, ...]
    inform: tuple[str, ...]
    invite: tuple[str, ...]
    switch: tuple[str, ...]
    explicit_topic: tuple[str, ...]
    empathy: tuple[str, ...]


@dataclass(frozen=True)
class VRCodesRules:
    """Compiled `vrcodes.v1.yaml`; picklable, so it travels to Dask workers with the config."""

    name: str
    not_cue: tuple[re.Pattern[str], ...]
    not_cue_any: re.Pattern[str]
    nonverbal: tuple[re.Pattern[str], ...]
    block: tuple[re.Pattern[str], ...]
    inform: tuple[re.Pattern[str], ...]
    invite: tuple[re.Pattern[str], ...]
    switch: tuple[re.Pattern[str], ...]
    explicit_topic: tuple[re.Pattern[str], ...]
    empathy: tuple[re.Pattern[str], ...]


def load_vrcodes(language: str = "en", version: str = "v1") -> VRCodesRules:
    """Load and compile the shipped VR-CoDES rules (unknown keys are rejected).

    Raises:
        FormatError: the file is missing, not YAML, has unknown keys or a bad pattern.
    """
    package = f"bedside.engine.rules.{language}"
    source, document = _read(package, f"vrcodes.{version}.yaml")
    found = _check(_VRCodesFile, source, document)
    _expect_schema(found.schema_, f"bedside.vrcodes.{version}", source)
    return VRCodesRules(
        name=found.schema_,
        not_cue=_compile(found.not_cue, source),
        not_cue_any=_compile(("|".join(f"(?:{p})" for p in found.not_cue),), source)[0],
        nonverbal=_compile(found.nonverbal, source),
        block=_compile(found.block, source),
        inform=_compile(found.inform, source),
        invite=_compile(found.invite, source),
        switch=_compile(found.switch, source),
        explicit_topic=_compile(found.explicit_topic, source),
        empathy=_compile(found.empathy, source),
    )


DEFAULT_VRCODES: VRCodesRules = load_vrcodes()
"""The shipped English VR-CoDES rules, compiled once when the engine is imported."""
