"""Every env failure at load is a check error naming the scene, what failed and the fix (never a traceback), and
stops only that study: render modes from the env's metadata, construction / reset / step failures, determinism."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks

from experiments.definition import registry
from experiments.definition.env_probe import probe
from mug.loop import GameLoop, LoopConfig

ROOT = Path(__file__).resolve().parents[2]
PATH = "testkit.preflight_experiments:"


def use(settings, *names: str) -> None:
    settings.MUG = {**settings.MUG, "EXPERIMENTS": [PATH + name for name in names]}


def manage_check(*names: str) -> subprocess.CompletedProcess:
    """`manage.py check` as a researcher runs it (a fresh process, the native pre-flight)."""
    env = {**os.environ, "MUG_EXPERIMENTS": ",".join(PATH + name for name in names), "MUG_PREFLIGHT": "native"}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def errors(settings, *names: str) -> list:
    settings.MUG_PREFLIGHT = "native"  # this process's Python (the Pyodide pre-flight: test_pyodide_preflight.py)
    use(settings, *names)
    return [message for message in checks.run_checks() if message.id.startswith("experiments.")]


@pytest.mark.system  # starts manage.py / Daphne
def test_an_rgb_only_env_is_built_with_rgb_array_and_drawn_as_a_raster(settings):
    """Gymnasium's template asserts its render mode: `render_mode="mug"` crashed `manage.py check` (AssertionError)."""
    result = manage_check("rgb_only")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    use(settings, "rgb_only")
    scene = registry.get_experiment("rgb-only").scene("play")
    assert scene.loop_config()["render_mode"] == "rgb_array"  # the browser and server games build it so
    loop = GameLoop(LoopConfig.from_dict(scene.loop_config()))
    packet = loop.start_episode(0, 7)["render"]
    assert [item["type"] for item in packet["objects"]] == ["raster"]


def test_an_explicit_render_mode_wins_and_an_env_that_draws_neither_is_refused(settings):
    found = {message.id: message.msg for message in errors(settings, "mug_forced", "human_only")}
    assert "construction failed: AssertionError" in found["experiments.E191"]  # "mug" given explicitly: as asked
    assert "['human']" in found["experiments.E190"] and "render_mode" in found["experiments.E190"]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("missing_map", ["construction failed", "FileNotFoundError", "maps/level1.txt", "Fix:"]),
        ("reset_fails", ["reset failed", "KeyError", "spawn_points", "Fix:"]),
        ("step_fails", ["step 7 failed", "ZeroDivisionError", "division by zero in the physics", "Fix:"]),
    ],
)
def test_a_failing_env_is_a_check_error_naming_the_scene_and_what_failed(settings, name, words):
    [error] = errors(settings, name)
    assert error.id == "experiments.E191" and "gym scene 'play'" in error.msg
    assert all(word in error.msg for word in words), error.msg


@pytest.mark.system  # starts manage.py / Daphne
def test_every_broken_study_is_listed_and_the_others_still_load(settings):
    """`manage.py check` lists every failure (no traceback) and refuses to start; the registry keeps the good study."""
    result = manage_check("missing_map", "rgb_only", "step_fails")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "maps/level1.txt" in result.stderr and "step 7 failed" in result.stderr
    use(settings, "missing_map", "rgb_only", "step_fails")
    assert list(registry.all_experiments()) == ["rgb-only"]
    assert [path for path, _ in registry.load_errors()] == [PATH + "missing_map", PATH + "step_fails"]


@pytest.mark.system  # starts manage.py / Daphne
def test_a_study_that_fails_is_not_served_and_the_others_are(tmp_path, transactional_db):
    """A server started without the checks (Daphne) serves the good study and answers the broken one 404."""
    import requests

    from testkit.servers import production_daphne

    with production_daphne(tmp_path, [PATH + "rgb_only", PATH + "reset_fails"]) as server:
        assert requests.get(f"{server.url}/x/rgb-only/", timeout=30).status_code == 200
        assert requests.get(f"{server.url}/x/reset-fails/", timeout=30).status_code == 404


def test_an_env_drawing_from_an_unseeded_generator_is_refused_with_the_first_differing_frame(settings):
    [error] = errors(settings, "unseeded")
    assert error.id == "experiments.E192"
    assert "differ at frame" in error.msg and "agent 'agent'" in error.msg
    # the unseeded draw is in the infos; with the no-op action it moves nothing, so obs may still agree that frame
    assert "field 'obs'" in error.msg or "field 'infos'" in error.msg
    assert "np_random" in error.msg  # the fix


COGRID = {"env": "cogrid.envs.registry:make", "env_kwargs": {"environment_id": "Overcooked-CrampedRoom-V0"}}


def test_cogrid_from_pypi_plays_the_same_game_twice():
    """CoGrid 0.2.1 (requirements-dev.txt), unmodified, draws move priority from `np.random.default_rng()` every
    step; inside an env call such a generator draws from (episode seed, step) (mug.entropy), so two fresh envs agree
    for 300 frames of random play."""
    assert probe({**COGRID, "render_mode": None, "seed": 3, "steps": 300, "rollback": False}) is None


def test_cogrid_from_pypi_draws_natively_with_opencv(settings):
    """Its rgb_array drawing needs opencv-python for text (once a pot fills, at frame 209 of the probe's 300 random
    frames); with opencv-python installed here (requirements-dev.txt) it passes every native env check. Browsers lack
    cv2: the pre-flight in Pyodide refuses it (tests/browser/test_conformance_overcooked.py)."""
    env_errors = [e for e in errors(settings, "cogrid_overcooked") if e.id.startswith("experiments.E19")]
    assert env_errors == []


def test_a_deterministic_third_party_env_passes(settings):
    """Gymnasium's own CartPole, unmodified: built with rgb_array from its metadata, 300 identical frames."""
    assert errors(settings, "cartpole") == []
    assert registry.get_experiment("cartpole-raw").scene("play").loop_config()["render_mode"] == "rgb_array"
