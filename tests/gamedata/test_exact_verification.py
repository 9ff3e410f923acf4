"""The exact verifier: single-player browser episodes replayed in Pyodide under Node.js (the participants' own
interpreter) and compared bit for bit. Forged uploads over plain HTTP on a production-like Daphne; the warm worker
pool's reuse, time limit and crash recovery driven with real Node processes."""

from __future__ import annotations

import json
import struct
import sys
import threading
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from experiments.control.document_export import experiment_document
from experiments.control.step_exports import step_rows
from experiments.definition import pyodide_preflight
from experiments.definition.registry import get_experiment
from experiments.definition.runtime_bundle import _bundle, scene_bundle, scene_packages
from experiments.flow.models import Participant
from experiments.gamedata.exact_verifier import VerifierPool
from experiments.gamedata.models import MISMATCH, PENDING, VERIFIED, Episode
from testkit.attackers import at_game
from testkit.exact_experiments import PATHS
from testkit.flowhelpers import enter
from testkit.gameclient import begin_episode, episode_chunks, play_scene, post_chunk
from testkit.servers import poll_until, production_daphne

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]
VERDICT_S = 300.0  # booting Pyodide and installing the scene's packages on a busy 2-core machine


@pytest.fixture
def exact_server(tmp_path):
    with production_daphne(tmp_path, PATHS, MUG_PYODIDE_URL="/static/pyodide/") as server:
        yield server


@pytest.fixture
def local_pyodide(settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    settings.MUG = {**settings.MUG, "EXPERIMENTS": PATHS}
    found = pyodide_preflight.runtime()
    assert not isinstance(found, str), found
    return found


def next_double(value: float) -> float:
    """The double one unit in the last place away: its bytes differ in the last bit only."""
    bits = struct.unpack(">q", struct.pack(">d", value))[0]
    return struct.unpack(">d", struct.pack(">q", bits + 1))[0]


def upload_episode(server, pid: str, tamper=None) -> Episode:
    browser, config = at_game(server, "game", pid)
    begun = begin_episode(browser, "game", "play")
    chunks = episode_chunks(config, begun["episode"], begun["seed"], keys=lambda f: [["ArrowLeft", "ArrowUp"][f % 2]])
    if tamper:
        tamper(chunks)
    for chunk in chunks:
        assert post_chunk(browser, "game", chunk).status_code == 200
    return poll_until(
        lambda: Episode.objects.filter(participant__external_id=pid).exclude(verification=PENDING).first(), VERDICT_S
    )


def test_an_honest_upload_is_exact_and_one_flipped_bit_is_named_by_frame_agent_and_field(exact_server):
    honest = upload_episode(exact_server, "honest")
    assert (honest.verification, honest.exactness) == (VERIFIED, "exact"), honest.exactness_report
    assert honest.exactness_report["frames_compared"] == honest.n_steps > 0
    assert honest.exactness_report["pyodide"] == "0.27.7"
    assert honest.provenance["pyodide"] == "0.27.7" and honest.provenance["code_hash"] == honest.code_hash
    assert any(name.startswith("numpy-2.0.2") for name in honest.provenance["package_hashes"])

    def flip_reward(chunks):  # frame 5's reward, -0.01, one unit in the last place away: plausible on every check
        row = chunks[0]["rows"][5]
        row["rewards"]["chaser"] = next_double(row["rewards"]["chaser"])

    forged = upload_episode(exact_server, "forger", flip_reward)
    assert (forged.verification, forged.exactness) == (MISMATCH, "differs")
    difference = forged.exactness_report["difference"]
    assert (difference["frame"], difference["agent"], difference["field"]) == (5, "chaser", "rewards")
    browser_bits, server_bits = difference["browser"]["bits"], difference["server"]["bits"]
    assert difference["server"]["value"] == -0.01 and browser_bits != server_bits
    assert int(browser_bits, 16) - int(server_bits, 16) == 1  # the last bit, nothing else

    def flip_ai_action(chunks):  # the random runner's action at frame 9, replaced by another valid one
        row = chunks[0]["rows"][9]
        row["actions"]["runner"] = (row["actions"]["runner"] + 1) % 5

    forged_ai = upload_episode(exact_server, "ai-forger", flip_ai_action)
    difference = forged_ai.exactness_report["difference"]
    assert forged_ai.exactness == "differs" and (difference["frame"], difference["agent"]) == (9, "runner")
    assert difference["field"] == "actions"


def libm_job(**env_kwargs) -> dict:
    scene = get_experiment("libm").scene("play")
    loop = json.loads(json.dumps(scene.loop_config()))
    loop["env_kwargs"] = {**loop["env_kwargs"], **env_kwargs}
    bundle = scene_bundle(scene)
    packages = list(scene_packages(scene).requirements)
    actions = [{"agent": frame % 2} for frame in range(200)]
    return {
        "packages": packages,
        "files": bundle.files,
        "code_hash": bundle.code_hash,
        "loop": loop,
        "index": 0,
        "seed": 5,
        "actions": actions,
    }


def test_the_pool_boots_each_worker_once_and_reuses_it(local_pyodide):
    pool = VerifierPool(2, *local_pyodide)
    try:
        answers = [pool.run(libm_job(), timeout=120) for _ in range(4)]
        assert all(answer["result"]["over"] and not answer["result"]["error"] for answer in answers)
        assert len({json.dumps(answer["result"]) for answer in answers}) == 1  # the same episode, the same rows
        assert pool.stats() == {"workers": 2, "starts": 1, "boots": 1}  # one warm worker did all four
        threads = [threading.Thread(target=pool.run, args=(libm_job(), 120)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert pool.stats()["boots"] <= 2 and pool.stats()["starts"] <= 2  # at most one boot per worker, ever
    finally:
        pool.close()


def test_a_worker_is_replaced_after_its_quota_of_episodes_and_the_fresh_one_gives_the_same_rows(
    local_pyodide, settings
):
    settings.MUG_VERIFIER_RECYCLE_EPISODES = 2  # a wasm heap never shrinks: recycling is what bounds its memory
    pool = VerifierPool(1, *local_pyodide)
    worker = pool.workers[0]
    try:
        answers, pids = [], []
        for _ in range(5):
            answers.append(pool.run(libm_job(), timeout=120))
            pids.append(worker.process.pid)
        assert len({json.dumps(answer["result"]) for answer in answers}) == 1
        assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]  # two episodes per process, then a fresh one
        assert pool.stats() == {"workers": 1, "starts": 3, "boots": 3}
    finally:
        pool.close()


def test_an_endless_loop_is_stopped_and_a_crashing_env_reported_and_the_worker_goes_on(local_pyodide):
    pool = VerifierPool(1, *local_pyodide)
    try:
        pool.run(libm_job(), timeout=120)  # warm
        with pytest.raises(TimeoutError):
            pool.run(libm_job(spin_at=4), timeout=3)
        crashed = pool.run(libm_job(crash_at=6), timeout=120)["result"]
        assert len(crashed["rows"]) == 5 and "crashed at step 6" in crashed["error"]
        assert pool.run(libm_job(), timeout=120)["result"]["over"]
        assert pool.stats()["starts"] == 2  # the endless loop's process was killed and replaced
    finally:
        pool.close()


def test_a_worker_killed_mid_episode_is_replaced_and_the_episode_tried_again_once(local_pyodide):
    pool = VerifierPool(1, *local_pyodide)
    worker = pool.workers[0]
    outcome = {}

    def run():
        try:
            outcome["answer"] = pool.run(libm_job(spin_at=3), timeout=600)
        except Exception as error:  # noqa: BLE001
            outcome["error"] = error

    try:
        thread = threading.Thread(target=run)
        thread.start()
        for start in (1, 2):  # kill the Node process while it replays, twice
            poll_until(lambda s=start: worker.starts == s and worker.in_flight, VERDICT_S)
            worker.process.kill()
        thread.join(timeout=VERDICT_S)
        assert isinstance(outcome.get("error"), EOFError)  # died twice: reported, not tried a third time
        assert worker.starts == 2
    finally:
        pool.close()


def test_replay_episodes_refuses_a_match_when_the_code_changed_and_native_reports_float_differences(
    local_pyodide, settings
):
    client = Client()
    enter(client, "game")
    play_scene(client, "game")  # verified in this process, by the Node verifier
    episodes = list(Episode.objects.all())
    assert episodes and all(e.exactness == "exact" for e in episodes), [e.exactness_report for e in episodes]
    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("boss", "boss@example.org", "pw"))
    listing = staff.get("/admin/experiments/episode/?exactness=exact").content.decode()
    assert listing.count('<td class="field-exactness">Exact</td>') == len(episodes)
    _, rows = step_rows(Participant.objects.filter(experiment__slug="game"))
    assert {row["episode_exact"] for row in rows} == {"exact"}
    document = json.loads("".join(experiment_document(episodes[0].participant.experiment)))
    exported = document["participants"][0]["episodes"][0]
    assert exported["exactness"] == "exact" and exported["provenance"]["pyodide"] == "0.27.7"
    out = StringIO()
    call_command("replay_episodes", "game", stdout=out)
    assert out.getvalue().count("bit for bit in Pyodide 0.27.7") == len(episodes)
    out = StringIO()
    call_command("replay_episodes", "game", "--native", stdout=out)
    assert "largest float difference" in out.getvalue()
    Episode.objects.update(code_hash="0" * 64, provenance={})  # as if recorded before: no bundle kept
    out = StringIO()
    with pytest.raises(Exception, match="changed"):
        call_command("replay_episodes", "game", stdout=out)
    assert "code changed" in out.getvalue() and "match" not in out.getvalue().replace("not a match", "")


EDITED_STUDY = """
from examples.tag.experiment import TAG_SETTINGS
from experiments.study import EndScene, Experiment, GymScene

experiment = Experiment(
    slug="edited",
    title="A study whose env is edited after it was played",
    stager=[
        GymScene(
            scene_id="play",
            agents={"chaser": "human", "runner": "random"},
            num_episodes=1,
            max_steps=40,
            seed=[2],
            **{**TAG_SETTINGS, "env": "edstudy.env:make"},
        ),
        EndScene(scene_id="end"),
    ],
)
"""


def test_an_edited_env_is_reported_as_changed_and_its_recorded_bundle_replays_exactly(
    local_pyodide, settings, tmp_path, monkeypatch
):
    package = tmp_path / "edstudy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "experiment.py").write_text(EDITED_STUDY)
    (package / "env.py").write_text("from examples.tag.env import make\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.MUG = {**settings.MUG, "EXPERIMENTS": ["edstudy.experiment:experiment"]}
    try:
        client = Client()
        enter(client, "edited")
        play_scene(client, "edited")
        episode = Episode.objects.get()
        assert episode.exactness == "exact", episode.exactness_report
        (package / "env.py").write_text("from examples.tag.env import make  # edited after the study ran\n")
        _bundle.cache_clear()  # as a restarted server reads the files again
        out = StringIO()
        with pytest.raises(CommandError, match="code changed"):
            call_command("replay_episodes", "edited", stdout=out)
        assert "not a match: code changed since it was played" in out.getvalue()
        out = StringIO()
        call_command("replay_episodes", "edited", "--recorded", stdout=out)  # the bundle it ran, kept by content
        assert "exact, 40 frames bit for bit in Pyodide 0.27.7" in out.getvalue()
    finally:
        _bundle.cache_clear()
        for name in [n for n in sys.modules if n.split(".")[0] == "edstudy"]:
            del sys.modules[name]
