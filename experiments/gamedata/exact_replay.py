"""Replays one recorded episode inside Pyodide (the Node.js verifier ships this file next to the episode's bundle):
the seed and the recorded human actions in, the rows the browser's loop produced out, as `mug.loop.tick` makes them.
Plain Python over `mug`: no Django here, it runs in the participants' interpreter."""

from __future__ import annotations

import contextlib
import json
import traceback
from typing import Any

from mug.loop import GameLoop, LoopConfig

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
        for recorded in job["actions"]:
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
