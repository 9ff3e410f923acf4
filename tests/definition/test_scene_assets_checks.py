"""GymScene.assets at load: a study declaring files that are missing, of a type browsers must not get, too large,
outside the study's folder, or names its env draws without declaring, fails the system check with its own id and a
message naming the asset and the fix; only that study is refused."""

from __future__ import annotations

import itertools
import shutil
import sys
from pathlib import Path

import pytest
from django.core import checks

from experiments.definition.assets import MAX_ASSET_BYTES

TESTKIT_ASSETS = Path(__file__).resolve().parents[2] / "testkit" / "assets"
GOOD = {"chef": "sprites/chef.png", "tiles": ("sprites/tiles.png", "sprites/tiles.json")}
_numbers = itertools.count()


@pytest.fixture
def study(tmp_path, settings, monkeypatch):
    """write(assets) -> the errors of the system check for a study (in tmp_path) whose one game declares them."""
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.MUG_PREFLIGHT = "native"  # this process's Python (the Pyodide pre-flight has tests of its own)
    written: list[str] = []

    def write(assets, *, extra: dict[str, bytes] | None = None) -> list:
        package = f"assetstudy{next(_numbers)}"
        folder = tmp_path / package
        (folder / "sprites").mkdir(parents=True)
        for name in ("chef.png", "tiles.png", "tiles.json"):
            shutil.copy(TESTKIT_ASSETS / name, folder / "sprites" / name)
        for relative, data in (extra or {}).items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(data)
        (folder / "__init__.py").write_text("")
        (folder / "experiment.py").write_text(
            "from experiments.study import EndScene, Experiment, GymScene\n"
            f"experiment = Experiment(slug={package!r}, title='assets', stager=[\n"
            "    GymScene(scene_id='play', env='testkit.envs.asset_sprites:make', keys={'d': 1}, max_steps=5,\n"
            f"             seed=[1], assets={assets!r}),\n"
            "    EndScene(scene_id='end')])\n"
        )
        written.append(package)
        settings.MUG = {**settings.MUG, "EXPERIMENTS": [f"{package}.experiment:experiment"]}
        return [message for message in checks.run_checks() if message.id.startswith("experiments.")]

    yield write
    for name in [n for n in sys.modules if n.split(".")[0] in written]:
        del sys.modules[name]


def test_a_study_with_good_files_passes(study):
    assert study(GOOD) == []


def test_a_missing_file_is_named(study):
    [error] = study({**GOOD, "chef": "sprites/chief.png"})
    assert error.id == "experiments.E033"
    assert "gym scene 'play'" in error.msg and "assets['chef']" in error.msg and "sprites/chief.png" in error.msg


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("../outside.png", {"../outside.png": (TESTKIT_ASSETS / "chef.png").read_bytes()}),  # the file exists
        ("sprites/../../outside.png", {"../outside.png": (TESTKIT_ASSETS / "chef.png").read_bytes()}),
        (str(TESTKIT_ASSETS / "chef.png"), None),  # an absolute path to a real image
    ],
)
def test_a_path_leaving_the_studys_folder_is_refused(study, path, extra):
    [error] = study({**GOOD, "chef": path}, extra=extra)
    assert error.id == "experiments.E032" and "assets['chef']" in error.msg, error.msg


def test_a_symlink_out_of_the_folder_is_refused(study, tmp_path):
    (tmp_path / "secret.png").write_bytes((TESTKIT_ASSETS / "chef.png").read_bytes())
    link = tmp_path / "links" / "chef.png"
    link.parent.mkdir()
    link.symlink_to(tmp_path / "secret.png")
    [error] = study({**GOOD, "chef": "../links/chef.png"})
    assert error.id == "experiments.E032"


@pytest.mark.parametrize(
    ("value", "extra", "words"),
    [
        ("sprites/notes.txt", {"sprites/notes.txt": b"hello"}, ["is not an image", ".png"]),
        ("sprites/logo.svg", {"sprites/logo.svg": b"<svg onload='alert(1)'/>"}, ["is not an image"]),
        ("sprites/fake.png", {"sprites/fake.png": b"<html>not a png</html>"}, ["is not a image/png file"]),
        (("sprites/tiles.png", "sprites/tiles.png"), None, ["is not a .json atlas"]),
        (("sprites/tiles.png", "sprites/bad.json"), {"sprites/bad.json": b"{nope"}, ["is not JSON"]),
        (("sprites/tiles.png", "sprites/list.json"), {"sprites/list.json": b"[1, 2]"}, ["has no 'frames'"]),
    ],
)
def test_a_file_of_another_type_is_refused(study, value, extra, words):
    [error] = study({**GOOD, "chef": value}, extra=extra)
    assert error.id == "experiments.E034" and all(word in error.msg for word in words), error.msg


def test_a_file_too_large_to_preload_is_refused(study):
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_ASSET_BYTES
    [error] = study({**GOOD, "chef": "sprites/big.png"}, extra={"sprites/big.png": big})
    assert error.id == "experiments.E035" and str(MAX_ASSET_BYTES) in error.msg and "shrink" in error.msg


@pytest.mark.parametrize(
    ("assets", "words"),
    [
        ({"tiles": GOOD["tiles"]}, ["registers ['chef'] without a URL", "add assets={'chef'"]),  # the env draws it
        ({**GOOD, "a/b": "sprites/chef.png"}, ["the name 'a/b'"]),
        ({**GOOD, "chef": ["a.png", "b.json", "c"]}, ["must be 'file.png'"]),
        (["sprites/chef.png"], ["must be a dict"]),
    ],
)
def test_a_bad_declaration_is_refused(study, assets, words):
    [error] = study(assets)
    assert error.id == "experiments.E031" and all(word in error.msg for word in words), error.msg
