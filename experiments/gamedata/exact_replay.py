"""Replays one recorded episode inside Pyodide (the Node.js verifier ships this file next to the episode's bundle):
the seed and the recorded human actions in, the rows the browser's loop produced out, as `mug.loop.tick` makes them.
Plain Python over `mug`: no Django here, it runs in the participants' interpreter."""

from __future__ import annotations

import contextlib
import json
import traceback
from typing import Any

from mug.loop import GameLoop, LoopConfig
from mug.rollback import RollbackSession, shared_fields

_COMPACT = (",", ":")


def replay_json(job_json: str) -> str:
    """{"loop", "index", "seed", "actions": [per frame, as recorded]} in; {"reset", "rows", "over", "error"} out.

    As in the browser's worker: the env is built with the scene's render mode and drawn after every frame (an env's
    render() may touch its state), the human actions enter exactly as the page recorded them (keys map to the JSON
    values the scene configured) and the AI agents act from the episode seed."""
    job = json.loads(job_json)
    loop = GameLoop(LoopConfig.from_dict(job["loop"]))
    rows: list[dict[str, Any]] = []
    error = None
    reset: dict[str, Any] = {}
    try:
        started = loop.start_episode(int(job["index"]), int(job["seed"]))
        reset = started["reset"]
        if job.get("group"):
            rows = _group_rows(loop, job["group"])
        for recorded in [] if job.get("group") else job["actions"]:
            if loop.over:
                break
            live = loop.adapter.live_agents()
            humans = {agent: recorded[agent] for agent in live if agent in loop.humans and agent in recorded}
            rows.append(loop.step_frame({**humans, **loop.ai_actions({})}))
            loop.render()
            loop.hud()
    except Exception as exc:  # noqa: BLE001 (the env's own failure is part of the verdict, not the verifier's)
        error = f"{type(exc).__name__}: {exc}"[:1000]
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):  # a broken close() says nothing about the episode
            loop.adapter.close()
    out = {"reset": reset, "rows": rows, "over": loop.over, "error": error}
    return json.dumps(out, separators=_COMPACT)


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
