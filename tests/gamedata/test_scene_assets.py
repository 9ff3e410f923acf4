"""A study's own image files (GymScene.assets) served by a real Daphne to plain HTTP clients: each declared file at
its content-hashed URL, with its own content type and immutable caching, to the participants whose games declare it;
everything else (undeclared files of the study's folder, wrong hashes or names, traversal, another study) is a 404
or, without a participant session, a 403."""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path

import pytest

from testkit.plainhttp import Browser
from testkit.servers import production_daphne

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

STUDY_DIR = Path(__file__).resolve().parents[2] / "testkit"
EXPERIMENTS = ["testkit.asset_experiments:sprite_assets", "testkit.fixture_experiments:game"]
JSON_SCRIPT = re.compile(r'<script[^>]*id="mug-runtime"[^>]*>(.*?)</script>', re.S)


def runtime_config(browser: Browser, slug: str) -> dict:
    match = JSON_SCRIPT.search(browser.get(f"/x/{slug}/flow/").text)
    assert match, "no game runtime on the page"
    return json.loads(html.unescape(match.group(1)))


def sha256(relative: str) -> str:
    return hashlib.sha256((STUDY_DIR / relative).read_bytes()).hexdigest()


@pytest.fixture
def server(tmp_path, transactional_db):
    with production_daphne(tmp_path, EXPERIMENTS) as daphne:
        yield daphne


def test_each_declared_file_is_served_at_its_hash_with_its_type_and_immutable_caching(server):
    player = Browser(server.url)
    player.enter("sprite-assets", PROLIFIC_PID="cook")
    assets = {asset["name"]: asset for asset in runtime_config(player, "sprite-assets")["assets"]}
    assert set(assets) == {"chef", "tiles"} and assets["tiles"]["kind"] == "atlas"
    expected = {
        assets["chef"]["url"]: ("assets/chef.png", "image/png"),
        assets["tiles"]["url"]: ("assets/tiles.png", "image/png"),
        assets["tiles"]["atlas_url"]: ("assets/tiles.json", "application/json"),
    }
    for url, (relative, content_type) in expected.items():
        assert url == f"/x/sprite-assets/assets/{sha256(relative)}/{Path(relative).name}"
        reply = player.get(url)
        assert reply.status == 200, (url, reply.status)
        assert reply.body == (STUDY_DIR / relative).read_bytes()
        assert reply.headers["Content-Type"] == content_type
        assert reply.headers["Cache-Control"] == "private, max-age=31536000, immutable"
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert player.request("POST", assets["chef"]["url"], b"").status in (403, 405)  # read-only


def test_nothing_else_is_served_whatever_the_path_says(server):
    player = Browser(server.url)
    player.enter("sprite-assets", PROLIFIC_PID="prober")
    chef = f"/x/sprite-assets/assets/{sha256('assets/chef.png')}"
    undeclared = sha256("asset_experiments.py")  # a real file of the study's folder, never declared
    probes = [
        f"{chef}/tiles.png",  # the right hash with another declared file's name
        f"{chef}/chef.PNG",
        f"/x/sprite-assets/assets/{'0' * 64}/chef.png",  # a wrong hash
        f"/x/sprite-assets/assets/{sha256('assets/chef.png')[:16]}/chef.png",  # a prefix is not the hash
        f"/x/sprite-assets/assets/{undeclared}/asset_experiments.py",
        f"{chef}/../../assets/{undeclared}/asset_experiments.py",
        f"{chef}/..%2Fasset_experiments.py",
        f"{chef}/..%2F..%2F..%2Fmugsite%2Fsettings.py",
        f"{chef}/%2Fetc%2Fpasswd",
        f"/x/sprite-assets/assets/{sha256('assets/chef.png')}//{STUDY_DIR}/assets/chef.png",
        f"/x/sprite-assets/assets/{sha256('assets/chef.png')}/%2F{str(STUDY_DIR / 'assets' / 'chef.png')[1:]}",
        "/x/sprite-assets/assets/..%2F..%2F/chef.png",
    ]
    for path in probes:
        reply = player.get(path)
        assert reply.status == 404, (path, reply.status)
        assert not reply.body.startswith(b"\x89PNG") and b"sprite_assets" not in reply.body, path


def test_another_studys_participant_and_strangers_get_no_asset(server):
    chef = f"assets/{sha256('assets/chef.png')}/chef.png"
    other = Browser(server.url)
    other.enter("game", PROLIFIC_PID="elsewhere")  # a participant of another study, whose game declares no assets
    assert other.get(f"/x/game/{chef}").status == 404
    assert other.get(f"/x/sprite-assets/{chef}").status == 403  # no session in the study that declares it
    assert Browser(server.url).get(f"/x/sprite-assets/{chef}").status == 403  # nobody at all
