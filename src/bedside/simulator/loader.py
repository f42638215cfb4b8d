"""Reading scenario files: YAML in, a validated `Scenario` out, or an error naming file and line.

Shipped scenarios are package data in `bedside/simulator/scenarios/*.yaml`, read with
`importlib.resources` so that they are found in an installed wheel as well as a source tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bedside.errors import NotFound, ScenarioError
from bedside.simulator.schema import Scenario

__all__ = [
    "load_scenario",
    "parse_scenario",
    "shipped_scenario",
    "shipped_scenarios",
]

_PACKAGE = "bedside.simulator.scenarios"


def _where(source: str, line: int | None) -> str:
    return f"{source}:{line}" if line is not None else source


def _compose(text: str, source: str) -> yaml.Node:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ScenarioError(
            f"{_where(source, line)}: not valid YAML ({error.problem}); "
            "expected a mapping of scenario keys"
        ) from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"{source}: not valid YAML ({error})") from None
    if node is None:
        raise ScenarioError(f"{source}: the file is empty; expected a scenario mapping")
    return node


def _line_of(root: yaml.Node, loc: tuple[int | str, ...]) -> int | None:
    """The line of the YAML node at a pydantic error location (the nearest existing parent)."""
    node = root
    line = node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _describe(error: ErrorDetails) -> str:
    loc = ".".join(str(p) for p in error["loc"] if p != "schema_") or "scenario"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key {loc!r}; check the spelling against docs/simulator.md"
    if kind == "missing":
        return f"missing required key {loc!r}"
    return f"{loc}: {error['msg']}"


def parse_scenario(text: str, *, source: str = "<string>") -> Scenario:
    """Validate scenario YAML text against the `bedside.scenario/1` schema.

    Raises:
        ScenarioError: with `source:line:` and what was expected, for bad YAML, unknown keys,
            missing keys or wrong values. Soundness of the graph is the checker's job.
    """
    root = _compose(text, source)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{_where(source, root.start_mark.line + 1)}: expected a mapping of scenario keys, "
            f"found {type(data).__name__}"
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        # A misspelt key is both unknown and missing: report the unknown spelling first.
        errors = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        loc = tuple("schema" if p == "schema_" else p for p in first["loc"])
        line = _line_of(root, loc)
        more = error.error_count() - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ScenarioError(f"{_where(source, line)}: {_describe(first)}{extra}") from None


def load_scenario(path: Path) -> Scenario:
    """Read and validate one scenario file; the id must match the file name."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read the file ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text; save the scenario as UTF-8") from None
    scenario = parse_scenario(text, source=str(path))
    if scenario.id != path.stem:
        raise ScenarioError(
            f"{path}: id {scenario.id!r} does not match the file name; "
            f"rename the file to {scenario.id}.yaml or change the id"
        )
    return scenario


def _shipped_files() -> Iterator[tuple[str, str]]:
    folder = resources.files(_PACKAGE)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            yield entry.name, entry.read_text(encoding="utf-8")


@cache
def shipped_scenarios() -> tuple[Scenario, ...]:
    """Every scenario bundled with bedside, sorted by id (parsed once per process)."""
    found = []
    for name, text in _shipped_files():
        scenario = parse_scenario(text, source=f"{_PACKAGE}/{name}")
        found.append(scenario)
    return tuple(sorted(found, key=lambda s: s.id))


def shipped_scenario(scenario_id: str) -> Scenario:
    """The shipped scenario with this id.

    Raises:
        NotFound: naming the ids that exist.
    """
    for scenario in shipped_scenarios():
        if scenario.id == scenario_id:
            return scenario
    known = ", ".join(s.id for s in shipped_scenarios())
    raise NotFound(f"no scenario {scenario_id!r}; known scenarios: {known}")


def shipped_paths() -> tuple[str, ...]:
    """File names of the shipped scenarios (for `bedside scenarios check` with no arguments)."""
    return tuple(name for name, _ in _shipped_files())
