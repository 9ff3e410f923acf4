"""Replays one recorded episode inside Pyodide (the Node.js verifier ships this file next to the episode's bundle):
the seed and the recorded human actions in, the rows the browser's loop produced out, as `mug.loop.tick` makes them.
Plain Python over `mug`: no Django here, it runs in the participants' interpreter.

An episode with ONNX agents is driven frame by frame from JavaScript, as the browser's worker drives `mug.loop`:
`begin` gives the first frame's model queries, each `step` takes their outputs and gives the next frame's, `finish`
gives the rows. `replay_json` runs the same steps without models."""

from __future__ import annotations

import contextlib
import json
import traceback
from typing import Any

from mug.loop import GameLoop, LoopConfig
from mug.rollback import RollbackSession, shared_fields

_COMPACT = (",", ":")


class _Replay:
    """One single-player episode being replayed: the recorded human actions, frame by frame."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.loop = GameLoop(LoopConfig.from_dict(job["loop"]))
        self.actions = [] if job.get("group") else job["actions"]
        self.rows: list[dict[str, Any]] = []
        self.reset: dict[str, Any] = {}
        self.error: str | None = None
        self.done = False
        self._guard(self._start, job)

    def _start(self, job: dict[str, Any]) -> None:
        started = self.loop.start_episode(int(job["index"]), int(job["seed"]))
        self.reset = started["reset"]
        if job.get("group"):
            self.rows = _group_rows(self.loop, job["group"])

    def step(self, inference: dict[str, Any]) -> None:
        """One frame with the recorded human actions and these model outputs; then drawn, as the browser draws it."""
        self._guard(self._step, inference)

    def _step(self, inference: dict[str, Any]) -> None:
        loop = self.loop
        recorded = self.actions[len(self.rows)]
        live = loop.adapter.live_agents()
        humans = {agent: recorded[agent] for agent in live if agent in loop.humans and agent in recorded}
        self.rows.append(loop.step_frame({**humans, **loop.ai_actions(inference)}))
        loop.render()
        loop.hud()

    def _guard(self, action, argument) -> None:
        try:
            action(argument)
        except Exception as exc:  # noqa: BLE001 (the env's own failure is part of the verdict, not the verifier's)
            self.error = f"{type(exc).__name__}: {exc}"[:1000]
            self.done = True
            traceback.print_exc()
            return
        self.done = self.loop.over or len(self.rows) >= len(self.actions)

    def progress(self) -> str:
        """What JavaScript needs before the next step: whether the replay is done and the models to run."""
        queries = {} if self.done else self.loop.queries
        return json.dumps({"done": self.done, "queries": queries}, separators=_COMPACT)

    def finish(self) -> str:
        with contextlib.suppress(Exception):  # a broken close() says nothing about the episode
            self.loop.adapter.close()
        out = {"reset": self.reset, "rows": self.rows, "over": self.loop.over, "error": self.error}
        return json.dumps(out, separators=_COMPACT)


_replay: _Replay | None = None


def replay_json(job_json: str) -> str:
    """{"loop", "index", "seed", "actions": [per frame, as recorded]} in; {"reset", "rows", "over", "error"} out.

    As in the browser's worker: the env is built with the scene's render mode and drawn after every frame (an env's
    render() may touch its state), the human actions enter exactly as the page recorded them (keys map to the JSON
    values the scene configured) and the AI agents act from the episode seed."""
    replay = _Replay(json.loads(job_json))
    while not replay.done:
        replay.step({})
    return replay.finish()


def begin(job_json: str) -> str:
    """Start replaying an episode whose agents need models: {"done", "queries"} for the first frame."""
    global _replay
    _replay = _Replay(json.loads(job_json))
    return _replay.progress()


def step(inference_json: str) -> str:
    """One frame with the outputs of the queries `begin` or the last `step` gave; {"done", "queries"} for the next."""
    _replay.step(json.loads(inference_json))
    return _replay.progress()


def finish() -> str:
    """The replayed episode, as `replay_json` gives it."""
    global _replay
    replay, _replay = _replay, None
    return replay.finish()


def _group_rows(loop: GameLoop, log: dict[str, Any]) -> list[dict[str, Any]]:
    """A group episode's confirmed rows from the relay's input log, as the server's referee re-simulates it
    (netcode/replay.py): a rollback session that knows every input, so it never predicts."""
    inputs = {
        player: {int(frame): action for frame, action in known.items()} for player, known in log["inputs"].items()
    }
    players = list(inputs)
    session = RollbackSession(loop, players, players[0], input_delay=int(log["delay"]), window=10**9)
    for player, known in inputs.items():
        session.inputs[player].update(known)
    for player, first, policy in log["replaced"]:
        session.replace(player, first, policy)
    while not loop.over and all(
        session.frame in session.inputs[p] or session._is_replaced(p, session.frame) for p in players
    ):
        session.advance()
    session.advance()  # confirm the last frame
    return [shared_fields(row) for row in session.confirmed_rows]
