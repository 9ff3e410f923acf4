"""Fill the wheelhouse with the pure-Python wheels (and their dependencies) the gym scenes install in Pyodide.

Scene by scene: a package that cannot be fetched (no pure-Python wheel) or that only Pyodide builds and the
self-hosted Pyodide lacks is reported for the scenes that need it, and the other scenes' wheels are still fetched;
the exit status is non-zero and the message names the scenes that cannot run in browsers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from packaging.requirements import InvalidRequirement, Requirement

from experiments.definition import registry
from experiments.definition.gym_scene import GymScene
from experiments.definition.package_resolution import pyodide_set
from experiments.definition.runtime_bundle import ClosureError, scene_packages
from experiments.gamedata.wheelhouse import normalize, projects

# What Pyodide 0.27.7 (CPython 3.12.7 on Emscripten) looks like to a wheel's environment markers.
PYODIDE_MARKERS = {
    "python_version": "3.12",
    "python_full_version": "3.12.7",
    "sys_platform": "emscripten",
    "platform_system": "Emscripten",
    "platform_machine": "wasm32",
    "platform_release": "3.1.58",
    "platform_version": "",
    "implementation_name": "cpython",
    "implementation_version": "3.12.7",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
}
# Always loaded from Pyodide's own folder (fetch_pyodide), never from the wheelhouse.
DEFAULT_PROVIDED = frozenset({"numpy", "micropip", "packaging"})


def scene_groups() -> list[tuple[str, list[str]]]:
    """(experiment/scene, requirements) of every browser game of a configured experiment: its `packages` plus the
    installed distributions its code imports (runtime_bundle.scene_packages), its PlayWithAI variant's included."""
    groups: list[tuple[str, list[str]]] = []
    for experiment in registry.all_experiments().values():
        for scene in experiment.scenes():
            if not isinstance(scene, GymScene) or scene.on_server:
                continue  # the server runs a server-side game natively: no wheels
            requirements: list[str] = []
            for variant in filter(None, (scene, scene.solo_variant())):
                try:
                    found = list(scene_packages(variant).requirements)
                except ClosureError:
                    found = list(variant.packages)  # experiments.E002 says why its code cannot ship
                requirements += [r for r in found if r not in requirements]
            groups.append((f"{experiment.slug}/{scene.scene_id}", requirements))
    return groups


def scene_requirements() -> list[str]:
    """Every package a browser game of a configured experiment installs, in order, without repeats."""
    requirements: list[str] = []
    for _, found in scene_groups():
        requirements += [r for r in found if r not in requirements]
    return requirements


def pyodide_provided(pyodide_dir: Path | None) -> set[str]:
    """Packages Pyodide itself serves: lock entries whose wheel is in the folder (plus numpy, micropip, packaging).

    A lock entry whose wheel is not there (a self-hosted Pyodide carries only a few) must come from the
    wheelhouse: with `index_urls` set, micropip asks the index first and falls back to the lock only on a 404.
    """
    provided = set(DEFAULT_PROVIDED)
    lock_path = pyodide_dir / "pyodide-lock.json" if pyodide_dir else None
    if lock_path and lock_path.is_file():
        for name, entry in json.loads(lock_path.read_text()).get("packages", {}).items():
            if (pyodide_dir / entry.get("file_name", "?")).is_file():
                provided.add(normalize(name))
    return provided


def parse_requirement(text: str) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as error:
        raise CommandError(f"not a valid requirement: {text!r} ({error})") from None


def wheel_dependencies(wheel: Path, extras: frozenset[str] = frozenset()) -> list[Requirement]:
    """The wheel's Requires-Dist entries that apply inside Pyodide, for the requested `extras` only."""
    with zipfile.ZipFile(wheel) as archive:
        name = next((n for n in archive.namelist() if n.endswith(".dist-info/METADATA")), None)
        if name is None:
            raise CommandError(f"{wheel.name} has no .dist-info/METADATA")
        metadata = Parser().parsestr(archive.read(name).decode("utf-8"))
    found = []
    for line in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({**PYODIDE_MARKERS, "extra": e}) for e in {"", *extras}):
            requirement.marker = None
            found.append(requirement)
    return found


def matching_wheel(dest: Path, requirement: Requirement) -> Path | None:
    """A wheel already in `dest` that satisfies the requirement's version specifier."""
    for filename in projects(dest).get(normalize(requirement.name), []):
        if requirement.specifier.contains(filename.split("-")[1], prereleases=True):
            return dest / filename
    return None


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # provisioning; the deploy warnings are not relevant here
    help = (
        "Download pure-Python wheels for Pyodide (Python 3.12) into the wheelhouse, with their dependencies, scene by "
        "scene; exits non-zero naming the scenes whose packages cannot be provided (the others are fetched)."
    )

    def add_arguments(self, parser):
        parser.add_argument("requirements", nargs="*", help="default: the packages of every configured browser game")
        parser.add_argument("--dest", type=Path, default=None, help="default: MUG_RUNTIME['WHEELHOUSE_DIR']")

    def handle(self, *args, requirements, dest, **options):
        runtime = getattr(settings, "MUG_RUNTIME", {})
        base = Path(settings.BASE_DIR)
        dest = Path(dest or runtime.get("WHEELHOUSE_DIR") or base / "var" / "wheelhouse")
        pyodide_dir = Path(runtime.get("PYODIDE_DIR") or base / "var" / "pyodide")
        self.provided = pyodide_provided(pyodide_dir)
        self.pyodide = pyodide_set(runtime.get("PYODIDE_URL", ""), pyodide_dir)
        groups = [("the command line", list(requirements))] if requirements else scene_groups()
        groups = [(label, found) for label, found in groups if found]
        if not groups:
            self.stdout.write("no requirements given and no scene lists `packages`; nothing to do")
            return
        dest.mkdir(parents=True, exist_ok=True)
        self.downloaded, self.failed = 0, {}  # failed: requirement key -> why (tried once for every scene)
        cannot: dict[str, list[str]] = {}
        for label, found in groups:
            reasons = self._fetch_group([parse_requirement(r) for r in found], dest)
            if reasons:
                cannot[label] = reasons
                self.stderr.write(f"{label} cannot run in browsers: {'; '.join(reasons)}")
        summary = ", ".join(f"{name} ({', '.join(files)})" for name, files in sorted(projects(dest).items()))
        self.stdout.write(f"{self.downloaded} downloaded; wheelhouse {dest}: {summary}")
        if cannot:
            ready = len(groups) - len(cannot)
            raise CommandError(
                f"{len(cannot)} of {len(groups)} scene(s) cannot run in browsers ({ready} ready): "
                + "; ".join(f"{label}: {', '.join(reasons)}" for label, reasons in cannot.items())
            )

    def _fetch_group(self, todo: list[Requirement], dest: Path) -> list[str]:
        """Fetch one scene's requirements with their dependencies; why any of them cannot be provided."""
        seen: set[str] = set()
        reasons: list[str] = []
        while todo:
            requirement = todo.pop(0)
            name = normalize(requirement.name)
            key = f"{name}{requirement.specifier}[{','.join(sorted(requirement.extras))}]"
            if name in self.provided or key in seen:
                continue
            if requirement.marker is not None and not requirement.marker.evaluate({**PYODIDE_MARKERS, "extra": ""}):
                continue
            seen.add(key)
            if self.pyodide.is_binary(name):
                lacking = self.pyodide.lacking(name)
                if lacking:  # loaded from Pyodide's own set, by name: no wheel of ours can stand in
                    reasons.append(
                        f"{requirement} is built by Pyodide and the self-hosted Pyodide lacks {', '.join(lacking)} "
                        "(serve Pyodide from its CDN, `fetch_pyodide --extras NAME`, or runs_on='server')"
                    )
                continue
            if key in self.failed:
                reasons.append(self.failed[key])
                continue
            wheel = matching_wheel(dest, requirement)
            if wheel is None:
                try:
                    wheel = self._download(requirement, dest)
                except CommandError as error:
                    self.failed[key] = str(error)
                    reasons.append(str(error))
                    continue
                self.downloaded += 1
            todo += wheel_dependencies(wheel, frozenset(requirement.extras))
        return reasons

    def _download(self, requirement: Requirement, dest: Path) -> Path:
        with tempfile.TemporaryDirectory(prefix="mug-wheels-") as work:
            command = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--disable-pip-version-check",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                "3.12",
                "--implementation",
                "py",
                "--abi",
                "none",
                "--platform",
                "any",
                "-d",
                work,
                str(requirement),
            ]
            try:
                result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603
            except subprocess.TimeoutExpired:
                raise CommandError(f"pip download {requirement} took longer than 10 minutes") from None
            if result.returncode != 0:
                raise CommandError(f"no pure-Python wheel for {requirement}: {result.stderr.strip()[-600:]}")
            wheel = next(Path(work).glob("*.whl"), None)
            if wheel is None:
                raise CommandError(f"pip download {requirement} produced no wheel")
            shutil.copyfile(wheel, dest / wheel.name)
        self.stdout.write(f"downloaded {wheel.name}")
        return dest / wheel.name
