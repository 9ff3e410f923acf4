"""Fill the wheelhouse with the pure-Python wheels (and their dependencies) the gym scenes install in Pyodide."""

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
from experiments.definition.scenes import Scene
from experiments.definition.stager import iter_nodes
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


def scene_requirements() -> list[str]:
    """Every package listed by a scene (`packages`) of a configured experiment, in order, without repeats."""
    requirements: list[str] = []
    for experiment in registry.all_experiments().values():
        for node in iter_nodes(experiment.stager):
            if isinstance(node, Scene):
                requirements += [r for r in getattr(node, "packages", []) if r not in requirements]
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
    help = "Download pure-Python wheels for Pyodide (Python 3.12) into the wheelhouse, with their dependencies."

    def add_arguments(self, parser):
        parser.add_argument("requirements", nargs="*", help="default: the `packages` of every configured scene")
        parser.add_argument("--dest", type=Path, default=None, help="default: MUG_RUNTIME['WHEELHOUSE_DIR']")

    def handle(self, *args, requirements, dest, **options):
        runtime = getattr(settings, "MUG_RUNTIME", {})
        base = Path(settings.BASE_DIR)
        dest = Path(dest or runtime.get("WHEELHOUSE_DIR") or base / "var" / "wheelhouse")
        provided = pyodide_provided(Path(runtime.get("PYODIDE_DIR") or base / "var" / "pyodide"))
        todo = [parse_requirement(r) for r in (requirements or scene_requirements())]
        if not todo:
            self.stdout.write("no requirements given and no scene lists `packages`; nothing to do")
            return
        dest.mkdir(parents=True, exist_ok=True)
        done: set[str] = set()
        downloaded = 0
        while todo:
            requirement = todo.pop(0)
            key = f"{normalize(requirement.name)}{requirement.specifier}[{','.join(sorted(requirement.extras))}]"
            if normalize(requirement.name) in provided or key in done:
                continue
            if requirement.marker is not None and not requirement.marker.evaluate({**PYODIDE_MARKERS, "extra": ""}):
                continue
            done.add(key)
            wheel = matching_wheel(dest, requirement)
            if wheel is None:
                wheel = self._download(requirement, dest)
                downloaded += 1
            todo += wheel_dependencies(wheel, frozenset(requirement.extras))
        summary = ", ".join(f"{name} ({', '.join(files)})" for name, files in sorted(projects(dest).items()))
        self.stdout.write(f"{downloaded} downloaded; wheelhouse {dest}: {summary}")

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
