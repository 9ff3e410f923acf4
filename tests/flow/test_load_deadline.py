"""The server decides a load deadline on its own clock: a participant on a single-player or server game scene whose
page reported no runtime ready within the scene's `load_timeout_s` plus MUG_LOAD_DEADLINE_SLACK_S (from entering the
scene) ends with runtime_error and no code, as the page's own deadline would have ended them; a page that said ready
(or that Start was pressed) is spared, group scenes are left to the relay's load grace, and a page that comes back
shows the ending. The milestone reports are strict (cookie identity, JSON, the current game scene, a rate) and
store only their moment. Against a real Daphne: the sweep thread ends a page that never says ready alone."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from experiments.flow.models import CompletionCode, Participant, SceneVisit
from experiments.flow.services import MILESTONES_PER_WINDOW, participant_load_deadline_sweep
from testkit.flowhelpers import enter, page
from testkit.plainhttp import Browser
from testkit.servers import poll_until

pytestmark = pytest.mark.django_db(transaction=True)
ENDING = "A technical problem stopped the game"


def on_game_scene(pid: str, slug: str = "game") -> Client:
    """A participant whose browser has opened the study's first scene, a game (the visit starts the server's clock)."""
    client = Client()
    enter(client, slug, PROLIFIC_PID=pid)
    assert page(client, slug).status_code == 200
    return client


def milestone(client: Client, body, slug: str = "game"):
    raw = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(f"/x/{slug}/milestone/", raw, content_type="application/json")


def visit(pid: str) -> SceneVisit:
    return SceneVisit.objects.get(participant__external_id=pid)


def status(pid: str) -> str:
    return Participant.objects.get(external_id=pid).status


def test_a_page_that_never_says_ready_ends_with_runtime_error_past_the_deadline_only(settings):
    deadline_s = 180 + settings.MUG_LOAD_DEADLINE_SLACK_S  # the game scene's default load_timeout_s
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = on_game_scene("silent")
        clock.shift(timedelta(seconds=deadline_s - 1))
        assert participant_load_deadline_sweep() == []
        assert status("silent") == "active"
        clock.shift(timedelta(seconds=2))
        (ended,) = participant_load_deadline_sweep()
        assert participant_load_deadline_sweep() == []  # a session ends once
    participant = Participant.objects.get(pk=ended)
    assert participant.external_id == "silent" and participant.status == "runtime_error"
    assert not CompletionCode.objects.filter(participant=participant).exists()  # the page's word: no unique code
    (error,) = participant.runtime_errors
    assert error["scene"] == "play" and error["stage"] == "load-deadline"
    assert f"within {deadline_s} s of entering the scene" in error["message"]
    # The page comes back: the flow shows the ending, and a late ready report is sent there.
    back = page(client, "game").content.decode()
    assert ENDING in back and "complete?cc=" not in back
    late = milestone(client, {"scene_key": "play", "milestone": "ready"})
    assert late.status_code == 409 and late.json()["next"] == "/x/game/flow/"
    assert visit("silent").runtime_ready_at is None


@pytest.mark.parametrize("said", ["ready", "start"])
def test_a_page_that_said_ready_or_pressed_start_is_spared(said):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = on_game_scene("loaded")
        clock.shift(timedelta(seconds=5))
        assert milestone(client, {"scene_key": "play", "milestone": said}).json() == {"ok": True}
        stored = visit("loaded")
        assert stored.runtime_ready_at == timezone.now()  # a Start press implies the runtime was ready
        assert stored.start_pressed_at == (timezone.now() if said == "start" else None)
        clock.shift(timedelta(hours=2))
        assert participant_load_deadline_sweep() == []
    assert status("loaded") == "active"


def test_a_single_player_server_scene_whose_page_never_opened_ends_too(settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        on_game_scene("server-page", slug="server-solo")
        clock.shift(timedelta(seconds=180 + settings.MUG_LOAD_DEADLINE_SLACK_S + 1))
        assert len(participant_load_deadline_sweep()) == 1
    assert status("server-page") == "runtime_error"


def test_group_scenes_are_left_to_the_relays_load_grace():
    with time_machine.travel(timezone.now(), tick=False) as clock:
        on_game_scene("grouped", slug="net-pair")
        assert visit("grouped").scene_key == "pair"
        clock.shift(timedelta(hours=1))
        assert participant_load_deadline_sweep() == []
    assert status("grouped") == "active"


def test_milestones_are_refused_unless_the_cookie_owner_is_on_that_game_scene():
    owner, other = on_game_scene("owner"), on_game_scene("other")
    before = list(SceneVisit.objects.values_list("runtime_ready_at", "start_pressed_at"))
    refusals = [
        (Client(), {"scene_key": "play", "milestone": "ready"}, 403),  # no cookie: nobody's visit
        (owner, {"scene_key": "end", "milestone": "ready"}, 409),  # not the scene the participant is on
        (owner, {"scene_key": ["play"], "milestone": "ready"}, 409),
        (owner, {"scene_key": "play", "milestone": "done"}, 400),
        (owner, {"scene_key": "play"}, 400),
        (owner, ["play", "ready"], 400),
        (owner, b'{"scene_key": "play", "milestone": "ready", "x": NaN}', 400),
        (owner, b"{not json", 400),
        (owner, json.dumps({"scene_key": "play", "milestone": "ready", "pad": "x" * 5000}).encode(), 400),
    ]
    for client, body, expected in refusals:
        response = milestone(client, body)
        assert response.status_code == expected, body
        assert "error" in response.json()
    assert list(SceneVisit.objects.values_list("runtime_ready_at", "start_pressed_at")) == before
    # one participant's report is theirs alone
    assert milestone(other, {"scene_key": "play", "milestone": "start"}).status_code == 200
    assert visit("owner").runtime_ready_at is None and visit("other").start_pressed_at is not None

    unseen = Client()  # entered, but the game page was never loaded: no visit to report on
    enter(unseen, "game", PROLIFIC_PID="unseen")
    assert milestone(unseen, {"scene_key": "play", "milestone": "ready"}).status_code == 409
    assert not SceneVisit.objects.filter(participant__external_id="unseen").exists()

    survey = Client()
    enter(survey, "flow", PROLIFIC_PID="reader")
    page(survey, "flow")
    refused = milestone(survey, {"scene_key": "welcome", "milestone": "ready"}, slug="flow")
    assert refused.status_code == 409 and refused.json() == {"error": "milestones are reported on game scenes"}


def test_milestone_reports_are_rate_limited_per_participant():
    flooder, neighbour = on_game_scene("flooder"), on_game_scene("neighbour")
    for _ in range(MILESTONES_PER_WINDOW):
        assert milestone(flooder, {"scene_key": "play", "milestone": "ready"}).status_code == 200
    stored = visit("flooder").runtime_ready_at
    over = milestone(flooder, {"scene_key": "play", "milestone": "start"})
    assert over.status_code == 429 and "error" in over.json()
    assert visit("flooder").start_pressed_at is None and visit("flooder").runtime_ready_at == stored
    assert milestone(neighbour, {"scene_key": "play", "milestone": "ready"}).status_code == 200


def test_a_real_server_ends_a_page_that_never_says_ready_and_spares_one_that_did(prod_server):
    silent, loaded = Browser(prod_server.url), Browser(prod_server.url)
    for browser, pid in ((silent, "silent"), (loaded, "loaded")):
        reply = browser.enter("game", PROLIFIC_PID=pid)
        assert reply.status == 200 and 'data-scene="play"' in reply.text
    ready = loaded.post_json("/x/game/milestone/", {"scene_key": "play", "milestone": "ready"})
    assert ready.status == 200 and ready.json() == {"ok": True}
    # Neither page says anything more. Only the stored entry moves back (no waiting): the server's sweep acts alone.
    SceneVisit.objects.update(entered_at=timezone.now() - timedelta(hours=1))
    poll_until(lambda: status("silent") == "runtime_error")
    assert status("loaded") == "active"  # swept in the same pass, spared by its report
    participant = Participant.objects.get(external_id="silent")
    assert participant.runtime_errors[-1]["stage"] == "load-deadline"
    assert not CompletionCode.objects.filter(participant=participant).exists()
    back = silent.get("/x/game/flow/")
    assert back.status == 200 and ENDING in back.text
    late = silent.post_json("/x/game/milestone/", {"scene_key": "play", "milestone": "ready"})
    assert late.status == 409 and late.json()["next"] == "/x/game/flow/"
