"""ONNX policies run on the server with onnxruntime: for the replay check (and scenes whose env runs here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

NUMPY_DTYPES = {"float32": "float32", "int64": "int64", "float64": "float64"}


def open_session(path: Path):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # tiny models: threads cost more than they give, and keep runs repeatable
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run_session(session, feeds: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Run a session on the loop's JSON feeds; outputs in the same JSON form the browser sends back."""
    import numpy as np

    arrays = {
        name: np.asarray(feed["data"], dtype=NUMPY_DTYPES[feed["dtype"]]).reshape(feed["shape"])
        for name, feed in feeds.items()
    }
    names = [node.name for node in session.get_outputs()]
    results = session.run(names, arrays)
    pairs = zip(names, results, strict=True)
    return {name: {"data": value.ravel().tolist(), "dims": list(value.shape)} for name, value in pairs}


class ServerModels:
    """The scene's models by sha256, opened once; answers the loop's queries like the browser's worker does."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.sessions = {sha256: open_session(path) for sha256, path in files.items()}

    def run(self, queries: dict[str, Any], agents: dict[str, Any]) -> dict[str, Any]:
        return {agent: run_session(self.sessions[agents[agent]["sha256"]], feeds) for agent, feeds in queries.items()}
