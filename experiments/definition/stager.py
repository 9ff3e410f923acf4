"""Scene wrappers and the per-participant plan: randomized order, repeats and branches, drawn once and stored.

A plan is a list of keys. A scene key is the scene id plus one `@i` per enclosing repeat (so repeated
scenes keep distinct data). A branch not yet reached is a placeholder `?branch_id...`, resolved from the
participant's answers when they get to it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Union

from experiments.definition.errors import DefinitionError
from experiments.definition.scenes import SCENE_ID_RE, Scene

logger = logging.getLogger(__name__)

BRANCH_PREFIX = "?"
REPEAT_SEPARATOR = "@"

Answers = Mapping[str, Mapping[str, Any]]


@dataclass
class RandomizeOrder:
    """Shuffle the children per participant and keep the first `keep_n` (between-subjects assignment)."""

    children: list[Node]
    keep_n: int | None = None


@dataclass
class Repeat:
    """Run the children `times` times; each pass gets its own scene keys and data."""

    children: list[Node]
    times: int


@dataclass
class Branch:
    """Pick the next scenes from earlier answers: `select(answers)` returns a key of `branches`.

    `answers` maps a scene key to that scene's {question id: value}. If `select` fails or returns an
    unknown key, the participant goes down `default`, so nobody is ever stuck.
    """

    branch_id: str
    select: Callable[[Answers], str]
    branches: dict[str, list[Node]]
    default: str


@dataclass
class Conditions:
    """Between-subjects conditions: each participant is assigned one arm, balanced across arms (the arm with the
    fewest completed and in-progress participants; ties drawn at random), within the experiment's Quota. The
    assignment is stored on the participant (`conditions[condition_id]`) and exported with their data."""

    condition_id: str
    arms: dict[str, list[Node]]


Node = Union[Scene, RandomizeOrder, Repeat, Branch, Conditions]


def iter_nodes(nodes: list[Node]) -> Iterator[Node]:
    """Every node in the tree, depth first, branches included."""
    for node in nodes:
        yield node
        if isinstance(node, (RandomizeOrder, Repeat)):
            yield from iter_nodes(node.children)
        elif isinstance(node, Branch):
            for children in node.branches.values():
                yield from iter_nodes(children)
        elif isinstance(node, Conditions):
            for children in node.arms.values():
                yield from iter_nodes(children)


def conditions_of(nodes: list[Node]) -> list[Conditions]:
    return [node for node in iter_nodes(nodes) if isinstance(node, Conditions)]


def validate_tree(nodes: list[Node]) -> None:
    """Raise DefinitionError for malformed wrappers or duplicate ids."""
    seen: set[str] = set()
    for node in iter_nodes(nodes):
        if isinstance(node, Scene):
            _claim(seen, node.scene_id, "scene")
        elif isinstance(node, Branch):
            _claim(seen, node.branch_id, "branch")
            _validate_branch(node)
        elif isinstance(node, RandomizeOrder):
            if not node.children or (node.keep_n is not None and not 1 <= node.keep_n <= len(node.children)):
                raise DefinitionError("RandomizeOrder needs children and 1 <= keep_n <= number of children")
        elif isinstance(node, Repeat):
            if not node.children or node.times < 1:
                raise DefinitionError("Repeat needs children and times >= 1")
        elif isinstance(node, Conditions):
            _claim(seen, node.condition_id, "condition")
            if not node.arms or not all(isinstance(arm, str) and arm for arm in node.arms):
                raise DefinitionError(f"conditions {node.condition_id!r} need at least one named arm")
        else:
            raise DefinitionError(f"{node!r} is not a scene, RandomizeOrder, Repeat, Branch or Conditions")
    for node in iter_nodes(nodes):
        if isinstance(node, (RandomizeOrder, Repeat, Branch)) and any(
            isinstance(inner, Conditions) for inner in iter_nodes(_children(node))
        ):
            raise DefinitionError("Conditions must not be inside RandomizeOrder, Repeat or Branch (assign them once)")


def _children(node: Node) -> list[Node]:
    if isinstance(node, Branch):
        return [child for children in node.branches.values() for child in children]
    return list(getattr(node, "children", []))


def _claim(seen: set[str], node_id: str, what: str) -> None:
    if not SCENE_ID_RE.match(node_id):
        raise DefinitionError(f"{what} id {node_id!r} must be a letter followed by letters, digits, _ or -")
    if node_id in seen:
        raise DefinitionError(f"id {node_id!r} is used twice; scene and branch ids must be unique")
    seen.add(node_id)


def _validate_branch(node: Branch) -> None:
    if not node.branches or node.default not in node.branches or not callable(node.select):
        raise DefinitionError(f"branch {node.branch_id!r} needs branches, a callable select and a default among them")


def expand(nodes: list[Node], rng: random.Random, suffix: str = "", arms: Mapping[str, str] | None = None) -> list[str]:
    """Flatten nodes into plan keys, drawing every random order now; `arms` is the participant's assigned arm of
    each Conditions node."""
    keys: list[str] = []
    for node in nodes:
        if isinstance(node, Scene):
            keys.append(node.scene_id + suffix)
        elif isinstance(node, RandomizeOrder):
            children = list(node.children)
            rng.shuffle(children)
            keys += expand(children[: node.keep_n], rng, suffix, arms)
        elif isinstance(node, Repeat):
            for index in range(1, node.times + 1):
                keys += expand(node.children, rng, f"{suffix}{REPEAT_SEPARATOR}{index}", arms)
        elif isinstance(node, Conditions):
            keys += expand(node.arms[(arms or {})[node.condition_id]], rng, suffix, arms)
        elif isinstance(node, Branch):
            keys.append(BRANCH_PREFIX + node.branch_id + suffix)
    return keys


def is_branch_key(key: str) -> bool:
    return key.startswith(BRANCH_PREFIX)


def base_id(key: str) -> str:
    """The scene or branch id inside a plan key."""
    return key.removeprefix(BRANCH_PREFIX).split(REPEAT_SEPARATOR, 1)[0]


def resolve_branch(branch: Branch, key: str, answers: Answers, rng: random.Random) -> list[str]:
    """Expand the branch chosen by the participant's answers, keeping the placeholder's repeat suffix."""
    suffix = key.removeprefix(BRANCH_PREFIX)[len(branch.branch_id) :]
    try:
        choice = branch.select(answers)
    except Exception:
        logger.exception("branch %s: select() failed; using default %r", branch.branch_id, branch.default)
        choice = branch.default
    if choice not in branch.branches:
        logger.warning("branch %s: select() returned %r; using default %r", branch.branch_id, choice, branch.default)
        choice = branch.default
    return expand(branch.branches[choice], rng, suffix)
