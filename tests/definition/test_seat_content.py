"""Per-seat page content: a GymScene body given as "package.module:function" is checked at load (importable, and
returning HTML for every human seat) and rendered on the server for each seat of the page it serves."""

from __future__ import annotations

import re

import pytest

from experiments.definition.seat_content import CHECK_PARTICIPANT, SeatParticipant, is_callable_path
from experiments.study import DefinitionError
from testkit.agentid_experiments import int_scene
from testkit.plainhttp import Browser

MOD = "testkit.hook_experiments"
PID = "5f0c0c0c0c0c0c0c0c0c0c0c"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"in_game_body": "testkit.nowhere:seat_line"}, r"in_game_body 'testkit.nowhere:seat_line' names no function"),
        ({"in_game_body": f"{MOD}:missing"}, "names no function"),
        ({"after_body": f"{MOD}:seat_not_text"}, r"after_body .* failed for agent 0 .* must return a str of HTML"),
        ({"in_game_body": f"{MOD}:seat_unknown_agent"}, r"in_game_body .* failed for agent 1 .*KeyError"),
    ],
)
def test_a_seat_content_function_that_fails_is_refused_at_load(tmp_path, options, message):
    scene = int_scene("walk2", {0: "human", 1: "human"}, **options)
    with pytest.raises(DefinitionError, match=message) as caught:
        scene.prepare(tmp_path)
    assert "gym scene 'walk2'" in str(caught.value)


def test_only_human_seats_are_checked_and_the_env_ids_are_passed(tmp_path):
    # agent 0 is random: seat_unknown_agent (which fails for 1) passes when 0 is the only human seat
    scene = int_scene("walk", {0: "human", 1: "random"}, in_game_body=f"{MOD}:seat_unknown_agent")
    scene.prepare(tmp_path)
    assert scene.seat_bodies(CHECK_PARTICIPANT) == {"in_game_body": {"0": "<p>red</p>"}}
    assert scene.describe()["seat_content"]["in_game_body"] == f"{MOD}:seat_unknown_agent"


def test_plain_html_stays_html(tmp_path):
    assert not is_callable_path("<p>Use the arrows: left and right.</p>")
    assert is_callable_path(f"{MOD}:seat_line")
    scene = int_scene("walk", {0: "human", 1: "random"}, in_game_body="<p>Hi: there</p>")
    scene.prepare(tmp_path)
    assert scene.seat_bodies(CHECK_PARTICIPANT) == {}
    assert "seat_content" not in scene.describe()


def test_a_function_failing_for_a_real_participant_leaves_that_seat_empty(tmp_path, caplog):
    scene = int_scene("walk2", {0: "human", 1: "human"}, in_game_body=f"{MOD}:seat_line")
    scene.prepare(tmp_path)
    odd = SeatParticipant(id=3, source="plain", external_id="x")
    scene._seat_functions["in_game_body"] = lambda agent, participant: 1 / agent  # fails for seat 0 only
    assert scene.seat_bodies(odd) == {"in_game_body": {"0": "", "1": ""}}  # 1/1 is no str either
    assert "in_game_body failed for agent 0" in caplog.text


@pytest.mark.system
def test_the_served_page_holds_each_seats_html_hidden_and_names_its_participant(prod_server):
    browser = Browser(prod_server.url)
    ids = {"STUDY_ID": "5f0c0c0c0c0c0c0c0c0c0c0d", "SESSION_ID": "5f0c0c0c0c0c0c0c0c0c0c0e"}
    reply = browser.enter("seat-solo", PROLIFIC_PID=PID, **ids)
    page = browser.get("/x/seat-solo/flow/").text
    assert reply.status == 200, reply.text[:500]
    bodies = re.findall(r'<div class="body seat-body" data-seat-body="(\w+)" hidden>(.*?)</div>', page)
    assert bodies[0] == (
        "1",
        f'<p class="who">You are the blue walker (agent 1), {PID} from prolific.</p>',
    ), page[:3000]
    assert bodies[1] == ("1", '<p class="after-who">Thanks for playing the blue walker.</p>')
    assert len(bodies) == 2  # the random agent 0 has no seat, so no body
    assert "testkit.hook_experiments:seat_line" not in page  # the path itself is never shown
