"""What a browser episode ran in, recorded when it begins: the code bundle by content (RecordedBundle: files, loop
configuration, packages), the Pyodide version and the hash of every package file browsers install, so a later
replay runs the recorded code, not whatever the study's files say now."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from packaging.requirements import InvalidRequirement, Requirement

from experiments.definition.gym_scene import GymScene
from experiments.definition.runtime_bundle import scene_bundle, scene_packages
from experiments.gamedata.models import RecordedBundle

ALWAYS = ("numpy", "micropip", "packaging")  # what the game worker boots with, whatever the scene asks for


def scene_provenance(scene: GymScene) -> dict[str, Any]:
    """The episode's `provenance` for a browser game scene (its bundle stored once by key); {} for server games,
    which run this server's own Python and are verified where they ran."""
    if scene.on_server:
        return {}
    bundle = scene_bundle(scene)
    packages = list(scene_packages(scene).requirements)
    loop = scene.loop_config()
    key = bundle_key(bundle.code_hash, loop, packages)
    if not RecordedBundle.objects.filter(pk=key).exists():  # written once, then only referenced
        RecordedBundle.objects.get_or_create(
            key=key, defaults={"code_hash": bundle.code_hash, "files": bundle.files, "loop": loop, "packages": packages}
        )
    runtime = settings.MUG_RUNTIME
    return {
        "bundle": key,
        "code_hash": bundle.code_hash,
        "group": scene.netcode is not None,  # replayed from the relay's input log
        "pyodide_url": runtime["PYODIDE_URL"],
        **runtime_files(packages),
    }


def runtime_files(packages: list[str]) -> dict[str, Any]:
    """The Pyodide version and package files (with hashes) this server would serve for these packages now."""
    return _pyodide_files(Path(settings.MUG_RUNTIME["PYODIDE_DIR"]), tuple(packages))


def bundle_key(code_hash: str, loop: dict, packages: list[str]) -> str:
    text = json.dumps({"code": code_hash, "loop": loop, "packages": packages}, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _name(text: str) -> str:
    try:
        return re.sub(r"[-_.]+", "-", Requirement(text).name).lower()
    except InvalidRequirement:
        return text.lower()


def _pyodide_files(pyodide_dir: Path, packages: tuple[str, ...]) -> dict[str, Any]:
    lock = pyodide_dir / "pyodide-lock.json"
    wheelhouse = Path(settings.MUG_RUNTIME["WHEELHOUSE_DIR"])
    try:
        stamp = (lock.stat().st_mtime_ns, wheelhouse.stat().st_mtime_ns if wheelhouse.is_dir() else 0)
    except OSError:
        stamp = (0, 0)
    return _pyodide_files_cached(pyodide_dir, wheelhouse, packages, stamp)


@functools.lru_cache(maxsize=32)
def _pyodide_files_cached(pyodide_dir: Path, wheelhouse: Path, packages: tuple[str, ...], stamp) -> dict[str, Any]:
    """The Pyodide version and, per installed package file, its sha256 (the lock's for Pyodide's own packages, the
    file's for the wheelhouse's), read again only when the lock or the wheelhouse changes."""
    lock = pyodide_dir / "pyodide-lock.json"
    data = json.loads(lock.read_text(encoding="utf-8")) if lock.is_file() else {}
    entries = {re.sub(r"[-_.]+", "-", name).lower(): entry for name, entry in data.get("packages", {}).items()}
    wanted = {_name(text) for text in (*ALWAYS, *packages)}
    hashes = {}
    for name in sorted(wanted):
        if name in entries:
            hashes[entries[name]["file_name"]] = entries[name].get("sha256", "")
    for wheel in sorted(wheelhouse.glob("*.whl")) if wheelhouse.is_dir() else []:
        if re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower() in wanted:
            hashes[wheel.name] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return {
        "pyodide": data.get("info", {}).get("version", ""),
        "python": data.get("info", {}).get("python", ""),
        "packages": list(packages),
        "package_hashes": hashes,
    }
