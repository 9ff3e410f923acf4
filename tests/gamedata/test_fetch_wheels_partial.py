"""`manage.py fetch_wheels` (what bin/setup runs) goes scene by scene: a package without a pure-Python wheel, or one
only Pyodide builds that the self-hosted Pyodide lacks, is reported for its scene, every other scene's wheels are
still fetched, and the exit status and message name the scenes that cannot run in browsers (issue 19)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from experiments.gamedata.wheelhouse import projects

pytestmark = pytest.mark.system


def run_fetch_wheels(tmp_path: Path, experiments: list[str]) -> tuple[subprocess.CompletedProcess, Path]:
    """The real command in its own process; pip sees only a local folder of wheels (no index: offline, and a
    requirement nobody has a wheel of fails the way it does against PyPI)."""
    index = tmp_path / "index"
    index.mkdir()
    for wheel in (Path(settings.BASE_DIR) / "var" / "wheelhouse").glob("*.whl"):
        shutil.copyfile(wheel, index / wheel.name)
    dest = tmp_path / "wheelhouse"
    env = {
        **os.environ,
        "DEBUG": "1",
        "MUG_EXPERIMENTS": ",".join(experiments),
        "MUG_PYODIDE_URL": "/static/pyodide/",  # self-hosted: only numpy, micropip and packaging
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(index),
    }
    command = [sys.executable, "manage.py", "fetch_wheels", "--dest", str(dest)]
    result = subprocess.run(  # noqa: S603
        command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    return result, dest


def test_one_scenes_unavailable_package_does_not_stop_the_other_scenes_wheels(tmp_path):
    experiments = [
        "testkit.shipping_experiments:needs_missing",  # first: it used to abort everything after it
        "testkit.shipping_experiments:needs_opencv",
        "testkit.shipping_experiments:pz_noship",
    ]
    result, dest = run_fetch_wheels(tmp_path, experiments)
    assert result.returncode != 0
    message = result.stderr
    assert "2 of 3 scene(s) cannot run in browsers (1 ready)" in message
    assert "needs-missing/play: no pure-Python wheel for mug-no-pure-wheel==1.0" in message
    assert "needs-opencv/play: opencv-python is built by Pyodide and the self-hosted Pyodide lacks opencv-python" in (
        message
    )
    assert "pz-noship/play" not in message
    # the ready scene's packages (pettingzoo from its import, not from `packages=`) and their dependencies are there
    assert {"gymnasium", "pettingzoo", "cloudpickle", "farama-notifications"} <= set(projects(dest))
    assert "opencv-python" not in projects(dest)


def test_when_every_scene_can_run_the_command_succeeds(tmp_path):
    result, dest = run_fetch_wheels(tmp_path, ["testkit.shipping_experiments:pz_noship"])
    assert result.returncode == 0, result.stderr
    assert "pettingzoo" in projects(dest)
