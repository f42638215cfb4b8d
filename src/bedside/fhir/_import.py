"""FHIR R4 QuestionnaireResponse -> (instrument, answers) -> Score.

Accepted: bedside's own responses (questionnaire `<base>/Questionnaire/phq9|1`, linkId = item
number) and responses that identify items by LOINC code (for example NLM LHC-Forms, whose
questionnaire is the panel code 44249-1 and whose linkIds end in the item code, "/44250-9").
Answers may be `valueCoding` (LOINC answer codes LA6568-5 ... or bedside's answer code system) or
`valueInteger`. A missing answer stays missing (never imputed): PHQ-9 without item 9 imports as a
partial result whose safety status is "needs asking".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bedside.errors import FormatError, ScoringError
from bedside.fhir._codes import LOINC
from bedside.fhir._validate import validate_resource
from bedside.instruments import INSTRUMENT_IDS, Instrument, Score, get_instrument, score

__all__ = ["ImportedResponse", "import_questionnaire_response", "questionnaire_responses_in"]


@dataclass(frozen=True, slots=True)
class ImportedResponse:
    """A QuestionnaireResponse read back: the instrument, the answers, and their score."""

    instrument: str
    answers: tuple[int | None, ...]
    authored: datetime | None
    subject: str | None
    score: Score


def _instrument_for(questionnaire: str, source: str) -> Instrument:
    canonical = questionnaire.split("|", 1)[0].rstrip("/")
    last = canonical.rsplit("/", 1)[-1]
    if last in INSTRUMENT_IDS:
        return get_instrument(last)
    for instrument_id in INSTRUMENT_IDS:
        panel = get_instrument(instrument_id).loinc.panel
        if panel is not None and last.startswith(panel):
            return get_instrument(instrument_id)
    raise FormatError(
        f"questionnaire {questionnaire!r} is not a known instrument; expected one of "
        f"{', '.join(INSTRUMENT_IDS)} or a LOINC panel code",
        source=source,
    )


def _item_index(instrument: Instrument, link_id: str) -> int | None:
    if link_id.isdigit():
        number = int(link_id)
        return number - 1 if 1 <= number <= len(instrument.items) else None
    tail = link_id.rstrip("/").rsplit("/", 1)[-1]
    for index, item in enumerate(instrument.items):
        if item.loinc is not None and tail == item.loinc:
            return index
    return None


def _answer_value(
    instrument: Instrument, answer: Mapping[str, Any], where: str, source: str
) -> int:
    if "valueInteger" in answer:
        value = answer["valueInteger"]
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    coding = answer.get("valueCoding")
    if isinstance(coding, Mapping):
        code = coding.get("code")
        if coding.get("system") == LOINC:
            for option in instrument.options:
                if option.loinc == code:
                    return option.value
        elif isinstance(code, str) and code.lstrip("-").isdigit():
            return int(code)
        raise FormatError(
            f"{where}: answer code {code!r} is not an answer of {instrument.id}", source=source
        )
    raise FormatError(f"{where}: expected valueCoding or valueInteger", source=source)


def import_questionnaire_response(
    document: Mapping[str, Any] | str, *, source: str = "<fhir>"
) -> ImportedResponse:
    """Read one QuestionnaireResponse (dict or JSON text), validate it (R4B) and score it.

    Raises:
        FormatError: not JSON, not a valid QuestionnaireResponse, an unknown questionnaire or item,
            or an answer that is not one of the instrument's options.
        ScoringError: an answer out of the instrument's range.
    """
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise FormatError(
                f"not valid JSON: {error.msg}", source=source, line=error.lineno
            ) from None
    if not isinstance(document, Mapping) or document.get("resourceType") != "QuestionnaireResponse":
        raise FormatError("expected a FHIR QuestionnaireResponse", source=source)
    validate_resource(document, source=source)
    questionnaire = document.get("questionnaire")
    if not isinstance(questionnaire, str):
        raise FormatError("QuestionnaireResponse.questionnaire is missing", source=source)
    instrument = _instrument_for(questionnaire, source)
    answers: list[int | None] = [None] * len(instrument.items)
    for number, item in enumerate(_flatten(document.get("item", []))):
        link_id = str(item.get("linkId", ""))
        where = f"item[{number}] (linkId {link_id!r})"
        index = _item_index(instrument, link_id)
        if index is None:
            continue  # totals and unscored items (e.g. PHQ-9 difficulty) are not answers
        given = item.get("answer") or []
        if len(given) > 1:
            raise FormatError(f"{where}: expected one answer, got {len(given)}", source=source)
        if given:
            answers[index] = _answer_value(instrument, given[0], where, source)
    try:
        result = score(instrument, answers, allow_missing=True)
    except ScoringError as error:
        raise ScoringError(f"{source}: {error}") from None
    authored = document.get("authored")
    subject = (document.get("subject") or {}).get("reference")
    return ImportedResponse(
        instrument=instrument.id,
        answers=tuple(answers),
        authored=datetime.fromisoformat(authored) if isinstance(authored, str) else None,
        subject=subject,
        score=result,
    )


def _flatten(items: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Items in document order, groups opened (LHC-Forms nests items in a group)."""
    flat: list[Mapping[str, Any]] = []
    for item in items:
        flat.append(item)
        flat.extend(_flatten(item.get("item", [])))
    return flat


def questionnaire_responses_in(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The QuestionnaireResponses in a Bundle, or the document itself if it is one."""
    if document.get("resourceType") == "Bundle":
        return [
            entry["resource"]
            for entry in document.get("entry", [])
            if entry.get("resource", {}).get("resourceType") == "QuestionnaireResponse"
        ]
    return [document]
