"""`bin/demo` documents PORT, serves on it, and prints a working link for every configured study (the lander and
the two-player study included) and the admin's."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import requests

from testkit.demo import ROOT, demo_server

pytestmark = pytest.mark.system


def _get(url: str) -> tuple[int, str]:
    response = requests.get(url, timeout=60)
    return response.status_code, response.text


def test_bin_demo_documents_port():
    script = (ROOT / "bin" / "demo").read_text()
    assert "PORT" in script.split("set -euo pipefail")[0]  # in the header a researcher reads


def test_the_demo_prints_a_working_link_for_every_configured_study(tmp_path: Path):
    modules = sorted((ROOT / "examples").glob("*/experiment.py"))
    configured = {importlib.import_module(f"examples.{m.parent.name}.experiment").experiment.slug for m in modules}
    with demo_server(tmp_path) as demo:
        links = demo.links()
        assert {"lander", "pair"} <= set(links), demo.text()
        assert set(links) == configured  # every study in examples/, the defaults of MUG_EXPERIMENTS
        for slug, link in links.items():
            assert link == f"{demo.url}/x/{slug}/"  # on the PORT asked for
            status, html = _get(link)
            assert status == 200 and "data-entry-start" in html, slug
        assert f"{demo.url}/admin/" in demo.text()
        assert _get(f"{demo.url}/admin/login/")[0] == 200
