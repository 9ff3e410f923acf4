"""A three-player group game over the relay, without a browser (headless rollback players and the page's uploader
over plain HTTP and WebSockets on a production-like Daphne): one player leaves mid-episode and the relay replaces
their seat with the random AI; the verification worker replays the episode in Pyodide under Node from the relay's
input log (three seats, one replaced) and finds both remaining seats' stored rows exact, bit for bit."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from asgiref.sync import async_to_sync

from experiments.gamedata.models import COMPLETE, VERIFIED, Episode, Exactness
from netcode.models import GameSeat
from testkit.groupplay import ReconnectingPlayer, RowUploader
from testkit.participants import Browser, code_of, runtime_of, scene_of
from testkit.servers import poll_until, production_daphne
from testkit.wsclient import match_group

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]
SLUG, SCENE = "net-trio", "gather3"
VERDICT_S = 300.0  # the worker boots Pyodide and installs the packages first, on a busy 2-core machine
LEAVES_AT = 20  # the leaver's frame when its page goes away


@pytest.fixture
def server(tmp_path):
    with production_daphne(tmp_path, ["testkit.relay_experiments:net_trio"], MUG_PYODIDE_URL="/static/pyodide/") as s:
        yield s


class Seat:
    def __init__(self, base_url: str, pid: str, seed: int) -> None:
        self.pid, self.base_url, self.seed = pid, base_url, seed
        self.browser = Browser(base_url, timeout=30)

    def enter(self) -> None:
        page = self.browser.enter(SLUG, {"PROLIFIC_PID": self.pid})
        assert page.status == 200 and scene_of(page) == SCENE, (page.status, page.text[:300])
        self.config = runtime_of(page)
        self.cookie = self.browser.cookies[f"mug_{SLUG}"]
        self.player = ReconnectingPlayer(self.base_url, SLUG, self.cookie, SCENE, self.config["loop"], self.seed)
        self.uploader = RowUploader(self.browser, self.config, self.player)


async def _leave(seat: Seat, timeout: float = 120.0) -> None:
    """Play until frame LEAVES_AT, then the page is gone: no socket, no more uploads, never back."""
    playing = asyncio.create_task(seat.player.play(timeout))
    async with asyncio.timeout(timeout):
        while seat.player.frame_in(0) < LEAVES_AT:
            await asyncio.sleep(0.02)
    playing.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await playing


async def _play(seats: list[Seat], timeout: float = 150.0) -> None:
    await asyncio.gather(*(asyncio.to_thread(seat.enter) for seat in seats))
    await match_group([(seat.base_url, seat.cookie) for seat in seats], SLUG, SCENE)
    *stay, leaver = seats
    episodes = stay[0].config["num_episodes"]
    await asyncio.gather(
        *[seat.player.play(timeout) for seat in stay],
        *[seat.uploader.run(episodes, timeout) for seat in stay],
        _leave(leaver),
    )


def test_three_seats_one_replaced_by_the_ai_replay_exactly_from_the_relay_log(server):
    seats = [Seat(server.url, f"p{index}", seed=11 + index) for index in range(3)]
    async_to_sync(_play)(seats)
    *stay, leaver = seats
    for seat in stay:
        assert not seat.uploader.refused, seat.uploader.refused
        end = seat.browser.post_form(f"/x/{SLUG}/flow/", {"scene_key": SCENE})
        assert end.status == 200 and code_of(end), (end.status, end.text[:300])
    replaced = GameSeat.objects.get(participant__external_id=leaver.pid)
    assert replaced.status == "dropped" and replaced.replaced_from >= LEAVES_AT  # the AI took the seat mid-episode

    def checked():
        episodes = list(Episode.objects.filter(participant__external_id__in=["p0", "p1"]).order_by("participant"))
        return episodes if len(episodes) == 2 and all(e.exactness != Exactness.UNCHECKED for e in episodes) else None

    for episode in poll_until(checked, VERDICT_S):
        assert (episode.status, episode.verification) == (COMPLETE, VERIFIED)
        assert episode.exactness == Exactness.EXACT, episode.exactness_report
        assert episode.exactness_report["frames_compared"] == episode.n_steps == 90
        steps = list(episode.steps.order_by("frame").values_list("frame", "actions"))
        assert all(set(actions) == {"player_0", "player_1", "player_2"} for _, actions in steps)
        ai = {actions["player_2"] for frame, actions in steps if frame >= replaced.replaced_from}
        assert len(ai) > 1  # the random AI really played the third seat
