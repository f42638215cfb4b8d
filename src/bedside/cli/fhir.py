"""`bedside fhir export` and `bedside fhir import`: FHIR R4 Bundles of scores and care plans."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from bedside.errors import FormatError, ScoringError
from bedside.fhir import export_bundle, import_questionnaire_response, questionnaire_responses_in
from bedside.instruments import Score, build_care_plan, score, screen_social_needs


def _parse_response(spec: str) -> Score:
    """`phq9=1,1,2,2,1,2,2,2,1` -> its score (`?` marks a missing answer, never imputed)."""
    name, sep, values = spec.partition("=")
    if not sep or not name:
        raise ScoringError(f"response {spec!r}: expected INSTRUMENT=A,B,C (for example phq2=1,2)")
    answers: list[int | None] = []
    for number, raw in enumerate(values.split(","), start=1):
        raw = raw.strip()
        if raw == "?":
            answers.append(None)
            continue
        try:
            answers.append(int(raw, 10))
        except ValueError:
            raise ScoringError(
                f"{name} answer {number} {raw!r} is not a whole number (or ? for missing)"
            ) from None
    return score(name, answers, allow_missing=True)


def _parse_need(spec: str) -> tuple[str, str | list[str]]:
    item, sep, codes = spec.partition("=")
    if not sep:
        raise ScoringError(
            f"social need {spec!r}: expected ITEM=CODE (for example food_worry=often)"
        )
    chosen = [code.strip() for code in codes.split(",") if code.strip()]
    return item.strip(), chosen if len(chosen) > 1 else (chosen[0] if chosen else "")


def register(app: typer.Typer) -> None:
    """Add the `bedside fhir` command group."""
    group = typer.Typer(
        help="FHIR R4 export and import (validated with fhir.resources R4B).", no_args_is_help=True
    )
    app.add_typer(group, name="fhir")

    @group.command("export")
    def export_command(
        responses: list[str] = typer.Argument(  # noqa: B008
            None,
            help="Scored responses as INSTRUMENT=A,B,... (e.g. phq9=1,1,2,2,1,2,2,2,1; ? = missing).",
        ),
        patient: str = typer.Option(
            ..., "--patient", help="Patient reference, e.g. Patient/123 (no names)."
        ),
        care_plan: bool = typer.Option(
            False, "--care-plan", help="Add a draft care plan from the rules."
        ),
        what_matters: str | None = typer.Option(
            None, "--what-matters", help="The patient's own words."
        ),
        goals: list[str] = typer.Option(  # noqa: B008
            None, "--goal", help="A goal in the patient's words (repeatable)."
        ),
        needs: list[str] = typer.Option(  # noqa: B008
            None,
            "--need",
            help="AHC HRSN answer ITEM=CODE[,CODE] (repeatable), e.g. food_worry=often.",
        ),
        out: Path | None = typer.Option(  # noqa: B008
            None, "--out", help="Write the bundle here instead of stdout."
        ),
    ) -> None:
        """Write a FHIR R4 Bundle (QuestionnaireResponse, Observation, CarePlan, Goal, ServiceRequest)."""
        now = datetime.now(UTC)
        scores = [_parse_response(spec) for spec in responses or []]
        social = screen_social_needs(dict(_parse_need(spec) for spec in needs)) if needs else None
        plan = None
        if care_plan or what_matters or goals or social is not None:
            plan = build_care_plan(
                scores=scores,
                social_needs=social,
                what_matters=what_matters,
                goals=goals or [],
                today=now.date(),
            )
        bundle = export_bundle(
            patient=patient,
            responses=[(result, now) for result in scores],
            care_plan=plan,
            timestamp=now,
            validate=True,
        )
        text = json.dumps(bundle, indent=2, ensure_ascii=False)
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text + "\n", encoding="utf-8")

    @group.command("import")
    def import_command(
        path: str = typer.Argument(
            ..., help="A QuestionnaireResponse or Bundle JSON file, or - for stdin."
        ),
    ) -> None:
        """Read QuestionnaireResponses and print each score as `bedside score` JSON, one a line."""
        source = "<stdin>" if path == "-" else path
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise FormatError(f"cannot read: {error.strerror}", source=source) from None
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise FormatError(
                f"not valid JSON: {error.msg}", source=source, line=error.lineno
            ) from None
        if not isinstance(document, dict):
            raise FormatError("expected a FHIR resource (a JSON object)", source=source)
        found = questionnaire_responses_in(document)
        if not found:
            raise FormatError("no QuestionnaireResponse found in the bundle", source=source)
        for response in found:
            imported = import_questionnaire_response(response, source=source)
            typer.echo(json.dumps(imported.score.to_json()))
