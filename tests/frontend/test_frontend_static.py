"""Static files in production: `collectstatic` gives every page and worker module a content-hashed name and points
their imports at hashed names, and a production Daphne serves a game page whose whole module graph (the pages'
modules, the game worker's, what they import) comes from one deploy: every URL hashed, every one a 200."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from testkit.fixture_experiments import PATHS
from testkit.plainhttp import Browser
from testkit.servers import PRODUCTION_SECRET_KEY, production_daphne

ROOT = Path(__file__).resolve().parents[2]
HASHED = re.compile(r"\.[0-9a-f]{12}\.js$")
# Relative module specifiers: `import x from "./a.js";`, `export { y } from "./b.js";`, `import "./c.js";`,
# `import("./d.js")`
IMPORTS = [
    re.compile(r"""\b(?:import|export)\b[^;"']*?\bfrom\s*["']([./][^"']*)["']"""),
    re.compile(r"""\bimport\s*["']([./][^"']*)["']"""),
    re.compile(r"""(?<![\w$.])import\(\s*["']([./][^"']*)["']\s*\)"""),
]
MODULE_SCRIPT = re.compile(r'<script type="module" src="([^"]+)"')
WORKER_META = re.compile(r'<meta name="mug-worker" content="([^"]+)"')


def imports_of(source: str) -> list[str]:
    return [specifier for pattern in IMPORTS for specifier in pattern.findall(source)]


def source_name(url: str) -> str:
    """ "/static/frontend/js/page/game.0123456789ab.js" -> "page/game.js"."""
    folder, name = urlsplit(url).path.split("/")[-2:]
    return f"{folder}/{HASHED.sub('.js', name)}"


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    """`manage.py collectstatic` with the production storage (DEBUG off) into a fresh STATIC_ROOT. Pyodide and
    onnxruntime-web are left out to keep it quick: pages name neither with {% static %} (their URLs are settings)."""
    root = tmp_path_factory.mktemp("staticfiles")
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": PRODUCTION_SECRET_KEY, "STATIC_ROOT": str(root)}
    env["MUG_PYODIDE_DIR"] = str(tmp_path_factory.mktemp("no-pyodide"))
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0", "--ignore", "ort*"]
    subprocess.run(command, env=env, cwd=ROOT, check=True, timeout=600)
    return root


def test_collected_modules_import_only_hashed_modules_that_exist(collected):
    manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
    sources = sorted((ROOT / "frontend/static").rglob("*.js"))
    assert sources
    checked = 0
    for source in sources:
        name = str(source.relative_to(ROOT / "frontend/static"))
        hashed = collected / manifest[name]
        assert HASHED.search(hashed.name), name
        for specifier in imports_of(hashed.read_text()):
            target = (hashed.parent / specifier).resolve()
            assert HASHED.search(target.name), f"{manifest[name]} imports {specifier}: not a hashed name"
            assert target.is_file(), f"{manifest[name]} imports {specifier}: no such file"
            checked += 1
    assert checked > len(sources)  # the modules do import each other (and the pattern finds it)


def test_the_worker_and_the_dynamic_imports_resolve_to_hashed_modules(collected):
    manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
    assert HASHED.search(manifest["frontend/js/worker/main.js"])
    screening = (collected / manifest["frontend/js/page/screening.js"]).read_text()
    assert re.search(r'import\("\./runtime\.[0-9a-f]{12}\.js"\)', screening)  # loaded only when a pre-flight runs
    worker = (collected / manifest["frontend/js/worker/main.js"]).read_text()
    assert 'pyimport("mug.loop")' in worker  # a Python import by name, not a file: left as it is


def test_a_production_server_serves_a_game_page_whose_modules_all_have_hashed_names(
    collected, tmp_path, transactional_db
):
    with production_daphne(tmp_path, PATHS, STATIC_ROOT=str(collected)) as server:
        browser = Browser(server.url)
        page = browser.enter("game")
        assert page.status == 200 and 'id="mug-runtime"' in page.text
        entries = MODULE_SCRIPT.findall(page.text) + WORKER_META.findall(page.text)
        assert len(entries) == 2  # the flow's module and the game worker
        seen: dict[str, int] = {}
        pending = [urljoin(page.url, entry) for entry in entries]
        while pending:
            url = pending.pop()
            if url in seen:
                continue
            reply = browser.get(url)
            seen[url] = reply.status
            assert HASHED.search(urlsplit(url).path), f"{url}: not a hashed name"
            if reply.status == 200:
                assert "javascript" in reply.headers.get("Content-Type", ""), url
                pending += [urljoin(url, specifier) for specifier in imports_of(reply.text)]
    assert {url: status for url, status in seen.items() if status != 200} == {}
    served = {source_name(url) for url in seen}
    for module in ("page/flow.js", "page/game.js", "page/waitroom.js", "worker/main.js", "worker/netclient.js"):
        assert module in served
