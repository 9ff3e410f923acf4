"""The relay's side of reloads, refusals and leavers: a loading page holds its seat on the longer `load_grace_s` clock
(the others are told "loading"), a seat whose page never came is dropped after it too, a hello refused because the
game is over for the participant is answered with the participant's ending, a dropped seat's late disconnect is not
announced as "away", a socket closed while the relay still had to answer it frees its seat all the same, and a
runtime error in a browser group game ends it for every seat with that outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from autobahn.exception import Disconnected
from django.utils import timezone

from experiments.definition import registry
from experiments.flow.models import CompletionCode, Participant
from experiments.gamedata.episodes import runtime_error_record
from matchmaking.models import MatchMember
from netcode.models import Game, GameEvent, GameSeat
from netcode.services import game_sweep
from testkit.gameclient_ws import GameClient, matched
from testkit.roomclient import participant_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario):
    """Run an async scenario (a coroutine function of no arguments) to its end."""

    async def scenario_run():
        return await scenario()

    return async_to_sync(scenario_run)()


def group(slug: str, scene_key: str, pids: tuple[str, ...]) -> list[str]:
    cookies = {pid: participant_cookie(slug, pid) for pid in pids}
    run(lambda: matched(slug, list(cookies.values()), scene_key))
    seats = dict(MatchMember.objects.values_list("participant__external_id", "agent"))
    return [cookies[pid] for pid in sorted(pids, key=lambda pid: seats[pid])]


def status_of(agent: str) -> str:
    return GameSeat.objects.get(agent=agent).participant.status


def absent_for(agent: str, seconds: float) -> None:
    GameSeat.objects.filter(agent=agent).update(absent_since=timezone.now() - timedelta(seconds=seconds))


def sweep() -> list[dict]:
    game = Game.objects.get()
    return game_sweep(game_id=game.pk, definition=registry.get_experiment(game.experiment.slug))


async def player_notices(client: GameClient, seconds: float) -> list[tuple[str, str]]:
    return [(m["player"], m["state"]) for m in await client.idle(seconds) if m["type"] == "player"]


def test_a_loading_page_holds_the_seat_past_the_dropout_timeout_until_the_load_grace():
    """net-pair: dropout_s 3 s (EndForAll), load_grace_s the default 90 s."""
    chaser, runner = group("net-pair", "pair", ("ann", "ben"))

    async def scenario():
        async with GameClient("net-pair", chaser) as a:
            await a.hello()
            async with GameClient("net-pair", runner) as b:
                await b.hello()
            assert ("runner", "away") in await player_notices(a, 0.5)  # the page unloaded: its socket closed
            async with GameClient("net-pair", runner) as loading:  # the reloaded page's own socket, before Python
                await loading.send({"type": "hello", "scene_key": "pair", "loading": True})
                notices = await player_notices(a, 0.5)
                await sync_to_async(absent_for)("runner", 30)  # ten times dropout_s, a third of load_grace_s
                kept = await sync_to_async(sweep)()
                state = await sync_to_async(lambda: GameSeat.objects.get(agent="runner").status)()
                async with GameClient("net-pair", runner) as worker:  # Python is ready: the worker's socket joins
                    welcome = await worker.hello()
                    superseded = await loading.expect("superseded")
        return notices, kept, state, welcome, superseded

    notices, kept, state, welcome, superseded = run(scenario)
    assert ("runner", "loading") in notices
    assert kept == [] and state == "active"
    assert welcome["states"] == {"chaser": "here", "runner": "here"}
    assert superseded == {"type": "superseded"}
    kinds = list(GameEvent.objects.values_list("kind", "agent"))
    assert ("reloading", "runner") in kinds and ("rejoin", "runner") in kinds and ("dropout", "runner") not in kinds


def test_a_page_loading_for_longer_than_the_load_grace_is_handled_by_the_dropout_policy():
    chaser, runner = group("net-pair", "pair", ("ann", "ben"))

    async def scenario():
        async with GameClient("net-pair", chaser) as a, GameClient("net-pair", runner) as loading:
            await a.hello()
            await loading.send({"type": "hello", "scene_key": "pair", "loading": True})
            await player_notices(a, 0.3)
            await sync_to_async(absent_for)("runner", 91)
            return await sync_to_async(sweep)()

    assert [m["type"] for m in run(scenario)] == ["end"]
    assert (status_of("runner"), status_of("chaser")) == ("dropped_out", "partner_dropped")


def test_a_seat_whose_page_never_came_is_dropped_after_the_load_grace():
    chaser, _ = group("net-pair", "pair", ("ann", "ben"))

    async def scenario():
        async with GameClient("net-pair", chaser) as a:
            await a.hello()
            early = await sync_to_async(sweep)()
            await sync_to_async(Game.objects.update)(created_at=timezone.now() - timedelta(seconds=91))
            return early, await sync_to_async(sweep)()

    early, late = run(scenario)
    assert early == [] and [m["type"] for m in late] == ["end"]
    assert (status_of("runner"), status_of("chaser")) == ("dropped_out", "partner_dropped")


def test_a_hello_refused_because_the_game_is_over_for_the_participant_gets_their_ending():
    chaser, runner = group("net-pair", "pair", ("ann", "ben"))

    async def scenario():
        async with GameClient("net-pair", chaser) as a:
            await a.hello()
            await sync_to_async(absent_for)("runner", 200)
            await sync_to_async(GameSeat.objects.filter(agent="runner").update)(last_seen=timezone.now())
            await sync_to_async(sweep)()
        replies = []
        for loading in (True, False):  # the page's own socket, and the worker's
            async with GameClient("net-pair", runner) as late:
                await late.send({"type": "hello", "scene_key": "pair", "loading": loading})
                replies.append(await late.expect("end"))
        return replies

    for reply in run(scenario):
        assert reply["next"] == "/x/net-pair/flow/" and reply["message"] == "this study has ended for you"


def test_a_dropped_seats_late_disconnect_is_not_announced_as_away():
    """ReplaceWithAI (net-trio): a seat silent past dropout_s is replaced while its socket is still open; when that
    socket closes later, the others are not told the player is "away" (a seat's state never goes back)."""
    cookies = group("net-trio", "gather3", ("p0", "p1", "p2"))

    async def scenario():
        stays = GameClient("net-trio", cookies[0])
        await stays.__aenter__()
        await stays.hello("gather3")
        async with GameClient("net-trio", cookies[1]) as other, GameClient("net-trio", cookies[2]) as leaver:
            await other.hello("gather3")
            await leaver.hello("gather3")
            await leaver.send({"type": "presence", "hidden": True})
            await player_notices(stays, 0.3)
            await sync_to_async(absent_for)("player_2", 10)
            replaced = await sync_to_async(sweep)()
            await other.send({"type": "ping", "id": 1})
        notices = await player_notices(stays, 1.0)
        await stays.__aexit__()
        return replaced, notices

    replaced, notices = run(scenario)
    assert [m["type"] for m in replaced] == ["replaced"]
    assert ("player_2", "away") not in notices and ("player_1", "away") in notices


class ClosingUnderway:
    """Daphne's side of a socket the browser is closing: from the browser's close frame until Daphne has seen the
    connection go, a send to it raises autobahn's Disconnected (a busy relay is still answering what the browser said
    just before it closed, e.g. its last ping once the game was over)."""

    def __init__(self, client: GameClient) -> None:
        self.underway = False
        relay = client.socket.application

        async def daphne(scope, receive, send):
            async def send_to_browser(message):
                if self.underway and message["type"] == "websocket.send":
                    raise Disconnected("Attempt to send on a closed protocol")
                await send(message)

            await relay(scope, receive, send_to_browser)

        client.socket.application = daphne


def test_a_socket_closed_while_the_relay_still_had_to_answer_it_frees_its_seat():
    """The answer is dropped; it no longer ends the socket's consumer before its disconnect, which left the seat
    connected with no socket (a finished game's seat, in test_runtime_after_group_browser under load)."""
    chaser, runner = group("net-pair", "pair", ("ann", "ben"))

    async def scenario():
        async with GameClient("net-pair", runner) as b:
            await b.hello()
            a = GameClient("net-pair", chaser)
            closing = ClosingUnderway(a)
            await a.__aenter__()
            await a.hello()
            closing.underway = True
            await a.send({"type": "ping", "id": 1})
            await a.socket.disconnect(timeout=60)  # returns once the consumer has ended (a generous deadline)
            return await player_notices(b, 0.2)

    assert ("chaser", "away") in run(scenario)  # its disconnect ran: the other seat was told
    assert not GameSeat.objects.get(agent="chaser").connected
    assert GameEvent.objects.filter(kind="disconnected", agent="chaser").exists()


def test_a_runtime_error_in_a_browser_group_game_ends_it_for_every_seat_with_that_outcome():
    chaser, runner = group("net-pair", "pair", ("ann", "ben"))

    async def scenario():
        async with GameClient("net-pair", chaser) as a, GameClient("net-pair", runner) as b:
            await a.hello()
            await b.hello()
            first = await sync_to_async(lambda: GameSeat.objects.get(agent="chaser").participant)()
            await sync_to_async(runtime_error_record)(
                participant=first,
                definition=registry.get_experiment("net-pair"),
                scene_key="pair",
                stage="reset",
                message="RuntimeError: the level file is missing",
            )
            return await b.expect("end")

    end = run(scenario)
    assert end["reason"] == "runtime_error" and end["next"] == "/x/net-pair/flow/"
    assert set(Participant.objects.values_list("status", flat=True)) == {"runtime_error"}, list(
        GameEvent.objects.values_list("kind", "agent", "detail")
    )
    assert Game.objects.get().status == "ended"
    assert GameEvent.objects.get(kind="game_end").detail == {"reason": "runtime_error"}
    assert not CompletionCode.objects.exists()  # a browser's report: no unique code, for either seat
