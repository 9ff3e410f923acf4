"""What a browser game installs (issue 19): the installed distributions its code imports become pinned packages, what
Pyodide builds comes from Pyodide's own set by name, and what browsers could not install is a system-check error of
that scene only, naming the fix."""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from experiments.definition import registry
from experiments.definition.checks import check_scene_packages
from experiments.definition.gym_scene import MUG_PACKAGE_DIR
from experiments.definition.import_closure import closure_of
from experiments.definition.package_resolution import availability_problems, pyodide_set, resolve
from experiments.definition.runtime_bundle import package_problems, scene_packages
from experiments.study import GymScene
from testkit.shipping_experiments import write_external_study

PZ = importlib.metadata.version("pettingzoo")
LOCAL_PYODIDE = "/static/pyodide/"
CDN = "https://cdn.jsdelivr.net/pyodide/v0.27.7/full/"


@pytest.fixture
def studies(settings):
    def use(*paths: str, pyodide_url: str = LOCAL_PYODIDE, wheelhouse: Path | None = None):
        settings.MUG = {**settings.MUG, "EXPERIMENTS": list(paths)}
        runtime = {**settings.MUG_RUNTIME, "PYODIDE_URL": pyodide_url}
        settings.MUG_RUNTIME = {**runtime, **({"WHEELHOUSE_DIR": wheelhouse} if wheelhouse else {})}

    return use


def walk_scene(**options) -> GymScene:
    scene = GymScene(
        scene_id="play", env="testkit.envs.pz_noship:make", agents={"walker": "human"}, keys={"d": 2}, **options
    )
    scene.prepare(Path(django_settings.BASE_DIR))
    return scene


def test_an_env_that_lists_no_packages_gets_the_distributions_it_imports_pinned_at_the_installed_version(studies):
    studies("testkit.shipping_experiments:pz_noship")
    scene = registry.get_experiment("pz-noship").scene("play")
    assert scene.packages == ["gymnasium==1.4.0"]  # what the researcher wrote (the default)
    requirements = scene_packages(scene).requirements
    assert f"pettingzoo=={PZ}" in requirements and "gymnasium==1.4.0" in requirements
    assert "numpy" in requirements  # Pyodide's own build, by name
    assert package_problems(scene) == []  # the wheelhouse has pettingzoo (bin/setup fetched it)


def test_the_researchers_packages_win_and_a_conflict_with_the_installed_version_is_named(studies):
    assert scene_packages(walk_scene(packages=["gymnasium==1.4.0", "pettingzoo>=1.24"])).requirements == (
        "gymnasium==1.4.0",
        "pettingzoo>=1.24",
        "numpy",
    )
    problems = scene_packages(walk_scene(packages=["gymnasium==1.4.0", "pettingzoo==1.24.3"])).problems
    assert len(problems) == 1
    assert "'pettingzoo==1.24.3'" in problems[0] and f"pettingzoo=={PZ}" in problems[0]


def test_pyodide_built_packages_come_by_name_and_a_self_hosted_pyodide_that_lacks_them_is_named(tmp_path):
    folder = Path(django_settings.MUG_RUNTIME["PYODIDE_DIR"])
    local = pyodide_set(LOCAL_PYODIDE, folder)
    resolution = resolve(["gymnasium==1.4.0"], frozenset({"cv2", "pygame", "scipy"}), local)
    # pygame is installed here as the `pygame` distribution; browsers get Pyodide's pygame-ce, which provides it.
    assert resolution.requirements == ("gymnasium==1.4.0", "opencv-python", "pygame-ce", "scipy")
    problems = availability_problems(resolution.requirements, local, Path(django_settings.BASE_DIR) / "var/wheelhouse")
    assert [problem.split(" ")[0] for problem in problems] == ["opencv-python", "pygame-ce", "scipy"]
    assert "lacks openblas, scipy" in problems[2] and "fetch_pyodide --extras" in problems[2]
    assert "runs_on='server'" in problems[0]
    cdn = pyodide_set(CDN, folder)  # the CDN serves Pyodide's whole set
    assert availability_problems(resolution.requirements, cdn, Path(django_settings.BASE_DIR) / "var/wheelhouse") == []
    # a self-hosted folder holding opencv's wheel (as `fetch_pyodide --extras` would leave it) serves it
    for path in folder.iterdir():
        (tmp_path / path.name).symlink_to(path)
    lock = json.loads((folder / "pyodide-lock.json").read_text())
    (tmp_path / lock["packages"]["opencv-python"]["file_name"]).write_bytes(b"")
    assert pyodide_set(LOCAL_PYODIDE, tmp_path).lacking("opencv-python") == []


def test_a_distribution_neither_in_the_wheelhouse_nor_in_pyodide_is_refused_naming_fetch_wheels(studies, tmp_path):
    studies("testkit.shipping_experiments:pz_noship", wheelhouse=tmp_path / "empty")
    problems = package_problems(registry.get_experiment("pz-noship").scene("play"))
    assert len(problems) == 2  # gymnasium (the default) and the pinned pettingzoo
    assert problems[1].startswith(f"pettingzoo=={PZ} is in neither the wheelhouse")
    assert "manage.py fetch_wheels" in problems[1]


def test_the_check_refuses_only_the_scenes_whose_packages_browsers_could_not_install(studies):
    studies(
        "testkit.shipping_experiments:pz_noship",
        "testkit.shipping_experiments:conflict",
        "testkit.shipping_experiments:needs_opencv",
    )
    errors = check_scene_packages(None)
    assert [error.id for error in errors] == ["experiments.E019", "experiments.E019"]
    assert "'pz-conflict', scene 'play'" in errors[0].msg and "pettingzoo==1.24.3" in errors[0].msg
    assert "'needs-opencv', scene 'play'" in errors[1].msg and "lacks opencv-python" in errors[1].msg
    with pytest.raises(SystemCheckError, match="experiments.E019"):
        call_command("check")
    studies("testkit.shipping_experiments:needs_opencv", pyodide_url=CDN)
    assert check_scene_packages(None) == []  # from the CDN, Pyodide's opencv-python loads


def test_the_closure_ships_local_modules_outside_the_project_and_names_the_installed_ones(tmp_path, monkeypatch):
    outside = tmp_path / "outside"
    write_external_study(outside)
    monkeypatch.syspath_prepend(str(outside))
    try:
        closure = closure_of(["extstudy.env"], Path(django_settings.BASE_DIR), MUG_PACKAGE_DIR)
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] in ("extstudy", "extshapes")]:
            del sys.modules[name]
    assert sorted(closure.files) == [
        "extshapes/__init__.py",
        "extshapes/marks.py",
        "extstudy/__init__.py",
        "extstudy/env.py",
    ]  # the experiment and secret.py stay on the server
    assert closure.installed == {"gymnasium", "numpy"}
