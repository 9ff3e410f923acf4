"""ONNX models run natively with onnxruntime, answering mug's model queries as the browser's worker does (for
headless players that drive relayed AI agents: netcode/simulator.py, testkit/wsgame.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from experiments.definition.model_runtime import open_session, run_session


def native_inference(agents: dict[str, Any], files: dict[str, Path]):
    """A function from queries ({agent: feeds}) to outputs ({agent: {output: {data, dims}}}); `files` maps each
    model's sha256 to its file."""
    sessions = {}

    def infer(queries: dict[str, Any]) -> dict[str, Any]:
        outputs = {}
        for agent, feeds in queries.items():
            sha = agents[agent]["sha256"]
            if sha not in sessions:
                sessions[sha] = open_session(Path(files[sha]))
            outputs[agent] = run_session(sessions[sha], feeds)
        return outputs

    return infer
