"""Every game's bundle carries the browser package: the page's worker imports mug.loop (and a group game
mug.netplay) from the bundle, whichever module of the server builds it."""

from __future__ import annotations

from pathlib import Path

import mug
from experiments.definition.runtime_bundle import scene_bundle
from experiments.study import GymScene


def test_a_games_bundle_ships_every_module_of_the_browser_package():
    scene = GymScene(scene_id="play", env="examples.cartpole.env:make", keys={"ArrowLeft": 0, "ArrowRight": 1})
    files = scene_bundle(scene).files
    package = Path(mug.__file__).resolve().parent
    expected = {f"mug/{path.relative_to(package).as_posix()}" for path in package.rglob("*.py")}
    assert {"mug/__init__.py", "mug/loop.py", "mug/netplay.py", "mug/rollback.py", "mug/surface.py"} <= expected
    assert expected <= set(files)
    assert files["mug/loop.py"] == (package / "loop.py").read_text()
