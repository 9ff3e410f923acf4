"""Pre-flight checks of a gym scene's AI policies, run when the experiment loads: a bad model fails here, not mid-study.

ONNX models are opened with onnxruntime, their tensor names and shapes compared with the configuration and
the env's spaces, and run once on a real observation; Python policies are imported and called once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from pathlib import Path
from typing import Any

from experiments.definition.model_runtime import open_session, run_session
from mug.adapters import EnvConfigError
from mug.policies import HUMAN, RANDOM, CallablePolicy, ModelPolicy, OnnxPolicy, PythonPolicy

DTYPES = {"tensor(float)": "float32", "tensor(int64)": "int64", "tensor(double)": "float64"}


class PolicyError(ValueError):
    """A policy that cannot work with this env; the message says what to fix."""


def check_policy(policy: Any, agent: str, adapter, observation: Any, base_dir: Path):
    """The policy, validated against the env; ONNX policies come back with their hash and tensor metadata."""
    if policy in (HUMAN, RANDOM):
        return policy
    if isinstance(policy, PythonPolicy):
        _check_frame_skip(policy, agent)
        _check_python(policy, agent, adapter.action_space(agent), observation)
        return policy
    if isinstance(policy, OnnxPolicy):
        _check_frame_skip(policy, agent)
        return _check_onnx(policy, agent, adapter.action_space(agent), observation, base_dir)
    raise PolicyError(f"agent {agent!r}: use 'human', 'random', a PythonPolicy or an OnnxPolicy, not {policy!r}")


def model_path(policy: OnnxPolicy, base_dir: Path) -> Path:
    """Model paths are relative to the experiment's module unless absolute."""
    path = Path(policy.model)
    return path if path.is_absolute() else base_dir / path


def _check_frame_skip(policy, agent: str) -> None:
    if not isinstance(policy.frame_skip, int) or policy.frame_skip < 1:
        raise PolicyError(f"agent {agent!r}: frame_skip must be an integer >= 1")


def _check_python(policy: PythonPolicy, agent: str, space, observation: Any) -> None:
    try:
        runner = CallablePolicy(dataclasses.asdict(policy), space)
    except EnvConfigError as error:
        raise PolicyError(f"agent {agent!r}: {error}") from error
    try:
        runner.reset(0, 0)
        action = runner.choose(observation, None)
    except Exception as error:  # noqa: BLE001 (any failure of the researcher's code is reported as such)
        message = f"agent {agent!r}: policy {policy.path!r} failed on a reset observation: {error!r}"
        raise PolicyError(message) from error
    if not space.contains(as_space_type(space, action)):
        raise PolicyError(f"agent {agent!r}: policy {policy.path!r} returned {action!r}, not in {space}")


def _check_onnx(policy: OnnxPolicy, agent: str, space, observation: Any, base_dir: Path) -> OnnxPolicy:
    import numpy as np

    label = f"agent {agent!r}: model {policy.model!r}"
    path = model_path(policy, base_dir)
    if not path.is_file():
        raise PolicyError(f"{label}: file {path} not found")
    if policy.sample and not hasattr(space, "n"):
        raise PolicyError(f"{label}: sample=True needs a Discrete action space (got {space})")
    session = _session(path, label)
    inputs = {node.name: node for node in session.get_inputs()}
    outputs = {node.name for node in session.get_outputs()}
    _check_names(label, policy, inputs, outputs)
    meta = {name: _meta(label, node) for name, node in inputs.items()}
    observation_size = int(np.asarray(observation).size)
    if math.prod(meta[policy.input]["shape"]) != observation_size:
        raise PolicyError(
            f"{label}: input {policy.input!r} has shape {meta[policy.input]['shape']} but {agent!r}'s "
            f"observation has {observation_size} values"
        )
    for name, value in policy.fixed.items():
        if math.prod(meta[name]["shape"]) != np.asarray(value).size:
            raise PolicyError(f"{label}: fixed input {name!r} needs shape {meta[name]['shape']}")
    checked = dataclasses.replace(policy, sha256=_sha256(path), inputs=meta)
    _check_first_run(label, checked, session, space, observation)
    return checked


def _session(path: Path, label: str):
    try:
        return open_session(path)
    except Exception as error:  # noqa: BLE001 (onnxruntime raises several unrelated types for bad files)
        raise PolicyError(f"{label}: onnxruntime cannot load it: {error}") from error


def _check_names(label: str, policy: OnnxPolicy, inputs: dict, outputs: set[str]) -> None:
    wanted_inputs = {policy.input, *policy.state, *policy.fixed}
    wanted_outputs = {policy.output, *policy.state.values()}
    if wanted_inputs - inputs.keys():
        raise PolicyError(f"{label}: no input named {sorted(wanted_inputs - inputs.keys())}; it has {sorted(inputs)}")
    if wanted_outputs - outputs:
        raise PolicyError(f"{label}: no output named {sorted(wanted_outputs - outputs)}; it has {sorted(outputs)}")
    if inputs.keys() - wanted_inputs:
        unfed = sorted(inputs.keys() - wanted_inputs)
        raise PolicyError(f"{label}: inputs {unfed} are not fed; name them in state= or fixed=")


def _meta(label: str, node) -> dict[str, Any]:
    if node.type not in DTYPES:
        raise PolicyError(f"{label}: input {node.name!r} has type {node.type}; MUG feeds float, double or int64")
    # A symbolic (batch) dimension is fed one row.
    shape = [dim if isinstance(dim, int) and dim > 0 else 1 for dim in node.shape]
    return {"dtype": DTYPES[node.type], "shape": shape}


def _check_first_run(label: str, policy: OnnxPolicy, session, space, observation: Any) -> None:
    """Run the model on a reset observation with zero state: its outputs must be finite and fit the action space."""
    import numpy as np

    agent_policy = ModelPolicy(dataclasses.asdict(policy), space)
    agent_policy.reset(0, 0)
    feeds = agent_policy.query(0, observation)
    outputs = run_session(session, feeds)
    logits = outputs[policy.output]["data"]
    if not all(math.isfinite(value) for value in logits):
        raise PolicyError(f"{label}: output {policy.output!r} is not finite (NaN or infinity) on a reset observation")
    expected = space.n if hasattr(space, "n") else int(np.prod(space.shape))
    if len(logits) != expected:
        raise PolicyError(
            f"{label}: output {policy.output!r} has {len(logits)} values; the action space needs {expected}"
        )


def as_space_type(space, action: Any) -> Any:
    """JSON-ish actions (from a definition or a policy) in the space's dtype, for `space.contains`."""
    import numpy as np

    if getattr(space, "dtype", None) is None:
        return action
    try:
        return np.asarray(action, dtype=space.dtype)
    except (TypeError, ValueError):
        return action


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
