"""The env pre-flight in the participants' interpreter: each browser game's exact bundle and packages in the
self-hosted Pyodide under Node.js (MUG_PREFLIGHT=pyodide), cached by code hash and package set, with a warning when
it falls back to native."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks

from experiments.definition import pyodide_preflight, registry

pytestmark = pytest.mark.system  # starts Node.js processes

ROOT = Path(__file__).resolve().parents[2]
PATH = "testkit.preflight_experiments:"
SELF_HOSTED = "/static/pyodide/"


@pytest.fixture
def in_pyodide(settings, tmp_path, monkeypatch):
    """The pre-flight in the self-hosted Pyodide, with a cache of its own."""
    settings.MUG_PREFLIGHT = "pyodide"
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": SELF_HOSTED}
    monkeypatch.setattr(pyodide_preflight, "cache_dir", lambda: tmp_path / "preflight")
    return tmp_path / "preflight"


def use(settings, *names: str) -> None:
    settings.MUG = {**settings.MUG, "EXPERIMENTS": [PATH + name for name in names]}


def messages(prefix: str = "experiments.") -> list:
    return [message for message in checks.run_checks() if message.id.startswith(prefix)]


def test_bundles_that_work_natively_but_not_in_pyodide_are_refused_and_good_ones_pass(settings, in_pyodide):
    use(settings, "tag_ok", "browser_only_fail", "missing_package", "tag_pair", "rgb_only")
    assert len(registry.all_experiments()) == 5  # every one of them passes natively
    found = messages()
    assert {message.id for message in found} == {"experiments.E193"}
    by_study = {message.msg.split("'")[1]: message.msg for message in found}
    # missing-package passes: the pre-flight installs what browsers install, its automatic pettingzoo pin included
    assert set(by_study) == {"browser-only-fail"}
    assert "gym scene 'play' in Pyodide" in by_study["browser-only-fail"]
    assert "No module named 'sqlite3'" in by_study["browser-only-fail"] and "Fix:" in by_study["browser-only-fail"]
    # the four that passed (tag-pair with its rollback self-test); missing-package now installs exactly tag-ok's
    # packages for the same env, so both share one entry
    assert len(list(in_pyodide.glob("*.json"))) == 3


def test_a_scene_that_passed_is_not_tried_again(settings, in_pyodide):
    use(settings, "tag_ok")
    assert messages() == []
    jobs = pyodide_preflight.scene_jobs(registry.all_experiments())
    node, pyodide_dir = pyodide_preflight.runtime()
    # With no Node at all, the answer still comes: from the cache (same code, packages and runtime files).
    outcome = pyodide_preflight.run(jobs, "/nonexistent/node", pyodide_dir, in_pyodide)
    assert outcome.cached == {"tag-ok:play"} and not outcome.ran and not outcome.failures
    # A changed package set is another key: tried again (here it fails, since no Node runs it).
    jobs[0].packages = [*jobs[0].packages, "cloudpickle==3.1.3"]
    with pytest.raises(FileNotFoundError):
        pyodide_preflight.run(jobs, "/nonexistent/node", pyodide_dir, in_pyodide)


def test_manage_check_lists_the_pyodide_failure_without_a_traceback():
    env = {
        **os.environ,
        "MUG_EXPERIMENTS": PATH + "browser_only_fail",
        "MUG_PREFLIGHT": "pyodide",
        "MUG_PYODIDE_URL": SELF_HOSTED,
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode != 0
    assert "experiments.E193" in result.stderr and "No module named 'sqlite3'" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_the_self_hosted_pyodide_it_says_it_fell_back_to_native(settings, tmp_path):
    settings.MUG_PREFLIGHT = "pyodide"
    use(settings, "rgb_only")
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "https://cdn.jsdelivr.net/pyodide/v0.27.7/full/"}
    [warning] = messages()
    assert warning.id == "experiments.W193" and "fell back to native" in warning.msg and "cdn.jsdelivr" in warning.msg
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": SELF_HOSTED, "PYODIDE_DIR": tmp_path / "none"}
    [warning] = messages()
    assert warning.id == "experiments.W193" and "no self-hosted Pyodide" in warning.msg


def test_native_and_off_say_nothing_and_a_wrong_mode_is_an_error(settings):
    use(settings, "rgb_only")
    for mode in ("native", "off"):
        settings.MUG_PREFLIGHT = mode
        assert messages() == []
    settings.MUG_PREFLIGHT = "wasm"
    [error] = messages()
    assert error.id == "experiments.E194" and "pyodide, native, off" in error.msg
