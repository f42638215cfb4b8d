"""Optional rewrites of missed-opportunity suggestions by a language model (off by default).

The engine always writes a suggestion from reviewed templates. When `BEDSIDE_LLM_URL` names an
OpenAI-compatible endpoint (for example a local llama.cpp or vLLM server, `http://127.0.0.1:8080/v1`),
`rewrite_suggestions` asks it for a warmer reply fitted to the patient's exact words. It is never
required: any failure (no answer within the timeout, an HTTP error, a reply that is not usable)
keeps the template, and after the first failure the rest of the report is not tried either, so a
dead endpoint costs one timeout, not one per opportunity.

Privacy: turning this on sends the cue turn and the clinician's reply to that endpoint. Point it
only at a server allowed to see patient speech (one on your own machine or network). No text is
logged here.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from bedside.config import Settings
from bedside.model import AnalysisReport, Opportunity

__all__ = ["LLMRewriter", "rewrite_suggestions"]

log = logging.getLogger(__name__)

_SYSTEM = (
    "You coach clinicians in compassionate communication. The patient expressed a feeling or a "
    "worry and the clinician missed it. Write ONE better reply the clinician could have said: "
    "plain words, two sentences at most, first name or acknowledge the feeling, then invite the "
    "patient to say more. No reassurance, no advice, no diagnosis. Reply with the words only."
)
_MAX_CHARS = 400


@dataclass(frozen=True)
class LLMRewriter:
    """Talks to one OpenAI-compatible chat-completions endpoint.

    Attributes:
        url: the endpoint's base URL (`.../v1`) or its full `/chat/completions` URL.
        model: the model name the server expects.
        api_key: sent as a bearer token when set.
        timeout: seconds to wait for each answer.
    """

    url: str
    model: str = "gpt-4o-mini"
    api_key: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings, *, timeout: float = 10.0) -> LLMRewriter | None:
        """The rewriter named by `BEDSIDE_LLM_URL`, or None when rewrites are off."""
        if not settings.llm_url:
            return None
        return cls(
            url=settings.llm_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout=timeout,
        )

    @property
    def endpoint(self) -> str:
        """The chat-completions URL."""
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else f"{base}/chat/completions"

    def rewrite(self, *, cue: str, response: str | None, template: str) -> str:
        """One better reply, or raises `RewriteFailed` (never anything else)."""
        prompt = (
            f'Patient said: "{cue}"\n'
            f'Clinician replied: "{response or "(nothing)"}"\n'
            f'A template suggestion was: "{template}"\n'
            "Write a better reply."
        )
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": _SYSTEM},
                {"role": "user", "content": prompt},
            ],
            "temperature": 0,
            "max_tokens": 160,
        }
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.endpoint, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                document = json.loads(answer.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            raise RewriteFailed(type(error).__name__) from error
        return _reply_text(document)


class RewriteFailed(Exception):
    """The endpoint gave no usable rewrite; the caller keeps the template."""


def _reply_text(document: Any) -> str:
    try:
        text = document["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as error:
        raise RewriteFailed("no choices[0].message.content in the reply") from error
    if not isinstance(text, str):
        raise RewriteFailed("the reply's content is not text")
    text = " ".join(text.split()).strip().strip('"').strip()
    if not text:
        raise RewriteFailed("the reply is empty")
    if len(text) > _MAX_CHARS:
        raise RewriteFailed(f"the reply is longer than {_MAX_CHARS} characters")
    return text


def rewrite_suggestions(
    report: AnalysisReport,
    *,
    rewriter: LLMRewriter | None = None,
    settings: Settings | None = None,
    max_requests: int = 20,
) -> AnalysisReport:
    """The report with model rewrites of its missed-opportunity suggestions, where they worked.

    Args:
        report: an engine report.
        rewriter: the endpoint to use; by default the one `BEDSIDE_LLM_URL` names, if any.
        settings: where to read `BEDSIDE_LLM_*` from (default: the environment).
        max_requests: at most this many rewrites per report.

    Returns:
        The same report when rewrites are off. Otherwise each rewritten opportunity has the
        model's text in `suggestion`, `suggestion_source: "llm"` and the template kept in
        `template_suggestion`; opportunities that could not be rewritten keep their template and
        say why in `rewrite_error`.
    """
    if rewriter is None:
        rewriter = LLMRewriter.from_settings(settings or Settings())
    if rewriter is None:
        return report
    texts = {turn.index: turn.text for turn in report.turns}
    updated: list[Opportunity] = []
    failure: str | None = None
    requests = 0
    for opportunity in report.opportunities:
        if opportunity.response != "missed" or not opportunity.suggestion:
            updated.append(opportunity)
            continue
        extra = dict(opportunity.extra)
        if failure is None and requests < max_requests:
            requests += 1
            try:
                text = rewriter.rewrite(
                    cue=texts.get(opportunity.cue_turn, ""),
                    response=texts.get(opportunity.response_turn)
                    if opportunity.response_turn is not None
                    else None,
                    template=opportunity.suggestion,
                )
            except RewriteFailed as error:
                failure = str(error)
                log.warning("LLM rewrite failed (%s); keeping the template suggestions", failure)
            else:
                extra.update(
                    {
                        "suggestion_source": "llm",
                        "template_suggestion": opportunity.suggestion,
                        "rewrite_error": None,
                    }
                )
                updated.append(opportunity.model_copy(update={"suggestion": text, "extra": extra}))
                continue
        extra.update(
            {
                "suggestion_source": "template",
                "rewrite_error": failure or f"more than {max_requests} rewrites asked",
            }
        )
        updated.append(opportunity.model_copy(update={"extra": extra}))
    return report.model_copy(update={"opportunities": tuple(updated)})
