"""ReplaceWithAI(OnnxPolicy) in a server-side group game: the partner who leaves is played by the ONNX model, run by
onnxruntime in the game's process (real Channels stack, real game process); the rows hold its actions, which are
onnxruntime's on the stored observations, and the server's replay matches. In a rollback scene it is refused at
load (the browsers could not run it)."""

from __future__ import annotations

import numpy as np
import onnxruntime
import pytest
from asgiref.sync import async_to_sync
from django.core.management import call_command

from examples.tagai.experiment import CHASER_MODEL
from examples.tagai.model import DEFAULT_PATH
from experiments.gamedata.models import COMPLETE, Episode
from matchmaking.models import MatchMember
from netcode.models import GameEvent
from testkit.gameclient_ws import matched
from testkit.onnx_experiments import onnx_server_pair
from testkit.playclient import PlayClient, hosts_done
from testkit.roomclient import participant_cookie

SLUG = "onnx-server-pair"


def onnx_actions(seed: int, start: int, steps: list) -> list[int]:
    """The chaser's actions from frame `start` on, recomputed here: onnxruntime on the stored observations with its
    recurrent state from zeros, "skill" 2, a move sampled with the generator seeded (episode seed, 1 + position 0)
    when the model took over, queried on its first frame and then every second frame."""
    session = onnxruntime.InferenceSession(str(DEFAULT_PATH), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng([seed, 1])
    hidden = np.zeros((1, 8), np.float32)
    by_frame = {step.frame: step for step in steps}
    actions, action = [], None
    for frame in range(start, len(steps)):
        if action is None or frame % 2 == 0:
            observation = np.asarray([by_frame[frame - 1].observations["chaser"]], np.float32)  # seen before `frame`
            feeds = {"obs": observation, "h_in": hidden, "skill": np.array([[2.0]], np.float32)}
            logits, hidden = session.run(["logits", "h_out"], feeds)
            weights = np.exp(logits[0].astype(np.float64) - logits[0].max())
            action = int(min(np.searchsorted(np.cumsum(weights / weights.sum()), rng.random(), side="right"), 4))
        actions.append(action)
    return actions


@pytest.mark.django_db(transaction=True)
def test_a_partner_who_leaves_is_replaced_by_the_onnx_model(capsys):
    cookies = {pid: participant_cookie(SLUG, pid) for pid in ("ann", "ben")}
    async_to_sync(matched)(SLUG, list(cookies.values()), "play")
    seats = dict(MatchMember.objects.values_list("agent", "participant__external_id"))

    async def scenario():
        async with PlayClient(SLUG, cookies[seats["runner"]]) as runner:
            async with PlayClient(SLUG, cookies[seats["chaser"]]) as chaser:
                await runner.hello()
                await chaser.hello()
                await runner.expect("started")
                await runner.expect("frame")
            # The chaser's participant has gone; nobody moves until the model plays the chaser.
            finished = await runner.expect("finished", timeout=60)
            await hosts_done()
            return finished

    assert async_to_sync(scenario)()["type"] == "finished"
    drop = GameEvent.objects.get(kind="dropout")
    assert drop.agent == "chaser"
    kept = Episode.objects.get(participant__external_id=seats["runner"])
    steps = list(kept.steps.order_by("frame"))
    # Caught, or out of time: the dropout comes after dropout_s of wall clock, so how many frames the model has left
    # depends on the machine's load
    last = steps[-1]
    max_steps = onnx_server_pair.stager[0].max_steps  # out of time: the scene's limit ends it (the env never truncates)
    assert kept.status == COMPLETE and (all(last.terminated.values()) or last.frame == max_steps - 1), last
    # Before the dropout the absent chaser stood still (no keys); the model moved it from some frame on.
    first = next(s.frame for s in steps if s.actions["chaser"] != 0)
    assert first >= drop.frame and all(s.actions["chaser"] == 0 for s in steps[:first])
    # From the frame the model took over (its first move, or a frame or two before when its first choices were
    # "stay") the stored actions are onnxruntime's on the stored observations.
    starts = [
        start
        for start in range(1, first + 1)
        if [s.actions["chaser"] for s in steps if s.frame >= start] == onnx_actions(kept.seed, start, steps)
    ]
    assert starts, "no frame from which the chaser's stored actions are the model's"
    call_command("replay_episodes", SLUG)
    out = capsys.readouterr().out
    assert out.count(": match, ") == 1 and "mismatch" not in out, out


def test_a_rollback_scene_refuses_an_onnx_replacement_at_load(tmp_path):
    from experiments.study import DefinitionError, GymScene, Netcode, ReplaceWithAI

    scene = GymScene(
        scene_id="s",
        env="examples.tag.env:make",
        agents={"chaser": "human", "runner": "human"},
        keys={"ArrowUp": 1},
        netcode=Netcode(on_dropout=ReplaceWithAI(CHASER_MODEL)),
    )
    with pytest.raises(DefinitionError, match="ReplaceWithAI.*ONNX.*rollback"):
        scene.prepare(tmp_path)
