"""An asset URL promises the bytes its hash names: a file edited after the study loaded is a 404 under the old URL
(the participant's cache can never hold two versions under one URL), and loads anew at its new URL after a reload
of the studies."""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import pytest
from django.test import Client

from experiments.definition import registry
from testkit.flowhelpers import enter

pytestmark = pytest.mark.django_db

TESTKIT_ASSETS = Path(__file__).resolve().parents[2] / "testkit" / "assets"


@pytest.fixture
def study(tmp_path, settings, monkeypatch):
    folder = tmp_path / "editedstudy"
    (folder / "sprites").mkdir(parents=True)
    for name in ("chef.png", "tiles.png", "tiles.json"):
        shutil.copy(TESTKIT_ASSETS / name, folder / "sprites" / name)
    (folder / "__init__.py").write_text("")
    (folder / "experiment.py").write_text(
        "from experiments.study import EndScene, Experiment, GymScene\n"
        "experiment = Experiment(slug='edited', title='assets', stager=[\n"
        "    GymScene(scene_id='play', env='testkit.envs.asset_sprites:make', keys={'d': 1}, max_steps=5, seed=[1],\n"
        "             assets={'chef': 'sprites/chef.png', 'tiles': ('sprites/tiles.png', 'sprites/tiles.json')}),\n"
        "    EndScene(scene_id='end')])\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.MUG = {**settings.MUG, "EXPERIMENTS": ["editedstudy.experiment:experiment"]}
    yield folder
    for name in [n for n in sys.modules if n.split(".")[0] == "editedstudy"]:
        del sys.modules[name]


def test_an_edited_file_is_not_served_under_its_old_hash(study, settings):
    player = Client()
    enter(player, "edited", PROLIFIC_PID="editor")
    old = hashlib.sha256((study / "sprites" / "chef.png").read_bytes()).hexdigest()
    assert player.get(f"/x/edited/assets/{old}/chef.png").status_code == 200
    edited = (TESTKIT_ASSETS / "tiles.png").read_bytes()  # another valid PNG
    (study / "sprites" / "chef.png").write_bytes(edited)
    assert player.get(f"/x/edited/assets/{old}/chef.png").status_code == 404
    settings.MUG = {**settings.MUG}  # the studies load again, as after a restart
    new = registry.get_experiment("edited").scene("play").scene_assets()["chef"].image.sha256
    assert new == hashlib.sha256(edited).hexdigest() != old
    reply = player.get(f"/x/edited/assets/{new}/chef.png")
    assert reply.status_code == 200 and reply.content == edited
