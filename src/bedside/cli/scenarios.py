"""`bedside scenarios list|check` and `bedside practice`: the training simulator in the terminal.

The commands are thin: scenarios come from `bedside.simulator`, replies are judged and the
simulator driven by `bedside.services.training`; this module only reads input and prints. It
works on a terminal (Rich colours, line editing) and with piped stdin (one reply per line), which
is how the tests play whole scenarios.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from bedside.errors import ModelError
from bedside.services.training import (
    PracticeSession,
    ReplyAssessor,
    begin_practice,
    load_assessor,
    voice_from_settings,
)
from bedside.simulator import (
    CheckResult,
    Debrief,
    Feedback,
    Scenario,
    Step,
    check_file,
    check_scenario,
    longest_path,
    shipped_scenarios,
)
from bedside.simulator.checker import Problem
from bedside.simulator.loader import parse_scenario

__all__ = ["register"]

scenarios_app = typer.Typer(
    name="scenarios",
    help="List and check the training scenarios (simulated patients).",
    no_args_is_help=True,
)

_QUIT = {"/quit", "/exit", "/q"}
_HINT = {"/hint", "/h"}
_OUTCOME_STYLE = {"good": "green", "mixed": "yellow", "poor": "red"}


def _err(message: str) -> None:
    sys.stderr.write(f"bedside: error: {message}\n")


@scenarios_app.command("list")
def list_scenarios(
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="text (a table) or json.")
    ] = "text",
) -> None:
    """List every shipped scenario: id, title, topic and learning objectives."""
    if output_format not in ("text", "json"):
        _err(f"--format must be text or json, not {output_format!r}")
        raise typer.Exit(2)
    scenarios = shipped_scenarios()
    if output_format == "json":
        document = [
            {
                "id": s.id,
                "version": s.version,
                "title": s.title,
                "topic": s.topic,
                "summary": s.summary,
                "persona": s.persona.name,
                "objectives": list(s.objectives),
                "sources": [src.citation for src in s.sources],
                "longest_path": longest_path(s),
            }
            for s in scenarios
        ]
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    console = Console(highlight=False)
    table = Table(title=f"{len(scenarios)} training scenarios", show_lines=True)
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("objectives")
    for s in scenarios:
        table.add_row(s.id, escape(s.title), "\n".join(f"• {escape(o)}" for o in s.objectives))
    console.print(table)
    console.print("Play one with: bedside practice SCENARIO_ID")


def _shipped_results() -> list[CheckResult]:
    from importlib import resources

    results = []
    folder = resources.files("bedside.simulator.scenarios")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        source = f"bedside/simulator/scenarios/{entry.name}"
        try:
            scenario = parse_scenario(entry.read_text(encoding="utf-8"), source=source)
        except Exception as error:  # a ScenarioError; reported like any unsound file
            results.append(CheckResult(source, None, (Problem("", str(error)),)))
            continue
        problems = tuple(
            Problem(f"{source}: {p.where}", p.message) for p in check_scenario(scenario)
        )
        results.append(CheckResult(source, scenario, problems))
    return results


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            files.append(path)
    return files


@scenarios_app.command("check")
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Scenario files or folders of them (default: the shipped scenarios).",
        ),
    ] = None,
) -> None:
    """Validate scenario files: schema, reachability, defaults on every node, every path ends.

    Exit status 0 when every file is sound; 2 when any is not, with one
    'bedside: error: FILE[:LINE]: ...' line per problem on stderr.
    """
    results = _shipped_results() if not paths else [check_file(p) for p in _expand(paths)]
    if not results:
        _err("no scenario files found; give .yaml files or folders that contain them")
        raise typer.Exit(2)
    bad = 0
    for result in results:
        if result.ok and result.scenario is not None:
            typer.echo(
                f"ok  {result.source}  ({len(result.scenario.nodes)} nodes, "
                f"at most {longest_path(result.scenario)} replies)"
            )
        else:
            bad += 1
            for problem in result.problems:
                _err(str(problem))
    if bad:
        typer.echo(f"{bad} of {len(results)} scenario files unsound", err=True)
        raise typer.Exit(2)
    typer.echo(f"all {len(results)} scenario files sound")


def _introduce(console: Console, scenario: Scenario, assessor: ReplyAssessor) -> None:
    persona = scenario.persona
    age = f", {persona.age}" if persona.age is not None else ""
    body = (
        f"[bold]{escape(scenario.learner_role)}[/]\n\n{escape(scenario.context)}\n\n"
        f"[bold]{escape(persona.name)}[/]{age}: {escape(persona.background)}\n\n"
        "[bold]Objectives[/]\n" + "\n".join(f"• {escape(o)}" for o in scenario.objectives)
    )
    console.print(Panel(body, title=escape(scenario.title), expand=False))
    console.print(
        f"[dim]Type your reply and press Enter. /hint shows a stronger reply, /quit stops. "
        f"Scoring: {assessor.basis}.[/]"
    )


def _say(console: Console, scenario: Scenario, line: str) -> None:
    console.print(f"\n[bold cyan]{escape(scenario.persona.name)}:[/] {escape(line)}")


def _show_feedback(console: Console, feedback: Feedback, step: Step) -> None:
    lines = [f"[italic]{escape(feedback.note)}[/]"]
    lines += [f"[green]✓[/] {escape(p.text)}" for p in feedback.strengths]
    lines += [f"[yellow]→[/] {escape(p.text)}" for p in feedback.improvements]
    if feedback.example_reply:
        lines.append(f"\n[bold]A stronger reply:[/] “{escape(feedback.example_reply)}”")
    state = step.attempt.state
    lines.append(f"[dim]trust {state.trust}/10 · distress {state.distress}/10[/]")
    console.print(Panel("\n".join(lines), title="Feedback", border_style="blue", expand=False))


def _show_debrief(console: Console, debrief: Debrief) -> None:
    style = _OUTCOME_STYLE[debrief.ending.outcome]
    skills = Table(show_header=True, box=None)
    skills.add_column("skill")
    skills.add_column("replies", justify="right")
    for name, count in debrief.skills.counts.items():
        skills.add_row(name.replace("_", " "), f"{count}/{debrief.skills.replies}")
    notes = "\n".join(f"• {escape(n)}" for n in debrief.ending.debrief)
    objectives = "\n".join(f"• {escape(o)}" for o in debrief.objectives)
    sources = "\n".join(f"• {escape(s.citation)}" for s in debrief.sources)
    console.print(
        Panel(
            f"[bold {style}]Outcome: {debrief.ending.outcome}[/] · {escape(debrief.ending.summary)}\n"
            f"[dim]trust {debrief.state.trust}/10 · distress {debrief.state.distress}/10[/]\n\n"
            f"[bold]Take-aways[/]\n{notes}\n\n[bold]Objectives[/]\n{objectives}",
            title=f"Debrief: {escape(debrief.title)}",
            border_style=style,
            expand=False,
        )
    )
    console.print(skills)
    console.print(f"[bold]Sources[/]\n{sources}")


def _read_reply(console: Console) -> str | None:
    """One reply; piped input is echoed so that a transcript of the session reads naturally."""
    try:
        reply = console.input("[bold]You:[/] ")
    except EOFError:
        return None
    if not sys.stdin.isatty():
        console.print(escape(reply), highlight=False)
    return reply


def _play(console: Console, session: PracticeSession) -> int:
    scenario = session.scenario
    _say(console, scenario, session.line)
    while not session.finished:
        reply = _read_reply(console)
        if reply is None:
            console.print("\n[dim]Input ended before the scenario did; stopping here.[/]")
            return 0
        reply = reply.strip()
        if not reply:
            continue
        if reply.lower() in _QUIT:
            console.print("[dim]Stopped. Run the command again to start afresh.[/]")
            return 0
        if reply.lower() in _HINT:
            example = scenario.node(session.attempt.node).example_reply
            console.print(f"[dim]Hint: “{escape(example or '')}”[/]")
            continue
        step = session.reply(reply)
        _show_feedback(console, step.feedback, step)
        _say(console, scenario, session.spoken)
    _show_debrief(console, session.debrief())
    return 0


def practice(
    scenario_id: Annotated[
        str,
        typer.Argument(metavar="SCENARIO_ID", help="A scenario id; see `bedside scenarios list`."),
    ],
    rules_only: Annotated[
        bool,
        typer.Option("--rules-only", help="Score replies with rules only (no language models)."),
    ] = False,
    scripted: Annotated[
        bool,
        typer.Option(
            "--scripted",
            help="Use the scenario's own lines even when BEDSIDE_LLM_URL names a model to voice them.",
        ),
    ] = False,
) -> None:
    """Practise a hard conversation with a simulated patient (see PRACTICE_HELP)."""
    assessor: ReplyAssessor
    if rules_only:
        assessor = load_assessor(models=False)
    else:
        try:
            assessor = load_assessor(models=True)
        except ModelError as error:
            sys.stderr.write(
                f"bedside: note: language models unavailable ({error}); scoring with rules only\n"
            )
            assessor = load_assessor(models=False)
    voice = None if scripted else voice_from_settings()
    session = begin_practice(scenario_id, assessor, voice=voice)
    console = Console(highlight=False)
    _introduce(console, session.scenario, assessor)
    if voice is not None:
        console.print("[dim]The patient's lines are voiced by the configured language model.[/]")
    raise typer.Exit(_play(console, session))


PRACTICE_HELP = "\n\n".join(
    (
        "Practise a hard conversation with a simulated patient, with feedback on every reply.",
        "Type one reply per line, or pipe them in. After each reply bedside scores it with the "
        "analysis engine (EPITOME empathy levels, cue response, question type, reflection, "
        "jargon), shows specific feedback and a stronger example reply, and answers as the "
        "patient along the scenario's branches. A debrief follows the ending. /hint shows a "
        "stronger reply for the current line; /quit stops.",
        "When BEDSIDE_LLM_URL names an OpenAI-compatible endpoint, a model re-says the patient's "
        "lines in its own words; the branches and cues stay the scenario's. --scripted turns "
        "that off.",
    )
)


def register(app: typer.Typer) -> None:
    """Add `bedside scenarios …` and `bedside practice` to the app."""
    app.add_typer(scenarios_app, name="scenarios")
    app.command("practice", help=PRACTICE_HELP)(practice)
