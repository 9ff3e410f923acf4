"""Real Chromium, one runtime per visit after a group game (issue 18): two participants play Tag over the relay, then
each plays a single-player game, or a second group game, in the same document, the same worker and the interpreter
the first game booted (its relay link closed, its env closed, its modules gone); every scene's data are stored, the
single-player ones verified. A reload between the scenes boots Python afresh and still ends the visit."""

from __future__ import annotations

import pytest

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode
from netcode.models import Game, GameSeat
from testkit.flowhelpers import start_in_page
from testkit.netproxy import RANDOM_KEYS
from testkit.servers import poll_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_MS = 240_000
ONE_VISIT = "window.mugVisit"  # set on the first document: gone if the browser navigated to a new one
# One Python boot for the visit: the second game's load went to the first one's worker, nothing of it still imported.
REUSED = {"boots": 1, "scenes": 2, "workers": 1, "stale": []}


# The page's own sockets (not the worker's) are slow to deliver their holding hello: it is still on its way (sent
# 3 s late, or, if the page closes the socket first, just before the close, as a message on the wire arrives first),
# and so is what the page says after it on that socket (its pings: a pong is no answer to a hello not yet arrived).
SLOW_HOLDING_HELLO = """() => {
    const { send, close } = WebSocket.prototype;
    const pending = new Map();  // a socket's hello still on its way, and what was said after it
    const flush = (socket) => {
        const held = pending.get(socket) || [];
        pending.delete(socket);
        for (const data of held) send.call(socket, data);
    };
    WebSocket.prototype.send = function (data) {
        if (pending.has(this)) return void pending.get(this).push(data);
        if (!String(data).includes('"loading":true')) return send.call(this, data);
        pending.set(this, [data]);
        setTimeout(() => flush(this), 3000);
    };
    WebSocket.prototype.close = function (...args) {
        flush(this);
        return close.apply(this, args);
    };
}"""


def join(context, url: str, slug: str, pid: str, seed: int):
    page = context.new_page()
    page.mug_log = []
    page.on("console", lambda message: page.mug_log.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.mug_log.append(f"uncaught: {error}"))
    start_in_page(page, f"{url}/x/{slug}/?PROLIFIC_PID={pid}")
    page.evaluate(f"{ONE_VISIT} = 'one document'")
    page.evaluate(RANDOM_KEYS, seed)
    return page


def wait_for(page, selector: str) -> None:
    """Wait for `selector`; on failure say what the page was doing."""
    try:
        page.wait_for_selector(selector, timeout=LOAD_MS)
    except Exception as error:
        state = page.evaluate("JSON.stringify({game: window.mugGame, url: location.href})")
        raise AssertionError(f"{selector} never came: {state[:2000]} {page.mug_log[-20:]}") from error


def play_solo(page) -> dict:
    """The single-player scene after the group game: press Start once loaded, play to the end page; what the
    runtime reported of its interpreter."""
    wait_for(page, "[data-scene=after] #start-button:enabled")
    interpreter = page.evaluate("window.mugGame.interpreter")
    page.click("#start-button")
    wait_for(page, "#completion-code")
    return interpreter


def pages_of(contexts, url: str, slug: str, prefix: str) -> list:
    return [join(context, url, slug, f"{prefix}{i}", seed=3 + i) for i, context in enumerate(contexts)]


def assert_completed(pids: list[str], scenes: list[str], solo: str | None = None) -> None:
    # every page's relay link closed (its disconnect handled: after the page has moved on, on a busy machine)
    poll_until(lambda: not GameSeat.objects.filter(connected=True).exists())
    for pid in pids:
        participant = Participant.objects.get(external_id=pid)
        assert participant.status == "completed"
        episodes = Episode.objects.filter(participant=participant, status="complete")
        assert sorted(episodes.values_list("scene_key", flat=True)) == scenes
        if solo:  # a single-player episode counts only once the server replayed it (the relay witnessed the group's)
            assert episodes.get(scene_key=solo).verification == "verified"


def test_a_single_player_game_after_a_group_game_reuses_the_interpreter(
    asgi_server_url, chromium_context, second_chromium_context
):
    pages = pages_of((chromium_context, second_chromium_context), asgi_server_url, "group-then-solo", "v")
    after = [play_solo(page) for page in pages]

    for page, solo in zip(pages, after, strict=True):
        assert page.evaluate(ONE_VISIT) == "one document", page.mug_log[-20:]
        assert solo == REUSED, page.mug_log[-20:]
    assert Game.objects.get().status == "finished"
    assert_completed(["v0", "v1"], ["after", "pair"], solo="after")


def test_a_second_group_game_boots_its_own_net_session_in_the_same_interpreter(
    asgi_server_url, chromium_context, second_chromium_context
):
    pages = pages_of((chromium_context, second_chromium_context), asgi_server_url, "group-twice", "t")
    # The reused interpreter is ready at once: the worker's hello would overtake a slow holding hello, which then
    # took the seat from the game. The page waits for the relay's answer to its holding hello first.
    pages[0].evaluate(SLOW_HOLDING_HELLO)
    for page in pages:
        wait_for(page, "[data-scene=between] button[type=submit]")
        page.click("[data-scene=between] button[type=submit]")
    interpreters = []
    for page in pages:
        wait_for(page, "[data-scene=again]")
        page.wait_for_function("() => window.mugGame.interpreter", timeout=LOAD_MS)  # its runtime is ready
        interpreters.append(page.evaluate("window.mugGame.interpreter"))
    for page in pages:
        wait_for(page, "#completion-code")

    for page, interpreter in zip(pages, interpreters, strict=True):
        assert page.evaluate(ONE_VISIT) == "one document", page.mug_log[-20:]
        assert interpreter == REUSED, page.mug_log[-20:]
    assert sorted(Game.objects.values_list("scene_key", "status")) == [("again", "finished"), ("pair", "finished")]
    assert_completed(["t0", "t1"], ["again", "pair"])


def test_a_reload_between_the_group_game_and_the_next_scene_boots_afresh_and_ends_the_visit(
    asgi_server_url, chromium_context, second_chromium_context
):
    reloaded, other = pages_of((chromium_context, second_chromium_context), asgi_server_url, "group-then-solo", "r")
    wait_for(reloaded, "[data-scene=after]")
    reloaded.reload()
    after = [play_solo(page) for page in (reloaded, other)]

    assert reloaded.evaluate(ONE_VISIT) is None  # a new document
    assert after[0] == {"boots": 1, "scenes": 1, "workers": 1, "stale": []}  # a fresh boot, one scene in it
    assert after[1] == REUSED
    assert other.evaluate(ONE_VISIT) == "one document"
    assert_completed(["r0", "r1"], ["after", "pair"], solo="after")


def test_a_waiting_room_that_times_out_into_a_solo_game_keeps_the_document_and_the_runtime(
    asgi_server_url, chromium_context
):
    (page,) = pages_of((chromium_context,), asgi_server_url, "room-then-solo", "alone")
    solo = play_solo(page)

    assert page.evaluate(ONE_VISIT) == "one document", page.mug_log[-20:]
    assert solo == REUSED, page.mug_log[-20:]  # the Python booted while waiting serves the solo game
    participant = Participant.objects.get(external_id="alone0")
    assert participant.status == "completed"
    assert Episode.objects.get(participant=participant, status="complete").scene_key == "after"
