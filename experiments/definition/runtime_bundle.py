"""The Python files the browser runs for a gym scene: the `mug` package plus the import closure of the env (and of
its Python policies): only the local modules they import (wherever they live on the path), never the rest of their
package; and the packages the browser installs for it. Every shipped file is readable by each participant who gets
the scene."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from experiments.definition.gym_scene import MUG_PACKAGE_DIR, GymScene, code_hash
from experiments.definition.import_closure import ClosureError, closure_of
from experiments.definition.package_resolution import Resolution, availability_problems, pyodide_set, resolve

__all__ = ["Bundle", "ClosureError", "package_problems", "scene_bundle", "scene_packages"]

# A mug module that imports Django or the experiments app is server-side.
SERVER_ONLY = re.compile(r"^\s*(from|import)\s+(django|experiments)\b", re.M)


@dataclass(frozen=True)
class Bundle:
    files: dict[str, str]  # path relative to the browser's site dir -> source
    code_hash: str
    installed: frozenset[str] = frozenset()  # top-level names of installed packages the shipped code imports


def scene_bundle(scene: GymScene) -> Bundle:
    """The scene's files; raises ClosureError when an import cannot be resolved or cannot run in a browser (a
    server-side scene's hash covers the same closure, server imports allowed)."""
    return _bundle(tuple(scene.shipped_modules()), not scene.on_server)


@functools.lru_cache(maxsize=64)
def _bundle(modules: tuple[str, ...], browser: bool) -> Bundle:
    files = _package_files(MUG_PACKAGE_DIR, "mug")
    closure = closure_of(list(modules), Path(settings.BASE_DIR), MUG_PACKAGE_DIR, browser=browser)
    files.update({path: source.read_text(encoding="utf-8") for path, source in sorted(closure.files.items())})
    return Bundle(files=files, code_hash=code_hash(files), installed=closure.installed)


def scene_packages(scene: GymScene) -> Resolution:
    """What the browser installs for the scene: its `packages` plus the installed distributions its shipped code
    imports, pinned (package_resolution.resolve); `problems` names conflicts. Raises ClosureError like scene_bundle."""
    runtime = settings.MUG_RUNTIME
    pyodide = pyodide_set(runtime["PYODIDE_URL"], Path(runtime["PYODIDE_DIR"]))
    return resolve(list(scene.packages), scene_bundle(scene).installed, pyodide)


def package_problems(scene: GymScene) -> list[str]:
    """Why browsers could not install the scene's packages from the configured Pyodide and wheelhouse (empty when
    they can): conflicts, Pyodide-built packages a self-hosted Pyodide lacks, wheels not fetched."""
    runtime = settings.MUG_RUNTIME
    pyodide = pyodide_set(runtime["PYODIDE_URL"], Path(runtime["PYODIDE_DIR"]))
    resolution = resolve(list(scene.packages), scene_bundle(scene).installed, pyodide)
    wheelhouse = Path(runtime["WHEELHOUSE_DIR"])
    return [*resolution.problems, *availability_problems(resolution.requirements, pyodide, wheelhouse)]


def _package_files(directory: Path, prefix: str) -> dict[str, str]:
    """A package's modules, leaving out tests and server-only modules."""
    files = {}
    for path in sorted(directory.rglob("*.py")):
        if "__pycache__" in path.parts or "tests" in path.relative_to(directory).parts:
            continue
        source = path.read_text(encoding="utf-8")
        if SERVER_ONLY.search(source):
            continue
        files[f"{prefix}/{path.relative_to(directory).as_posix()}"] = source
    return files
