"""An ONNX agent in a server-side game, from outside: a participant's plain WebSocket plays the runner against the
demo's recurrent ONNX chaser on a production-like Daphne; every frame is stored, the chaser's actions are what
onnxruntime gives on the stored observations, and the server's replay (what staff run) reproduces the episodes."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import onnxruntime
import pytest
import websockets
from asgiref.sync import async_to_sync
from django.core.management import call_command

from examples.tagai.model import DEFAULT_PATH
from experiments.definition.registry import get_experiment
from experiments.gamedata.models import COMPLETE, Episode
from netcode.models import FINISHED, Game
from testkit.fixture_experiments import PATHS
from testkit.servers import production_daphne
from testkit.socketabuse import WAIT_S, cookie_for

SLUG = "onnx-server"
pytestmark = pytest.mark.system


@pytest.fixture
def server(tmp_path, transactional_db):
    with production_daphne(tmp_path, PATHS, MUG_VERIFY_WORKERS="0") as daphne:
        yield daphne


MOVES = {"ArrowUp": (0, -50), "ArrowDown": (0, 50), "ArrowLeft": (-50, 0), "ArrowRight": (50, 0)}  # a 50 px cell


def flee(positions: dict[str, tuple[float, float]]) -> str:
    """The arrow that takes the runner farthest from the chaser (by the positions the frames draw)."""
    (cx, cy), (rx, ry) = positions["chaser"], positions["runner"]

    def distance(move: tuple[int, int]) -> float:
        x, y = min(max(rx + move[0], 25), 325), min(max(ry + move[1], 25), 325)
        return abs(x - cx) + abs(y - cy) + min(x, 350 - x, y, 350 - y) / 1000  # away from the walls on a tie

    return max(MOVES, key=lambda key: distance(MOVES[key]))


async def play(server, cookie: str) -> list[dict]:
    """The runner's seat: hello, then flee the chaser it sees drawn, until the scene's games are finished."""
    url = server.url.replace("http://", "ws://") + f"/x/{SLUG}/ws/play/"
    headers = {"Origin": server.url, "Cookie": f"mug_{SLUG}={cookie}"}
    received, positions = [], {}
    async with websockets.connect(url, additional_headers=headers, open_timeout=10) as socket:
        await socket.send(json.dumps({"type": "hello", "scene_key": "play"}))
        async with asyncio.timeout(WAIT_S * 2):
            while True:
                message = json.loads(await socket.recv())
                received.append(message)
                kind = message["type"]
                if kind == "ping":
                    await socket.send(json.dumps({"type": "pong", "id": message["id"]}))
                elif kind == "probe":
                    await socket.send(json.dumps({"type": "probe", "id": message["id"], "stats": {}}))
                elif kind in ("frame", "started") and message.get("render"):
                    for obj in message["render"].get("objects", []):
                        if obj.get("id") in ("chaser", "runner"):
                            positions[obj["id"]] = (obj["x"], obj["y"])
                    if len(positions) == 2:
                        frame = message.get("frame", 0)
                        await socket.send(json.dumps({"type": "input", "frame": frame, "held": [flee(positions)]}))
                elif kind in ("finished", "end", "error"):
                    return received


def chaser_actions(episode: Episode, steps: list) -> list[int]:
    """The chaser's actions recomputed here, independently of the runtime: onnxruntime on the stored observations
    (the reset's, then each row's), the recurrent state carried, "skill" fixed at 2, a move sampled from the
    softmax of the logits with the generator seeded from (episode seed, 1 + the chaser's position 0), queried
    every second frame and held between."""
    session = onnxruntime.InferenceSession(str(DEFAULT_PATH), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng([episode.seed, 1])
    hidden = np.zeros((1, 8), np.float32)
    observation = episode.reset_data["obs"]["chaser"]
    actions, action = [], None
    for step in steps:
        if step.frame % 2 == 0:
            feeds = {
                "obs": np.asarray([observation], np.float32),
                "h_in": hidden,
                "skill": np.array([[2.0]], np.float32),
            }
            logits, hidden = session.run(["logits", "h_out"], feeds)
            weights = np.exp(logits[0].astype(np.float64) - logits[0].max())
            cumulative = np.cumsum(weights / weights.sum())
            action = int(min(np.searchsorted(cumulative, rng.random(), side="right"), 4))
        actions.append(action)
        observation = step.observations["chaser"]
    return actions


def test_an_onnx_chaser_plays_a_server_game_its_actions_are_onnxruntimes_and_the_replay_matches(server, capsys):
    cookie = cookie_for(server, "runner-1", slug=SLUG)
    received = async_to_sync(play)(server, cookie)

    # What the participant sees: the game's frames, then the scene's end (the page moves on to the flow).
    assert received[-1]["type"] == "finished", received[-3:]
    assert [m["episode"] for m in received if m["type"] == "started"] == [0, 1, 2]
    frames = [m for m in received if m["type"] == "frame"]
    assert frames and all(m["render"] is not None for m in frames)
    # What is stored: both episodes complete, every frame, the chaser's model named by its hash.
    game = Game.objects.get(scene_key="play", experiment__slug=SLUG)
    assert game.status == FINISHED
    episodes = list(Episode.objects.filter(participant__experiment__slug=SLUG).order_by("index"))
    assert [e.status for e in episodes] == [COMPLETE] * 3, [(e.status, e.n_steps) for e in episodes]
    scene = get_experiment(SLUG).scene("play")
    sha256 = next(iter(scene.model_files()))
    chaser, runner = set(), set()
    for episode in episodes:
        assert episode.policies["chaser"] == {
            "kind": "onnx",
            "model": "tag_chaser.onnx",
            "sha256": sha256,
            "sample": True,
        }
        steps = list(episode.steps.order_by("frame"))
        assert [s.frame for s in steps] == list(range(episode.n_steps)) and steps
        stored = [s.actions["chaser"] for s in steps]
        assert stored == chaser_actions(episode, steps)  # onnxruntime's choices on the stored observations
        chaser |= set(stored)
        runner |= {s.actions["runner"] for s in steps}
    assert len(chaser) > 1  # the chaser moved several ways (not a constant action that any policy would match)
    assert len(runner) > 1  # the participant's keys reached the game
    # What staff run: the server's replay reproduces both episodes (the AI's actions recomputed from seed and model).
    call_command("replay_episodes", SLUG)
    out = capsys.readouterr().out
    assert out.count(": match, ") == 3 and "mismatch" not in out, out
