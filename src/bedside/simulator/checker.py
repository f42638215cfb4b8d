"""The scenario checker: proves a scenario graph is sound before anyone plays it.

Sound means: the start node exists; every `goto` names a node; every node is reachable from the
start; every non-end node has exactly one default branch, last, with no conditions (so every reply
leads somewhere); no branch is shadowed by a broader one before it; the graph has no cycle (so, with defaults everywhere, every path reaches an end
in a bounded number of turns); at least one ending is good; each planted cue appears word for
word in its line; every node that expects a reply offers a stronger example reply.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path

from bedside.errors import ScenarioError
from bedside.simulator.assessment import normalise
from bedside.simulator.loader import load_scenario
from bedside.simulator.schema import Scenario

__all__ = ["CheckResult", "Problem", "check_file", "check_scenario", "longest_path"]


@dataclass(frozen=True)
class Problem:
    """One reason a scenario is unsound, with where it is."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True)
class CheckResult:
    """What the checker found in one file."""

    source: str
    scenario: Scenario | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when the file parsed and no problem was found."""
        return self.scenario is not None and not self.problems


def _structure(scenario: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    if scenario.start not in scenario.nodes:
        problems.append(Problem("start", f"names node {scenario.start!r}, which does not exist"))
    for node_id, node in scenario.nodes.items():
        where = f"node {node_id!r}"
        if node.is_end:
            if node.branches:
                problems.append(Problem(where, "an end node must not have branches"))
            continue
        if not node.branches:
            problems.append(
                Problem(where, "has no branches and no `end` block; add branches or make it an end")
            )
            continue
        defaults = [i for i, b in enumerate(node.branches) if b.default]
        if not defaults:
            problems.append(
                Problem(where, "has no default branch; add one with `default: true` as the last")
            )
        elif len(defaults) > 1:
            problems.append(Problem(where, f"has {len(defaults)} default branches; keep one"))
        elif defaults[0] != len(node.branches) - 1:
            problems.append(
                Problem(where, "the default branch must be the last (branches are tried in order)")
            )
        for number, branch in enumerate(node.branches, start=1):
            if branch.default and branch.conditional:
                problems.append(
                    Problem(f"{where} branch {number}", "a default branch must have no conditions")
                )
            if not branch.default and not branch.conditional:
                problems.append(
                    Problem(
                        f"{where} branch {number}",
                        "has no condition; mark it `default: true` or add `when`/`says`",
                    )
                )
            if branch.goto not in scenario.nodes:
                problems.append(
                    Problem(f"{where} branch {number}", f"goto {branch.goto!r}: no such node")
                )
        if not node.example_reply:
            problems.append(Problem(where, "needs an `example_reply` to show the learner"))
    for node_id, node in scenario.nodes.items():
        line = normalise(node.patient)
        for cue in node.cues:
            if normalise(cue.text) not in line:
                problems.append(
                    Problem(
                        f"node {node_id!r}",
                        f"cue {cue.text!r} does not appear in the patient's line",
                    )
                )
    return problems


_IMPLIES: dict[str, frozenset[str]] = {
    "explored": frozenset({"engaged"}),
    "acknowledged": frozenset({"engaged"}),
    "complex_reflection": frozenset({"reflection"}),
}


def _closure(signals: tuple[str, ...]) -> frozenset[str]:
    found = set(signals)
    for signal in signals:
        found |= _IMPLIES.get(signal, frozenset())
    return frozenset(found)


def _shadowed(scenario: Scenario) -> list[Problem]:
    """Branches that can never be taken because an earlier, broader branch always wins.

    Conservative: an earlier branch counts as broader only when it has nothing but `when`
    signals, all of them implied by the later branch's `when` (for example `when: [engaged]`
    before `when: [explored]`).
    """
    problems = []
    for node_id, node in scenario.nodes.items():
        for later_index, later in enumerate(node.branches):
            if later.default:
                continue
            implied = _closure(later.when)
            for index, earlier in enumerate(node.branches[:later_index]):
                simple = not (
                    earlier.unless
                    or earlier.says
                    or earlier.trust_below is not None
                    or earlier.distress_above is not None
                    or earlier.default
                )
                if simple and earlier.when and set(earlier.when) <= implied:
                    problems.append(
                        Problem(
                            f"node {node_id!r} branch {later_index + 1}",
                            f"can never be taken: branch {index + 1} before it matches every "
                            "reply it would; put the narrower branch first",
                        )
                    )
                    break
    return problems


def _successors(scenario: Scenario, node_id: str) -> list[str]:
    node = scenario.nodes.get(node_id)
    if node is None:
        return []
    return [b.goto for b in node.branches if b.goto in scenario.nodes]


def _reachable(scenario: Scenario) -> set[str]:
    if scenario.start not in scenario.nodes:
        return set()
    seen = {scenario.start}
    queue = deque([scenario.start])
    while queue:
        for nxt in _successors(scenario, queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _cycle(scenario: Scenario) -> list[str] | None:
    """A cycle of node ids, if the graph has one (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 finished
    for root in scenario.nodes:
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            node_id, index = stack[-1]
            successors = _successors(scenario, node_id)
            if index < len(successors):
                stack[-1] = (node_id, index + 1)
                nxt = successors[index]
                if state.get(nxt) == 1:
                    return [*path[path.index(nxt) :], nxt]
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                state[node_id] = 2
                stack.pop()
                path.pop()
    return None


def longest_path(scenario: Scenario) -> int:
    """The most replies a learner can give before an ending (the graph must be acyclic)."""
    memo: dict[str, int] = {}

    def depth(node_id: str) -> int:
        if node_id not in memo:
            memo[node_id] = 0
            successors = _successors(scenario, node_id)
            memo[node_id] = 1 + max((depth(n) for n in successors), default=-1)
        return memo[node_id]

    return depth(scenario.start) if scenario.start in scenario.nodes else 0


def check_scenario(scenario: Scenario) -> tuple[Problem, ...]:
    """Every soundness problem of a parsed scenario (empty when it is sound)."""
    problems = _structure(scenario)
    problems.extend(_shadowed(scenario))
    reachable = _reachable(scenario)
    for node_id in scenario.nodes:
        if reachable and node_id not in reachable:
            problems.append(Problem(f"node {node_id!r}", "is not reachable from the start"))
    cycle = _cycle(scenario)
    if cycle:
        problems.append(
            Problem(
                "graph",
                "has a cycle " + " -> ".join(cycle) + "; a path must always move towards an end",
            )
        )
    endings = [scenario.nodes[n] for n in reachable if scenario.nodes[n].is_end]
    if reachable and not endings:
        problems.append(Problem("graph", "no end node is reachable; add a node with an `end`"))
    if endings and not any(e.end is not None and e.end.outcome == "good" for e in endings):
        problems.append(Problem("graph", "no reachable ending has outcome 'good'"))
    return tuple(problems)


def check_file(path: Path) -> CheckResult:
    """Parse and check one scenario file; schema errors become the single problem."""
    try:
        scenario = load_scenario(path)
    except ScenarioError as error:
        return CheckResult(str(path), None, (Problem("", str(error)),))
    problems = tuple(Problem(f"{path}: {p.where}", p.message) for p in check_scenario(scenario))
    return CheckResult(str(path), scenario, problems)
