"""A study package outside the project folder (on the server's path only through PYTHONPATH) ships its env's import
closure, its sibling local package included, and nothing else of it; an env that lists no `packages` gets the
distributions it imports, pinned. Asked of a real Daphne by a participant's plain HTTP client (issue 19)."""

from __future__ import annotations

import html
import importlib.metadata
import json
import os
import re

import pytest

from testkit.plainhttp import Browser
from testkit.servers import production_daphne
from testkit.shipping_experiments import EXTERNAL_LABEL, EXTERNAL_SLUG, write_external_study

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

JSON_SCRIPT = r'<script[^>]*id="{}"[^>]*>(.*?)</script>'


def runtime_config(browser: Browser, slug: str) -> dict:
    page = browser.get(f"/x/{slug}/flow/").text
    match = re.search(JSON_SCRIPT.format("mug-runtime"), page, re.S)
    assert match, "no game runtime on the page"
    return json.loads(html.unescape(match.group(1)))


def test_a_study_outside_the_project_ships_its_closure_and_its_imports_become_packages(tmp_path):
    outside = tmp_path / "elsewhere"  # not under the project folder
    path = write_external_study(outside)
    python_path = os.pathsep.join(filter(None, [str(outside), os.environ.get("PYTHONPATH", "")]))
    experiments = [path, "testkit.shipping_experiments:pz_noship"]
    with production_daphne(tmp_path, experiments, PYTHONPATH=python_path) as server:
        player = Browser(server.url)
        player.enter(EXTERNAL_SLUG, PROLIFIC_PID="outside")
        config = runtime_config(player, EXTERNAL_SLUG)
        reply = player.get(config["bundle_url"])
        assert reply.status == 200
        files = reply.json()["files"]
        shipped = {name for name in files if not name.startswith("mug/")}
        assert shipped == {"extstudy/__init__.py", "extstudy/env.py", "extshapes/__init__.py", "extshapes/marks.py"}
        assert EXTERNAL_LABEL in files["extshapes/marks.py"]
        assert "EXT-SECRET-CODE" not in reply.text  # extstudy/secret.py and the experiment stay on the server
        assert "gymnasium==1.4.0" in config["packages"]

        walker = Browser(server.url)
        walker.enter("pz-noship", PROLIFIC_PID="noship")
        packages = runtime_config(walker, "pz-noship")["packages"]
        assert f"pettingzoo=={importlib.metadata.version('pettingzoo')}" in packages  # the scene lists no packages
