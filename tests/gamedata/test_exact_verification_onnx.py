"""The exact verifier with ONNX agents: the human–AI demo's chaser network run under Node.js by the onnxruntime-web
build and wasm binary the browser is served, its outputs fed into the Pyodide replay frame by frame as the game
worker does. Forged uploads over plain HTTP on a production-like Daphne; a model file changed on disk afterwards."""

from __future__ import annotations

import http.client
import shutil
import sys
from pathlib import Path

import pytest
from django.test import Client

from examples.tagai.model import DEFAULT_PATH
from experiments.definition.model_runtime import ServerModels
from experiments.definition.runtime_bundle import _bundle
from experiments.gamedata.exact_verifier import NotVerifiable, episode_verify_exact
from experiments.gamedata.models import MISMATCH, PENDING, VERIFIED, Episode, Exactness
from experiments.gamedata.verification import episode_check
from testkit.attackers import at_game
from testkit.exact_experiments import PATHS
from testkit.flowhelpers import enter
from testkit.gameclient import begin_episode, episode_chunks, play_scene, post_chunk
from testkit.servers import poll_until, production_daphne

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]
VERDICT_S = 300.0  # booting Pyodide, installing the scene's packages and onnxruntime-web on a busy 2-core machine


def runner_keys(frame: int) -> list[str]:
    return ["ArrowDown"]  # from seed 6 the runner escapes down the board: the chaser thinks for the whole episode


def served_models(browser, config: dict, directory: Path) -> ServerModels:
    """The scene's ONNX models downloaded from the server by hash with the participant's cookies, as the worker does."""
    cookies = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    files = {}
    for spec in config["loop"]["agents"].values():
        if isinstance(spec, dict) and spec["kind"] == "onnx":
            connection = http.client.HTTPConnection(browser.host, browser.port, timeout=60)
            connection.request("GET", f"{config['model_url']}{spec['sha256']}.onnx", headers={"Cookie": cookies})
            response = connection.getresponse()
            assert response.status == 200, response.status
            files[spec["sha256"]] = directory / f"{spec['sha256']}.onnx"
            files[spec["sha256"]].write_bytes(response.read())
            connection.close()
    return ServerModels(files)


def upload_episode(server, pid: str, directory: Path, tamper=None) -> Episode:
    """A human–AI episode played by the real loop, the chaser run by onnxruntime on the served model, uploaded."""
    browser, config = at_game(server, "flee", pid)
    begun = begin_episode(browser, "flee", "play")
    models = served_models(browser, config, directory)
    chunks = episode_chunks(config, begun["episode"], begun["seed"], keys=runner_keys, models=models)
    if tamper:
        tamper(chunks)
    for chunk in chunks:
        assert post_chunk(browser, "flee", chunk).status_code == 200
    return poll_until(
        lambda: Episode.objects.filter(participant__external_id=pid).exclude(verification=PENDING).first(), VERDICT_S
    )


def test_an_onnx_chaser_episode_is_exact_and_one_changed_ai_action_is_named(tmp_path):
    with production_daphne(tmp_path, PATHS, MUG_PYODIDE_URL="/static/pyodide/") as server:
        honest = upload_episode(server, "onnx-honest", tmp_path)
        assert (honest.verification, honest.exactness) == (VERIFIED, "exact"), honest.exactness_report
        assert honest.exactness_report["frames_compared"] == honest.n_steps > 0
        assert honest.exactness_report["pyodide"] == "0.27.7"
        chaser = [actions["chaser"] for actions in honest.steps.order_by("frame").values_list("actions", flat=True)]
        assert len(set(chaser)) > 1  # the network really chose, and under Node it chose the same every frame

        def change_ai_action(chunks):  # the chaser's action at frame 8 (a frame it thinks), another valid move
            row = chunks[0]["rows"][8]
            row["actions"]["chaser"] = (row["actions"]["chaser"] + 1) % 5

        forged = upload_episode(server, "onnx-forger", tmp_path, change_ai_action)
        assert (forged.verification, forged.exactness) == (MISMATCH, "differs"), forged.exactness_report
        difference = forged.exactness_report["difference"]
        assert (difference["frame"], difference["agent"], difference["field"]) == (8, "chaser", "actions")


MODEL_STUDY = """
from dataclasses import replace

from examples.tag.experiment import TAG_SETTINGS
from examples.tagai.experiment import CHASER_MODEL
from experiments.study import EndScene, Experiment, GymScene

experiment = Experiment(
    slug="modelswap",
    title="A study whose model file is replaced after it was played",
    stager=[
        GymScene(
            scene_id="play",
            agents={"chaser": replace(CHASER_MODEL, model="chaser.onnx"), "runner": "human"},
            num_episodes=1,
            max_steps=30,
            seed=[6],
            **TAG_SETTINGS,
        ),
        EndScene(scene_id="end"),
    ],
)
"""


@pytest.fixture
def model_study(settings, tmp_path, monkeypatch):
    """A study of its own whose chaser model is a copy in tmp_path (the shared model file is never touched)."""
    package = tmp_path / "modelstudy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "experiment.py").write_text(MODEL_STUDY)
    shutil.copyfile(DEFAULT_PATH, package / "chaser.onnx")
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    settings.MUG = {**settings.MUG, "EXPERIMENTS": ["modelstudy.experiment:experiment"]}
    try:
        yield package / "chaser.onnx"
    finally:
        _bundle.cache_clear()
        for name in [n for n in sys.modules if n.split(".")[0] == "modelstudy"]:
            del sys.modules[name]


def test_a_model_file_whose_bytes_changed_or_that_is_gone_makes_the_episode_not_verifiable(model_study):
    client = Client()
    enter(client, "modelswap")
    play_scene(client, "modelswap", keys=runner_keys)  # verified in this process, by the Node verifier
    episode = Episode.objects.get()
    assert episode.exactness == "exact", episode.exactness_report
    sha256 = episode.policies["chaser"]["sha256"]
    model = bytearray(model_study.read_bytes())
    model[-1] ^= 1  # one bit of the file, which the server would now serve under the episode's hash
    model_study.write_bytes(bytes(model))
    with pytest.raises(NotVerifiable, match="no longer matches the sha256 the episode was played with"):
        episode_verify_exact(episode)
    _, _, exactness, report = episode_check(episode=episode)
    assert exactness == Exactness.NOT_VERIFIABLE and "no longer matches" in report["reason"], report
    assert sha256 in report["reason"]
    model_study.unlink()
    with pytest.raises(NotVerifiable, match="is not on this server"):
        episode_verify_exact(episode)
