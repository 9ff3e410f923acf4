"""The Python files the browser runs for a gym scene: the `mug` package plus the env's own package."""

from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from experiments.gym_scene import MUG_PACKAGE_DIR, GymScene, code_hash

# A module that imports Django or the experiments app is server-side (e.g. the experiment definition).
SERVER_ONLY = re.compile(r"^\s*(from|import)\s+(django|experiments)\b", re.M)


@dataclass(frozen=True)
class Bundle:
    files: dict[str, str]  # path relative to the browser's site dir -> source
    code_hash: str


def scene_bundle(scene: GymScene) -> Bundle:
    return _bundle(tuple(scene.shipped_modules()))


@functools.lru_cache(maxsize=64)
def _bundle(modules: tuple[str, ...]) -> Bundle:
    files = _package_files(MUG_PACKAGE_DIR, "mug")
    for module in modules:
        files.update(_module_files(module))
    return Bundle(files=files, code_hash=code_hash(files))


def _module_files(module: str) -> dict[str, str]:
    """A module or package's .py files, plus the __init__.py of every enclosing package."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise LookupError(f"cannot find module {module!r} to ship to the browser")
    origin = Path(spec.origin)
    base = Path(settings.BASE_DIR)
    files: dict[str, str] = {}
    if spec.submodule_search_locations:
        files.update(_package_files(origin.parent, module.replace(".", "/")))
    else:
        files[module.replace(".", "/") + ".py"] = origin.read_text(encoding="utf-8")
    parts = module.split(".")
    for depth in range(1, len(parts)):
        init = base.joinpath(*parts[:depth], "__init__.py")
        if init.is_file():
            files["/".join(parts[:depth]) + "/__init__.py"] = init.read_text(encoding="utf-8")
    return files


def _package_files(directory: Path, prefix: str) -> dict[str, str]:
    """A package's modules, leaving out tests and server-only modules (the experiment definitions)."""
    files = {}
    for path in sorted(directory.rglob("*.py")):
        if "__pycache__" in path.parts or "tests" in path.relative_to(directory).parts:
            continue
        source = path.read_text(encoding="utf-8")
        if SERVER_ONLY.search(source):
            continue
        files[f"{prefix}/{path.relative_to(directory).as_posix()}"] = source
    return files
