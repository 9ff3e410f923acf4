"""A scripted browser stand-in: reads the gym page's runtime JSON, plays with mug.loop, uploads like game.js."""

from __future__ import annotations

import json
import re

from mug.loop import GameLoop, LoopConfig

RUNTIME_RE = re.compile(r'<script id="mug-runtime" type="application/json">(.*?)</script>', re.S)
ROWS_PER_CHUNK = 60


def runtime_config(client, slug: str) -> dict:
    html = client.get(f"/x/{slug}/flow/").content.decode()
    match = RUNTIME_RE.search(html)
    assert match, "the page is not a gym scene"
    return json.loads(match.group(1))


def episode_chunks(config: dict, episode: int, seed: int, keys=lambda frame: ["ArrowLeft"]) -> list[dict]:
    """Play one episode and return its upload chunks, exactly as the browser would build them."""
    loop = GameLoop(LoopConfig.from_dict(config["loop"]))
    started = loop.start_episode(episode, seed)
    meta = {"seed": seed, "runtime": {"python": "scripted"}, "reset": started["reset"]}
    rows = []
    while not loop.over:
        row = loop.step_frame(loop.actions_for(keys(loop.frame), []))
        rows.append({**row, "t": float(loop.frame) * 33.3, "late_ms": 0.0, "focused": True})
    loop.adapter.close()
    chunks = []
    for first in range(0, len(rows), ROWS_PER_CHUNK):
        part = rows[first : first + ROWS_PER_CHUNK]
        chunks.append({"episode": episode, "first_frame": first, "final": False, "rows": part, "meta": meta})
    chunks[-1]["final"] = True
    return chunks


def number(chunks: list[dict], scene_key: str, first_seq: int) -> list[dict]:
    return [{**chunk, "scene_key": scene_key, "seq": first_seq + i} for i, chunk in enumerate(chunks)]


def post_chunk(client, slug: str, chunk: dict | bytes | str):
    body = chunk if isinstance(chunk, (bytes, str)) else json.dumps(chunk)
    return client.post(f"/x/{slug}/data/", body, content_type="application/json")


def play_scene(client, slug: str, keys=lambda frame: ["ArrowLeft"]) -> dict:
    """Play every remaining episode of the current gym scene and upload it; returns the runtime config."""
    config = runtime_config(client, slug)
    state = config["state"]
    seq, attempt = state["next_seq"], state["next_episode"]
    for done in range(state["episodes_done"], config["loop"]["num_episodes"]):
        chunks = number(episode_chunks(config, attempt, state["seeds"][done], keys), config["scene_key"], seq)
        for chunk in chunks:
            response = post_chunk(client, slug, chunk)
            assert response.status_code == 200, response.content
        seq += len(chunks)
        attempt += 1
    return config
