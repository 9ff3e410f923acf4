"""Tiny pure-Python wheels built on the spot, and a test's own wheelhouse: the shared one plus those wheels (two
versions of one package, which the shared wheelhouse never has, for the package-conflict tests)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(directory: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    """A py3-none-any wheel of package `name` whose module says its version (`name.__version__`), depending on
    `requires` (requirement strings)."""
    info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    files = {
        f"{name}/__init__.py": f'"""A test package."""\n\n__version__ = "{version}"\n'.encode(),
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: testkit\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [_record_line(path, data) for path, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return path


def wheelhouse_with(directory: Path, shared: Path, wheels: list[tuple[str, str, tuple[str, ...]]]) -> Path:
    """`directory` filled with links to every wheel of the `shared` wheelhouse and the built `wheels`
    ((name, version, requires) each)."""
    directory.mkdir(parents=True, exist_ok=True)
    for wheel in sorted(shared.glob("*.whl")):
        (directory / wheel.name).symlink_to(wheel.resolve())
    for name, version, requires in wheels:
        build_wheel(directory, name, version, requires)
    return directory
