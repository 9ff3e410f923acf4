"""What a participant may read, attacked with plain HTTP on a real server: a game's code bundle and models go only to
a participant whose plan holds that in-browser scene, never for a server-side scene, and a bundle holds only the
import closure of the env and its policies (a secret module beside the env never ships)."""

from __future__ import annotations

import html
import http.cookiejar
import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from experiments.definition import registry
from experiments.flow.models import Participant
from testkit.fixture_experiments import PATHS
from testkit.plainhttp import Browser

JSON_SCRIPT = r'<script id="{}" type="application/json">(.*?)</script>'


def embedded(page: str, element_id: str) -> dict:
    match = re.search(JSON_SCRIPT.format(element_id), page, re.S)
    assert match, f"no {element_id} on the page"
    return json.loads(html.unescape(match.group(1)))


def flee_model() -> str:
    return next(iter(registry.get_experiment("arms").scene("flee").model_files()))


def arms_participants(server) -> dict[str, Browser]:
    """Two participants of `arms`: balanced assignment puts them in different arms; {arm: their browser}."""
    browsers = {}
    for name in ("first", "second"):
        browser = Browser(server.url)
        browser.enter("arms", PROLIFIC_PID=name)
        arm = Participant.objects.get(external_id=name).conditions["game"]
        browsers[arm] = browser
    assert sorted(browsers) == ["pole", "tag"]
    return browsers


def test_strangers_get_no_bundle_and_no_model(prod_server):
    model = flee_model()
    stranger = Browser(prod_server.url)  # no participant anywhere
    elsewhere = Browser(prod_server.url)
    elsewhere.enter("game", PROLIFIC_PID="elsewhere")  # a participant of another experiment (its cookie is scoped)
    for browser in (stranger, elsewhere):
        for path in ("/x/arms/bundle/flee.json", "/x/arms/bundle/pole.json", f"/x/arms/models/{model}.onnx"):
            reply = browser.get(path)
            assert reply.status == 403 and reply.json() == {"error": "no participant session"}, (path, reply.status)
    forged = Browser(prod_server.url)
    forged.jar.set_cookie(_cookie("mug_arms", "made-up-token:signature"))
    assert forged.get("/x/arms/bundle/flee.json").status == 403


def test_only_the_arm_whose_plan_holds_a_scene_gets_its_code_and_model(prod_server):
    browsers = arms_participants(prod_server)
    model = flee_model()
    tag, pole = browsers["tag"], browsers["pole"]
    for reply in (tag.get("/x/arms/bundle/flee.json"), tag.get(f"/x/arms/models/{model}.onnx")):
        # never "public": a shared cache must not hand one participant's files to someone else
        assert reply.status == 200 and reply.headers["Cache-Control"].startswith("private")
    model_file = registry.get_experiment("arms").scene("flee").model_files()[model]
    assert reply.body == model_file.read_bytes()
    assert pole.get("/x/arms/bundle/pole.json").status == 200
    for browser, path in (
        (tag, "/x/arms/bundle/pole.json"),
        (pole, "/x/arms/bundle/flee.json"),
        (pole, f"/x/arms/models/{model}.onnx"),
    ):
        reply = browser.get(path)
        assert reply.status == 404 and "error" in reply.json(), (path, reply.status)
    for path in ("/x/arms/bundle/intro.json", "/x/arms/bundle/nosuch.json", "/x/arms/models/" + "0" * 64 + ".onnx"):
        assert tag.get(path).status == 404  # not a game, no such scene, no such model


def test_a_server_side_scene_ships_nothing_even_to_its_players(prod_server):
    browser = Browser(prod_server.url)
    browser.enter("arms", PROLIFIC_PID="server-player")
    assert "onserver" in Participant.objects.get().plan
    reply = browser.get("/x/arms/bundle/onserver.json")
    assert reply.status == 404 and "files" not in reply.text
    solo = Browser(prod_server.url)
    solo.enter("server-solo", PROLIFIC_PID="solo")
    assert solo.get("/x/server-solo/bundle/play.json").status == 404


def test_a_game_behind_an_unresolved_branch_of_the_plan_is_still_reachable(prod_server):
    browser = Browser(prod_server.url)
    browser.enter("arms", PROLIFIC_PID="brancher")
    assert "?later" in Participant.objects.get().plan  # the branch may still lead to the crashy game
    assert browser.get("/x/arms/bundle/crashy.json").status == 200


def test_a_bundle_ships_the_import_closure_not_the_whole_package(prod_server):
    crash = Browser(prod_server.url)
    crash.enter("crash", PROLIFIC_PID="crash")
    reply = crash.get("/x/crash/bundle/play.json")
    assert reply.status == 200 and "C1SECRETNEVERSHIPPED" not in reply.text  # testkit/envs/codes.py stays home
    shipped = {path for path in reply.json()["files"] if not path.startswith("mug/")}
    assert shipped == {"testkit/__init__.py", "testkit/envs/__init__.py", "testkit/envs/crash.py"}
    tag = Browser(prod_server.url)
    tag.enter("game", PROLIFIC_PID="tag")
    files = tag.get("/x/game/bundle/play.json").json()["files"]
    shipped = {path for path in files if not path.startswith("mug/")}
    # no experiment definition, no policies module the scene does not use
    assert shipped == {"examples/__init__.py", "examples/tag/__init__.py", "examples/tag/env.py"}
    assert not any("django" in source or "from experiments" in source for source in files.values())


def test_every_page_that_loads_a_game_can_still_fetch_its_bundle(prod_server):
    """The game page, the early boot on a page before the game and the screening pre-flight use the bundle URL."""
    browser = Browser(prod_server.url)
    browser.enter("arms", PROLIFIC_PID="pages")
    preboot = embedded(browser.get("/x/arms/flow/").text, "mug-preboot")  # the intro page boots the next game
    reply = browser.get(preboot["bundle_url"])
    assert reply.status == 200 and reply.json()["code_hash"] == preboot["code_hash"]
    player = Browser(prod_server.url)
    player.enter("game", PROLIFIC_PID="player")
    runtime = embedded(player.get("/x/game/flow/").text, "mug-runtime")
    assert player.get(runtime["bundle_url"]).json()["code_hash"] == runtime["code_hash"]
    screened = Browser(prod_server.url)
    screened.enter("screen-runtime", PROLIFIC_PID="screened")
    preflight = embedded(screened.get("/x/screen-runtime/flow/").text, "mug-screening")["runtime"]["game"]
    assert screened.get(preflight["bundle_url"]).json()["code_hash"] == preflight["code_hash"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "testkit.reads_experiments:server_imports",
            "testkit/envs/serverside.py imports 'django.conf': server-only code",
        ),
        ("testkit.reads_experiments:dangling_import", "cannot resolve module 'testkit.envs.missing_helper'"),
    ],
)
def test_code_a_browser_could_not_import_is_refused_by_manage_py_check(settings, path, message):
    settings.MUG = {**settings.MUG, "EXPERIMENTS": [path]}
    with pytest.raises(SystemCheckError, match=re.escape(message)) as raised:
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
    assert "experiments.E002" in str(raised.value)


def test_the_shipped_experiments_pass_the_check(settings):
    settings.MUG = {**settings.MUG, "EXPERIMENTS": [*PATHS]}
    call_command("check", "--fail-level", "ERROR", stdout=io.StringIO(), stderr=io.StringIO())


def _cookie(name: str, value: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0, name, value, None, False, "127.0.0.1", False, False, "/x/arms/", True, False, None, False, None, None, {}
    )
