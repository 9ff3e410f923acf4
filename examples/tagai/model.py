"""Builds the demo's ONNX chaser: a tiny recurrent network trained with numpy to chase, exported with `onnx`.

python -m examples.tagai.model [path] writes it (bin/setup and the test suite do). Options make broken
variants for the pre-flight tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SIZE = 7
STATE = 8
HIDDEN = 16
MOVES = [(0, 0), (0, -1), (0, 1), (-1, 0), (1, 0)]  # the Tag env's stay, up, down, left, right
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "var" / "models" / "tag_chaser.onnx"


def chase_targets() -> tuple[np.ndarray, np.ndarray]:
    """Every (chaser, runner) position with the move that closes the larger gap first."""
    grid = np.stack(np.meshgrid(*[np.arange(SIZE)] * 4, indexing="ij"), axis=-1).reshape(-1, 4)
    dx, dy = grid[:, 2] - grid[:, 0], grid[:, 3] - grid[:, 1]
    horizontal = np.abs(dx) >= np.abs(dy)
    labels = np.where(horizontal, np.where(dx > 0, 4, 3), np.where(dy > 0, 2, 1))
    labels[(dx == 0) & (dy == 0)] = 0
    return grid.astype(np.float32), labels


def train(steps: int = 1500, seed: int = 0) -> dict[str, np.ndarray]:
    """Softmax regression through one tanh layer, full batch with Adam; the state input is noise it learns to bear."""
    rng = np.random.default_rng(seed)
    observations, labels = chase_targets()
    targets = np.eye(len(MOVES), dtype=np.float32)[labels]
    weights = {
        "W1": rng.normal(0, 0.5, (4 + STATE, HIDDEN)).astype(np.float32),
        "b1": np.zeros(HIDDEN, np.float32),
        "W2": rng.normal(0, 0.5, (HIDDEN, len(MOVES))).astype(np.float32),
        "b2": np.zeros(len(MOVES), np.float32),
    }
    moments = {name: (np.zeros_like(w), np.zeros_like(w)) for name, w in weights.items()}
    for step in range(1, steps + 1):
        state = rng.uniform(-0.3, 0.3, (len(labels), STATE)).astype(np.float32)
        inputs = np.concatenate([observations / (SIZE - 1), state], axis=1)
        hidden = np.tanh(inputs @ weights["W1"] + weights["b1"])
        logits = hidden @ weights["W2"] + weights["b2"]
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        grad_logits = (probabilities - targets) / len(labels)
        grad_hidden = grad_logits @ weights["W2"].T * (1 - hidden**2)
        grads = {
            "W2": hidden.T @ grad_logits,
            "b2": grad_logits.sum(0),
            "W1": inputs.T @ grad_hidden,
            "b1": grad_hidden.sum(0),
        }
        for name, grad in grads.items():
            first, second = moments[name]
            first[:] = 0.9 * first + 0.1 * grad
            second[:] = 0.999 * second + 0.001 * grad**2
            corrected = first / (1 - 0.9**step), second / (1 - 0.999**step)
            weights[name] -= 0.05 * corrected[0] / (np.sqrt(corrected[1]) + 1e-8)
    weights["W3"] = rng.normal(0, 0.3, (HIDDEN, STATE)).astype(np.float32)
    return weights


def accuracy(weights: dict[str, np.ndarray]) -> float:
    observations, labels = chase_targets()
    inputs = np.concatenate([observations / (SIZE - 1), np.zeros((len(labels), STATE), np.float32)], axis=1)
    logits = np.tanh(inputs @ weights["W1"] + weights["b1"]) @ weights["W2"] + weights["b2"]
    return float((logits.argmax(1) == labels).mean())


def export(
    weights: dict[str, np.ndarray], path: Path, *, nan: bool = False, obs_name: str = "obs", obs_size: int = 4
) -> Path:
    """Write the network as ONNX: inputs obs [1,4], h_in [1,8], skill [1,1]; outputs logits [1,5], h_out [1,8].

    The options make broken variants for the pre-flight tests: NaN logits, another input name or size.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    constants = {name: weights[name] for name in ("W1", "b1", "W2", "b2", "W3")}
    if obs_size != 4:  # extra observation values get zero weights
        extra = np.zeros((obs_size - 4, HIDDEN), np.float32)
        constants["W1"] = np.concatenate([weights["W1"][:4], extra, weights["W1"][4:]])
    constants["scale"] = np.array([1 / (SIZE - 1)], np.float32)
    if nan:
        constants["b2"] = np.full(len(MOVES), np.nan, np.float32)
    nodes = [
        helper.make_node("Mul", [obs_name, "scale"], ["obs_scaled"]),
        helper.make_node("Concat", ["obs_scaled", "h_in"], ["features"], axis=1),
        helper.make_node("MatMul", ["features", "W1"], ["pre"]),
        helper.make_node("Add", ["pre", "b1"], ["pre_bias"]),
        helper.make_node("Tanh", ["pre_bias"], ["hidden"]),
        helper.make_node("MatMul", ["hidden", "W2"], ["raw"]),
        helper.make_node("Add", ["raw", "b2"], ["raw_bias"]),
        helper.make_node("Mul", ["raw_bias", "skill"], ["logits"]),
        helper.make_node("MatMul", ["hidden", "W3"], ["state_pre"]),
        helper.make_node("Tanh", ["state_pre"], ["h_out"]),
    ]
    float_info = lambda name, shape: helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)  # noqa: E731
    graph = helper.make_graph(
        nodes,
        "tag_chaser",
        [float_info(obs_name, [1, obs_size]), float_info("h_in", [1, STATE]), float_info("skill", [1, 1])],
        [float_info("logits", [1, len(MOVES)]), float_info("h_out", [1, STATE])],
        [numpy_helper.from_array(value, name) for name, value in constants.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="mug-demo")
    model.ir_version = 8  # read by onnxruntime and onnxruntime-web alike
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())
    return path


def build(path: Path = DEFAULT_PATH, **options) -> Path:
    return export(train(), path, **options)


if __name__ == "__main__":
    trained = train()
    target = export(trained, Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH)
    print(f"wrote {target} (chases correctly in {accuracy(trained):.0%} of positions)")
