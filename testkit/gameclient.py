"""A scripted browser stand-in: reads the gym page's runtime JSON, plays with mug.loop, uploads like game.js."""

from __future__ import annotations

import json
import re
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from experiments.definition.model_runtime import ServerModels
from experiments.gamedata.verification import verification_drain, verification_run_one
from mug.loop import GameLoop, LoopConfig

RUNTIME_RE = re.compile(r'<script id="mug-runtime" type="application/json">(.*?)</script>', re.S)
ROWS_PER_CHUNK = 60


def runtime_config(client, slug: str) -> dict:
    html = client.get(f"/x/{slug}/flow/").content.decode()
    match = RUNTIME_RE.search(html)
    assert match, "the page is not a gym scene"
    return json.loads(match.group(1))


def begin_episode(client, slug: str, scene_key: str) -> dict:
    response = client.post(
        f"/x/{slug}/episodes/", json.dumps({"scene_key": scene_key}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def download_models(client, config: dict, directory: Path) -> ServerModels:
    """Fetch the scene's ONNX models from the server by hash, as the browser's worker does."""
    files = {}
    for spec in config["loop"]["agents"].values():
        if isinstance(spec, dict) and spec["kind"] == "onnx":
            response = client.get(f"{config['model_url']}{spec['sha256']}.onnx")
            assert response.status_code == 200, response.status_code
            files[spec["sha256"]] = directory / f"{spec['sha256']}.onnx"
            files[spec["sha256"]].write_bytes(b"".join(response.streaming_content))
    return ServerModels(files)


def episode_chunks(
    config: dict, episode: int, seed: int, keys=lambda frame: ["ArrowLeft"], models: ServerModels | None = None
) -> list[dict]:
    """Play one episode and return its upload chunks, exactly as the browser would build them."""
    loop = GameLoop(LoopConfig.from_dict(config["loop"]))
    started = loop.start_episode(episode, seed)
    meta = {"runtime": {"python": "scripted"}, "reset": started["reset"]}
    rows = []
    while not loop.over:
        inference = models.run(loop.queries, loop.config.agents) if models else None
        row = loop.step_frame(loop.actions_for(keys(loop.frame), [], inference))
        rows.append({**row, "t": float(loop.frame) * 33.3, "late_ms": 0.0, "focused": True})
    loop.adapter.close()
    chunks = []
    for number, first in enumerate(range(0, len(rows), ROWS_PER_CHUNK)):
        part = rows[first : first + ROWS_PER_CHUNK]
        chunk = {"scene_key": config["scene_key"], "episode": episode, "number": number, "first_frame": first}
        chunks.append({**chunk, "final": False, "rows": part, **({"meta": meta} if number == 0 else {})})
    chunks[-1]["final"] = True
    return chunks


def post_chunk(client, slug: str, chunk: dict | bytes | str):
    body = chunk if isinstance(chunk, (bytes, str)) else json.dumps(chunk)
    return client.post(f"/x/{slug}/data/", body, content_type="application/json")


def play_scene(client, slug: str, keys=lambda frame: ["ArrowLeft"]) -> dict:
    """Begin and play every remaining episode of the current gym scene and upload it, then let the server verify
    each (in this process: the test client has no worker processes); returns the config."""
    config = runtime_config(client, slug)
    with tempfile.TemporaryDirectory(prefix="mug-models-") as directory:
        models = download_models(client, config, Path(directory))
        for _ in range(100):
            begun = begin_episode(client, slug, config["scene_key"])
            if begun["done"]:
                return config
            for chunk in episode_chunks(config, begun["episode"], begun["seed"], keys, models):
                response = post_chunk(client, slug, chunk)
                assert response.status_code == 200, response.content
            # The test client's server has no worker processes: do their work here (the same code they run).
            verification_drain(worker="gameclient")
    raise AssertionError("the server never said the scene was done")


@contextmanager
def verifier_thread():
    """For servers run inside the test process (pytest-django's live_server has no worker processes): a thread
    that works the verification queue as a worker process would."""
    stop = threading.Event()

    def work() -> None:
        try:
            while not stop.is_set():
                if not verification_run_one(worker="test-thread"):
                    stop.wait(0.1)
        finally:
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
