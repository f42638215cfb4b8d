"""Free-text prompts, not scored: "What matters to you?" and the patient's own goals."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel

__all__ = ["WhatMattersPrompt", "what_matters_prompts"]


class WhatMattersPrompt(BaseModel, frozen=True, extra="forbid"):
    """One open question; the answer is kept in the patient's own words."""

    id: str
    text: str
    help: str | None = None


class _PromptFile(BaseModel, frozen=True, extra="forbid"):
    id: str
    version: int
    prompts: tuple[WhatMattersPrompt, ...]


@cache
def what_matters_prompts() -> tuple[WhatMattersPrompt, ...]:
    """The shipped prompts (`data/what_matters.v1.yaml`), in the order they are asked."""
    text = (resources.files("bedside.instruments.data") / "what_matters.v1.yaml").read_text(
        encoding="utf-8"
    )
    return _PromptFile.model_validate(yaml.safe_load(text)).prompts
