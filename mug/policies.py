"""AI agents: policy configuration (plain data, shared by server and browser) and the runtime that acts with it.

A policy's randomness comes from a generator seeded from the episode seed and the agent's position, so the
server's replay draws exactly what the browser drew. ONNX inference itself happens outside Python (in the
browser with onnxruntime-web, on the server with onnxruntime): the loop asks for it with `query` and
receives the outputs before the frame that needs them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from mug.adapters import load_callable

HUMAN = "human"
RANDOM = "random"


@dataclass
class PythonPolicy:
    """A callable "package.module:function" called as function(observation, rng, action_space) -> action.

    The path may name a class instead: it is built once per game as Class(action_space) (load weights
    there), `reset(seed)` is called at each episode start if it has one, then it is called like the function.
    In the browser it runs next to the env (its package is shipped with the env's); in server-side scenes it
    runs in the server's Python and may use anything installed there (e.g. PyTorch).
    """

    path: str
    frame_skip: int = 1
    kind: str = "python"


@dataclass
class OnnxPolicy:
    """An ONNX model: `input` gets the agent's observation; `output` gives logits (Discrete) or the action (Box).

    `state` maps recurrent state inputs to the outputs that feed them on the next query (zeros at reset);
    `fixed` gives constant extra inputs; `sample` draws from softmax(logits) instead of taking the argmax;
    the model is queried every `frame_skip` frames and its action held between. In a multi-human rollback game
    one seat's browser runs it and relays its moves as the agent's inputs (mug.relayed; Discrete actions only).
    """

    model: str
    input: str = "obs"
    output: str = "logits"
    state: dict[str, str] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    sample: bool = False
    frame_skip: int = 1
    kind: str = "onnx"
    sha256: str = ""  # filled in by the server's pre-flight check
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {"dtype", "shape"}, likewise


def policy_spec(policy: Any) -> dict[str, Any]:
    """A policy as JSON for the runtime: {"kind": "human"|"random"}, or the policy's fields."""
    if policy in (HUMAN, RANDOM):
        return {"kind": policy}
    return asdict(policy)


def describe(spec: dict[str, Any]) -> dict[str, Any]:
    """What the data records about who chose an agent's actions."""
    if spec["kind"] == "onnx":
        return {"kind": "onnx", "model": spec["model"], "sha256": spec["sha256"], "sample": spec["sample"]}
    if spec["kind"] == "python":
        return {"kind": "python", "path": spec["path"]}
    return {"kind": spec["kind"]}


class AgentPolicy:
    """One AI agent in one episode: holds its action between queries (frame skip)."""

    def __init__(self, spec: dict[str, Any], action_space) -> None:
        self.spec = spec
        self.action_space = action_space
        self.frame_skip = max(1, int(spec.get("frame_skip", 1)))
        self.action: Any = None
        self.rng = None

    def reset(self, seed: int, offset: int) -> None:
        import numpy as np

        self.action = None
        self.rng = np.random.default_rng([seed, 1 + offset])
        self.action_space.seed(seed + 1 + offset)

    def due(self, frame: int) -> bool:
        return frame % self.frame_skip == 0 or self.action is None

    def act(self, frame: int, observation: Any, outputs: dict[str, Any] | None) -> Any:
        if self.due(frame):
            self.action = self.choose(observation, outputs)
        return self.action

    def choose(self, observation: Any, outputs: dict[str, Any] | None) -> Any:
        return self.action_space.sample()

    def query(self, frame: int, observation: Any) -> dict[str, Any] | None:
        """The model inputs this agent needs before `frame`, or None."""
        return None


class CallablePolicy(AgentPolicy):
    def __init__(self, spec: dict[str, Any], action_space) -> None:
        super().__init__(spec, action_space)

        target = load_callable(spec["path"])
        self.function = target(action_space) if isinstance(target, type) else target

    def reset(self, seed: int, offset: int) -> None:
        super().reset(seed, offset)
        if hasattr(self.function, "reset"):
            self.function.reset(seed)

    def choose(self, observation: Any, outputs: dict[str, Any] | None) -> Any:
        return self.function(observation, self.rng, self.action_space)


class ModelPolicy(AgentPolicy):
    """Builds the model's feeds from the observation and its carried state; turns outputs into actions."""

    def reset(self, seed: int, offset: int) -> None:
        super().reset(seed, offset)
        self.carried = {name: _zeros(self.spec["inputs"][name]) for name in self.spec["state"]}

    def query(self, frame: int, observation: Any) -> dict[str, Any] | None:
        if not self.due(frame):
            return None
        feeds = {self.spec["input"]: _tensor(self.spec["inputs"][self.spec["input"]], observation)}
        for name, value in self.spec["fixed"].items():
            feeds[name] = _tensor(self.spec["inputs"][name], value)
        for name, value in self.carried.items():
            feeds[name] = {**value}
        return feeds

    def choose(self, observation: Any, outputs: dict[str, Any] | None) -> Any:
        if not outputs or self.spec["output"] not in outputs:
            raise RuntimeError(f"model {self.spec['model']!r} was not run before this frame")
        for state_input, state_output in self.spec["state"].items():
            self.carried[state_input] = {**self.carried[state_input], "data": list(outputs[state_output]["data"])}
        logits = outputs[self.spec["output"]]["data"]
        return action_from_output(self.action_space, logits, self.spec["sample"], self.rng)


def make_policy(spec: dict[str, Any], action_space) -> AgentPolicy:
    kinds = {RANDOM: AgentPolicy, "python": CallablePolicy, "onnx": ModelPolicy}
    if spec["kind"] not in kinds:
        raise ValueError(f"unknown policy kind {spec['kind']!r}")
    return kinds[spec["kind"]](spec, action_space)


def action_from_output(space, values: list[float], sample: bool, rng) -> Any:
    """Logits to a Discrete action (argmax, or a draw from their softmax); values to a Box action (clipped)."""
    import numpy as np

    if not all(math.isfinite(value) for value in values):
        raise ValueError(f"the model output {values!r} is not finite")
    if hasattr(space, "n"):
        logits = np.asarray(values, dtype=np.float64)
        if not sample:
            return int(np.argmax(logits))
        weights = np.exp(logits - logits.max())
        cumulative = np.cumsum(weights / weights.sum())
        return int(min(np.searchsorted(cumulative, rng.random(), side="right"), len(values) - 1))
    action = np.asarray(values, dtype=space.dtype).reshape(space.shape)
    return np.clip(action, space.low, space.high)


def _tensor(meta: dict[str, Any], value: Any) -> dict[str, Any]:
    """A feed as {"dtype", "shape", "data"} with the value flattened (the model's shape is checked up front)."""
    import numpy as np

    return {"dtype": meta["dtype"], "shape": meta["shape"], "data": np.asarray(value).ravel().tolist()}


def _zeros(meta: dict[str, Any]) -> dict[str, Any]:
    return {"dtype": meta["dtype"], "shape": meta["shape"], "data": [0] * math.prod(meta["shape"])}
