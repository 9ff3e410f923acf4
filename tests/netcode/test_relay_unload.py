"""The reload gap: a page that says it is unloading (its pagehide posts to /x/<slug>/game/unloading/) has its seat
held for `unload_grace_s` after it left, past `dropout_s`, until the next page's loading hello; a closed tab is dropped
when the grace is over; the notice counts once per absence and is refused for anyone without a seat in a running game.

net-pair: dropout_s 3 s (EndForAll), unload_grace_s the default 15 s, load_grace_s the default 90 s. The clock is
moved by rewriting the stored times (never by waiting)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client
from django.utils import timezone

from experiments.definition import registry
from matchmaking.models import MatchMember
from netcode.models import Game, GameEvent, GameSeat
from netcode.services import game_sweep
from testkit.gameclient_ws import GameClient, matched
from testkit.plainhttp import Browser
from testkit.roomclient import participant_cookie

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/x/net-pair/game/unloading/"


def run(scenario):
    return async_to_sync(scenario)()


def group(pids: tuple[str, ...]) -> list[str]:
    cookies = {pid: participant_cookie("net-pair", pid) for pid in pids}
    run(lambda: matched("net-pair", list(cookies.values()), "pair"))
    seats = dict(MatchMember.objects.values_list("participant__external_id", "agent"))
    return [cookies[pid] for pid in sorted(pids, key=lambda pid: seats[pid])]


def unloading(cookie: str | None, body: object = None) -> tuple[int, dict]:
    client = Client()
    if cookie:
        client.cookies["mug_net-pair"] = cookie
    payload = json.dumps({"scene_key": "pair"} if body is None else body)
    response = client.post(URL, payload, content_type="application/json")
    return response.status_code, response.json()


def gone_for(agent: str, seconds: float) -> None:
    """Move the seat's departure (its notice, its disconnect, its last keep-alive) `seconds` into the past."""
    then = timezone.now() - timedelta(seconds=seconds)
    seat = GameSeat.objects.filter(agent=agent)
    seat.update(absent_since=then, last_seen=then)
    seat.filter(unloading_since__isnull=False).update(unloading_since=then)


def sweep() -> list[dict]:
    game = Game.objects.get()
    return game_sweep(game_id=game.pk, definition=registry.get_experiment("net-pair"))


def seat_status(agent: str) -> str:
    return GameSeat.objects.get(agent=agent).status


async def heard_away(a: GameClient, state: str = "away") -> list[tuple[str, str]]:
    """The notices the chaser hears until the runner is announced in `state` (away: its disconnect has been handled
    and its absence stamped), however long a busy machine takes."""
    heard = []
    for _ in range(600):
        heard += [(m["player"], m["state"]) for m in await a.idle(0.1) if m["type"] == "player"]
        if ("runner", state) in heard:
            return heard
    raise AssertionError(f"the runner was never announced {state}: {heard}")


async def leave_announced(a: GameClient, cookie: str) -> list[tuple[str, str]]:
    """The runner's page announces it is unloading, then its socket closes; the notices the chaser hears."""
    async with GameClient("net-pair", cookie) as b:
        await b.hello()
        status, body = await sync_to_async(unloading)(cookie)
        assert (status, body) == (200, {"ok": True, "held": True})
    return await heard_away(a)


def test_a_page_that_announced_its_unloading_keeps_its_seat_past_dropout_s_until_its_loading_hello():
    chaser, runner = group(("ann", "ben"))

    async def scenario():
        async with GameClient("net-pair", chaser) as a:
            await a.hello()
            notices = await leave_announced(a, runner)
            await sync_to_async(gone_for)("runner", 12)  # four times dropout_s, within the 15 s grace
            held = await sync_to_async(sweep)(), await sync_to_async(seat_status)("runner")
            async with GameClient("net-pair", runner) as loading:  # the next page's socket, before Python
                await loading.send({"type": "hello", "scene_key": "pair", "loading": True})
                await heard_away(a, "loading")
                await sync_to_async(GameSeat.objects.filter(agent="runner").update)(  # on the load grace (90 s)
                    absent_since=timezone.now() - timedelta(seconds=40)
                )
                loading_kept = await sync_to_async(sweep)()
                async with GameClient("net-pair", runner) as worker:
                    welcome = await worker.hello()
            return notices, held, loading_kept, welcome

    notices, held, loading_kept, welcome = run(scenario)
    assert ("runner", "away") in notices  # the partner's banner: "runner is reconnecting"
    assert held == ([], "active") and loading_kept == []
    assert welcome["states"] == {"chaser": "here", "runner": "here"}
    kinds = list(GameEvent.objects.filter(agent="runner").values_list("kind", flat=True))
    assert kinds[:3] == ["unloading", "disconnected", "reloading"] and "rejoin" in kinds and "dropout" not in kinds
    assert GameSeat.objects.get(agent="runner").unloading_since is None  # back: a later absence may be announced


def test_a_closed_tab_that_announced_its_unloading_is_dropped_when_the_grace_is_over():
    chaser, runner = group(("ann", "ben"))

    async def scenario():
        async with GameClient("net-pair", chaser) as a:
            await a.hello()
            await leave_announced(a, runner)
            await sync_to_async(gone_for)("runner", 16)
            return await sync_to_async(sweep)()

    assert [m["type"] for m in run(scenario)] == ["end"]
    assert seat_status("runner") == "dropped"
    assert GameSeat.objects.get(agent="chaser").participant.status == "partner_dropped"


def test_without_the_notice_a_disconnected_seat_still_drops_after_dropout_s():
    chaser, runner = group(("ann", "ben"))

    async def scenario():
        async with GameClient("net-pair", chaser) as a:
            await a.hello()
            async with GameClient("net-pair", runner) as b:
                await b.hello()
            await heard_away(a)
            await sync_to_async(gone_for)("runner", 4)
            return await sync_to_async(sweep)()

    assert [m["type"] for m in run(scenario)] == ["end"]


def test_a_repeated_or_early_notice_holds_the_seat_once_and_only_from_the_disconnect():
    """A page may post the notice early and stay (a forged notice): the grace then runs from its disconnect. Posting
    it again during the absence counts for nothing: the seat is dropped once the one grace is over."""
    chaser, runner = group(("ann", "ben"))

    async def scenario():
        async with GameClient("net-pair", chaser) as a:
            await a.hello()
            async with GameClient("net-pair", runner) as b:
                await b.hello()
                first = await sync_to_async(unloading)(runner)
                await sync_to_async(GameSeat.objects.filter(agent="runner").update)(
                    unloading_since=timezone.now() - timedelta(seconds=600)  # posted ten minutes before it left
                )
            await heard_away(a)
            await sync_to_async(GameSeat.objects.filter(agent="runner").update)(
                absent_since=timezone.now() - timedelta(seconds=10), last_seen=timezone.now() - timedelta(seconds=10)
            )
            held = await sync_to_async(sweep)()
            again = await sync_to_async(unloading)(runner)
            await sync_to_async(GameSeat.objects.filter(agent="runner").update)(
                absent_since=timezone.now() - timedelta(seconds=16), last_seen=timezone.now() - timedelta(seconds=16)
            )
            return first, held, again, await sync_to_async(sweep)()

    first, held, again, dropped = run(scenario)
    assert first == (200, {"ok": True, "held": True}) and held == []
    assert again == (200, {"ok": True, "held": False})
    assert [m["type"] for m in dropped] == ["end"]
    assert GameEvent.objects.filter(kind="unloading").count() == 1


def test_the_notice_is_refused_without_a_seat_in_a_running_game_and_changes_nothing():
    chaser, runner = group(("ann", "ben"))
    outsider = participant_cookie("net-pair", "cat")
    assert unloading(None)[0] == 409
    assert unloading(outsider)[0] == 409  # in the study, but in no group
    assert unloading(chaser, {"scene_key": "end"})[0] == 409  # not the participant's current scene
    assert unloading(chaser, ["pair"])[0] == 400
    assert unloading(chaser, {"scene_key": 7})[0] == 400
    assert "error" in unloading(None)[1]
    # The game has not started (no hello): no seat to hold yet.
    assert unloading(chaser)[0] == 409
    assert not GameSeat.objects.filter(unloading_since__isnull=False).exists()


def test_the_endpoint_of_a_production_server_answers_strangers_with_json_errors(prod_server):
    """A real Daphne, DEBUG off: no CSRF token is refused (403); a participant with no game, or a bad body, gets a
    JSON error."""
    browser = Browser(prod_server.url)
    browser.enter("net-pair", PROLIFIC_PID="stranger")
    assert browser.request("POST", URL, b'{"scene_key": "pair"}', {"Content-Type": "application/json"}).status == 403
    for body in ({"scene_key": "pair"}, b"not json", b"x" * 5000, {"scene_key": None}):
        reply = browser.post_json(URL, body)
        assert reply.status in (400, 409) and "error" in reply.json(), (reply.status, reply.text[:300])
    assert not GameSeat.objects.exists()
