"""Which game scenes of a study pin different versions of one package: one interpreter cannot hold both, so the
browser boots a fresh Python for the later scene (frontend js/page/runtime.js decides the same from the same pins)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from experiments.definition.gym_scene import GymScene

# "name==version", optionally with extras or a marker; ranges and bare names pin nothing.
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;,]+)\s*(?:;.*)?$")


def normalize(name: str) -> str:
    """PEP 503 name normalisation (as the wheelhouse and the page compare names)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins_of(packages: list[str]) -> dict[str, str]:
    """{normalised name: version} of a scene's exact pins."""
    pins = {}
    for requirement in packages:
        match = _PIN.match(requirement)
        if match:
            pins[normalize(match[1])] = match[2]
    return pins


@dataclass(frozen=True)
class PinConflict:
    earlier: str  # scene ids, in the study's order
    later: str
    package: str
    earlier_version: str
    later_version: str

    def __str__(self) -> str:
        return (
            f"scene {self.later!r} pins {self.package}=={self.later_version} but the earlier scene {self.earlier!r} "
            f"loads {self.package}=={self.earlier_version}: when both are played in one visit, {self.later!r} boots "
            "its own Python in a new worker (slower to load than reusing the interpreter)"
        )


def pin_conflicts(scenes: list) -> list[PinConflict]:
    """Browser game scenes (in the given order, as one visit plays them) that pin a package at another version than
    the interpreter has by then. As in the browser: a conflicting scene gets a fresh interpreter holding only its own
    pins; otherwise its pins join the interpreter's."""
    found = []
    loaded: dict[str, tuple[str, str]] = {}  # name -> (version, the scene that loaded it)
    for scene in scenes:
        if not isinstance(scene, GymScene) or scene.on_server:
            continue
        pins = pins_of(scene.packages)
        clashes = [
            PinConflict(loaded[name][1], scene.scene_id, name, loaded[name][0], version)
            for name, version in pins.items()
            if name in loaded and loaded[name][0] != version
        ]
        found.extend(clashes)
        if clashes:
            loaded = {}
        loaded.update({name: (version, scene.scene_id) for name, version in pins.items()})
    return found
