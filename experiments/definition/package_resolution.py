"""What a browser game installs and where from: the researcher's `packages` plus every installed distribution its
shipped code imports (pinned at the server's version), Pyodide-built packages by name from Pyodide's own set, and
what the configured Pyodide or the wheelhouse lacks (a load-time error per scene, never a participant's failure)."""

from __future__ import annotations

import functools
import importlib.metadata
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement

# Loaded from Pyodide's own folder at boot (fetch_pyodide provisions them), never from the wheelhouse.
PYODIDE_BOOT = frozenset({"numpy", "micropip", "packaging"})
PURE_WHEEL = re.compile(r"-(py3|py2\.py3)-none-any\.whl$")
FETCH_WHEELS = "run `python manage.py fetch_wheels` (bin/setup does) to put it in the wheelhouse"


def normalize(name: str) -> str:
    """PEP 503 project name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_projects(directory: Path) -> dict[str, list[str]]:
    """{normalised project name: [wheel file names]} for the wheels in `directory`."""
    found: dict[str, list[str]] = {}
    if directory.is_dir():
        for path in sorted(directory.glob("*.whl")):
            if path.is_file():
                found.setdefault(normalize(path.name.split("-")[0]), []).append(path.name)
    return found


@dataclass(frozen=True)
class PyodideSet:
    """Pyodide's own packages (its pyodide-lock.json) and which of them the configured source can serve."""

    entries: dict[str, dict] = field(default_factory=dict)  # normalised lock name -> lock entry
    imports: dict[str, str] = field(default_factory=dict)  # top-level import name -> normalised lock name
    present: frozenset[str] = PYODIDE_BOOT  # lock names whose wheel the source serves
    folder: Path | None = None  # the self-hosted folder; None when Pyodide comes from a remote URL (the CDN)

    def is_binary(self, name: str) -> bool:
        """Pyodide built it (a wasm32 wheel): no registry wheel can stand in for it."""
        entry = self.entries.get(normalize(name))
        return entry is not None and not PURE_WHEEL.search(entry.get("file_name", ""))

    def lacking(self, name: str) -> list[str]:
        """The lock packages (the named one and its dependencies) that the source cannot serve."""
        todo, seen, missing = [normalize(name)], set(), []
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if current not in self.present:
                missing.append(current)
            todo += [normalize(d) for d in self.entries.get(current, {}).get("depends", [])]
        return sorted(missing)

    def version(self, name: str) -> str | None:
        return self.entries.get(normalize(name), {}).get("version")


def pyodide_set(pyodide_url: str, pyodide_dir: Path | None) -> PyodideSet:
    """The package set of the configured Pyodide: the whole lock from a remote URL (the CDN has every package);
    from the self-hosted folder only the lock entries whose wheel is in the folder. Read again only when the lock
    or the folder changes (`fetch_pyodide --extras` adds files)."""
    remote = urlsplit(pyodide_url).scheme in ("http", "https")
    try:
        stamp = (pyodide_dir.stat().st_mtime_ns, (pyodide_dir / "pyodide-lock.json").stat().st_mtime_ns)
    except (OSError, AttributeError):
        stamp = None  # no folder or no lock: only what Pyodide boots with
    return _pyodide_set(remote, pyodide_dir, stamp)


@functools.lru_cache(maxsize=8)
def _pyodide_set(remote: bool, folder: Path | None, stamp: tuple[int, int] | None) -> PyodideSet:
    try:
        packages = json.loads((folder / "pyodide-lock.json").read_text()).get("packages", {}) if stamp else {}
    except (OSError, ValueError, AttributeError):
        packages = {}
    entries = {normalize(name): entry for name, entry in packages.items() if isinstance(entry, dict)}
    imports = {module: name for name, entry in entries.items() for module in entry.get("imports", [])}
    if remote:
        return PyodideSet(entries, imports, frozenset(entries) | PYODIDE_BOOT, None)
    present = {name for name, entry in entries.items() if folder and (folder / entry.get("file_name", "?")).is_file()}
    return PyodideSet(entries, imports, frozenset(present) | PYODIDE_BOOT, folder)


@functools.lru_cache(maxsize=1)
def installed_distributions() -> dict[str, list[str]]:
    """{top-level import name: [distribution names]} of what the server has installed."""
    return importlib.metadata.packages_distributions()


def installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@dataclass(frozen=True)
class Resolution:
    requirements: tuple[str, ...]  # what the browser installs (micropip), in order
    problems: tuple[str, ...]  # why the scene cannot load in browsers as configured (each names the fix)


def resolve(declared: list[str], imported: frozenset[str], pyodide: PyodideSet) -> Resolution:
    """The researcher's `declared` requirements, then one for each installed distribution behind the `imported`
    top-level names: pinned at the server's version, or by name for what Pyodide itself builds (its version is the
    lock's). A declared requirement wins over the automatic pin; one that excludes the installed version is a
    problem (server and browsers would run different code)."""
    requirements, problems = list(declared), []
    by_name: dict[str, Requirement] = {}
    for text in declared:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            problems.append(f"packages: {text!r} is not a valid requirement ({error})")
            continue
        by_name[normalize(requirement.name)] = requirement
    for top in sorted(imported):
        lock_name = pyodide.imports.get(top)
        if lock_name and (lock_name in PYODIDE_BOOT or pyodide.is_binary(lock_name)):
            if lock_name not in by_name:
                by_name[lock_name] = Requirement(lock_name)
                requirements.append(lock_name)  # Pyodide's own build, whatever the server has installed
            continue
        for distribution in installed_distributions().get(top, []):
            name, version = normalize(distribution), installed_version(distribution)
            if version is None:
                continue
            given = by_name.get(name)
            if given is None:
                by_name[name] = Requirement(f"{distribution}=={version}")
                requirements.append(f"{distribution}=={version}")
            elif str(given.specifier) and not given.specifier.contains(version, prereleases=True):
                problems.append(
                    f"packages lists {str(given)!r} but the env's code imports {top!r} from {distribution} "
                    f"{version} as installed on the server ({distribution}=={version}): the browsers and the "
                    f"server would run different code; list {distribution}=={version} or install {given}"
                )
    return Resolution(tuple(requirements), tuple(problems))


def availability_problems(requirements: tuple[str, ...], pyodide: PyodideSet, wheelhouse: Path) -> list[str]:
    """Each requirement the browsers could not install: a Pyodide-built package the self-hosted Pyodide lacks, or
    a package neither in the wheelhouse nor in Pyodide's set."""
    problems = []
    wheels = wheel_projects(wheelhouse)
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue  # resolve() reported it
        name = normalize(requirement.name)
        if name in PYODIDE_BOOT:
            continue
        if pyodide.is_binary(name):
            lacking = pyodide.lacking(name)
            if lacking:
                problems.append(
                    f"{text} is built by Pyodide (not on PyPI as a pure-Python wheel) and the self-hosted Pyodide "
                    f"in {pyodide.folder} lacks {', '.join(lacking)}: serve Pyodide from its CDN (unset "
                    "MUG_PYODIDE_URL), add it with `python manage.py fetch_pyodide --extras NAME` where a "
                    "verified source exists, or run the scene on the server (runs_on='server')"
                )
            continue
        problems += [
            f"{text} needs {dependency}, which is built by Pyodide and the self-hosted Pyodide in {pyodide.folder} "
            f"lacks {', '.join(pyodide.lacking(dependency))}: serve Pyodide from its CDN (unset MUG_PYODIDE_URL), "
            "add it with `python manage.py fetch_pyodide --extras NAME` where a verified source exists, or run the "
            "scene on the server (runs_on='server')"
            for dependency in binary_dependencies(requirement.name, pyodide)
            if pyodide.lacking(dependency)
        ]
        if any(requirement.specifier.contains(w.split("-")[1], prereleases=True) for w in wheels.get(name, [])):
            continue
        served = name in pyodide.present and requirement.specifier.contains(pyodide.version(name) or "0", True)
        if not served:
            problems.append(
                f"{text} is in neither the wheelhouse ({wheelhouse}) nor Pyodide's package set: {FETCH_WHEELS}"
            )
    return problems


# What Pyodide 0.27.7 (CPython 3.12 on Emscripten) looks like to a dependency's environment markers.
PYODIDE_ENVIRONMENT = {"sys_platform": "emscripten", "platform_system": "Emscripten", "platform_machine": "wasm32"}
PYODIDE_ENVIRONMENT |= {"python_version": "3.12", "python_full_version": "3.12.7", "extra": ""}


def binary_dependencies(distribution: str, pyodide: PyodideSet) -> list[str]:
    """The Pyodide-built packages an installed pure-Python distribution needs, directly or through its installed
    pure-Python dependencies (slimevb needs opencv-python): micropip would fail on them in every browser."""
    todo, seen, found = [distribution], set(), []
    while todo:
        current = todo.pop()
        if normalize(current) in seen:
            continue
        seen.add(normalize(current))
        try:
            requires = importlib.metadata.requires(current) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is not None and not requirement.marker.evaluate(PYODIDE_ENVIRONMENT):
                continue
            name = normalize(requirement.name)
            if name in PYODIDE_BOOT or name in seen:
                continue
            if pyodide.is_binary(name):
                found.append(name) if name not in found else None
            else:
                todo.append(requirement.name)
    return found
