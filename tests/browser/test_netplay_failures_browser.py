"""Real Chromium on the unlucky paths of a group game: a reload slower than the dropout timeout, a connection cut
until the game ended without the participant, a partner replaced by the AI whose socket closes late, an env that
raises in reset(), and a partner slow to load before the first frame. Each one ends well: a rejoin, the participant's
own ending, a banner that clears, the runtime error outcome for every seat, a start barrier."""

from __future__ import annotations

import os

import pytest

from experiments.flow.models import Participant
from netcode.models import Game, GameEvent, GameSeat
from testkit.fixture_experiments import PATHS
from testkit.flowhelpers import start_in_page
from testkit.netplay_failures import PATHS as FAILURE_PATHS
from testkit.netproxy import RANDOM_KEYS, DelayProxy
from testkit.servers import DaphneProcess, database_env

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HIDE = """(hidden) => { Object.defineProperty(document, 'visibilityState', {value: hidden ? 'hidden' : 'visible',
  configurable: true}); document.dispatchEvent(new Event('visibilitychange')); }"""
BANNER_LOG = """() => { const seen = window.mugSeen = window.mugSeen || [];
  const watch = () => { const b = document.getElementById('net-status');
    if (b && !b.hidden && seen[seen.length - 1] !== b.textContent) seen.push(b.textContent); };
  if (!window.mugWatching) { window.mugWatching = setInterval(watch, 50); } }"""


@pytest.fixture
def server_url(tmp_path, transactional_db) -> str:
    """Daphne with the failure studies (and the usual ones), on the test database."""
    env = {**os.environ, "DEBUG": "1", "REDIS_URL": "", "MUG_EXPERIMENTS": ",".join([*PATHS, *FAILURE_PATHS])}
    env.update({**database_env(), "MUG_PYODIDE_URL": "/static/pyodide/"})
    server = DaphneProcess(env, tmp_path)
    try:
        yield server.url
    finally:
        server.stop()


def join(context, url: str, slug: str, pid: str, seed: int):
    page = context.new_page()
    page.mug_log = []
    page.on("console", lambda message: page.mug_log.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.mug_log.append(f"uncaught: {error}"))
    start_in_page(page, f"{url}/x/{slug}/?PROLIFIC_PID={pid}")
    page.wait_for_selector("#waiting-room:not([hidden])")
    page.evaluate(RANDOM_KEYS, seed)
    return page


def playing(page, frames: int, timeout: float = 180_000) -> None:
    page.wait_for_function(f"() => window.mugGame?.net?.frames > {frames}", timeout=timeout)


def ending(page, timeout: float = 180_000) -> str:
    """The text of the participant's ending page; on failure, what the page was doing."""
    try:
        page.wait_for_selector(".scene-end", timeout=timeout)
    except Exception as error:
        state = page.evaluate("() => JSON.stringify({game: window.mugGame, seen: window.mugSeen})")
        events = list(GameEvent.objects.values_list("kind", "agent", "detail"))
        raise AssertionError(f"{page.url} never ended: {state[:2500]} {page.mug_log[-20:]} {events}") from error
    return page.inner_text(".scene-end")


def waited(page, condition: str, timeout: float):
    """The truthy value of `condition` once it holds; on failure, what the page and the relay were doing."""
    try:
        return page.wait_for_function(condition, timeout=timeout).json_value()
    except Exception as error:
        state = page.evaluate("() => JSON.stringify({game: window.mugGame, seen: window.mugSeen})")
        events = list(GameEvent.objects.values_list("kind", "agent", "detail"))
        seats = list(GameSeat.objects.values("agent", "status", "connected", "absent_since", "last_seen"))
        text = page.inner_text("body")[:600]
        raise AssertionError(f"{state[:2500]} {page.mug_log[-25:]} {events} {seats} {text}") from error


# The banners shown before this page played its first frame (the start barrier's wait).
BANNERS_BEFORE_PLAY = """() => { const seen = window.mugSeenBeforePlay = [];
  const watch = setInterval(() => { if ((window.mugGame?.net?.frames || 0) > 0) return clearInterval(watch);
    const b = document.getElementById('net-status');
    if (b && !b.hidden && seen[seen.length - 1] !== b.textContent) seen.push(b.textContent); }, 50); }"""


def seen_banners(page) -> list[str]:
    return page.evaluate("() => window.mugSeen || []")


def test_a_reload_slower_than_the_dropout_timeout_rejoins_and_the_partner_sees_reconnecting(
    server_url, chromium_context, second_chromium_context
):
    """dropout_s is 8 s; Python takes longer than that to boot again with the CPU throttled 4x: the page's socket
    holds the seat meanwhile (load_grace_s), the partner is told "reconnecting", and the game goes on."""
    stays = join(chromium_context, server_url, "net-reload", "stays", seed=1)
    reloads = join(second_chromium_context, server_url, "net-reload", "reloads", seed=2)
    playing(reloads, 30)
    stays.evaluate(BANNER_LOG)
    cdp = second_chromium_context.new_cdp_session(reloads)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    reloads.reload()
    reloads.evaluate(RANDOM_KEYS, 3)
    rejoined = waited(reloads, "() => window.mugGame?.net?.episodes?.[0]", 240_000)  # Pyodide boots again, throttled
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    assert rejoined["rejoined"] is True
    assert any("is reconnecting" in text for text in seen_banners(stays)), seen_banners(stays)
    for page in (stays, reloads):
        ending(page)
    kinds = list(GameEvent.objects.values_list("kind", flat=True))
    assert "reloading" in kinds and "rejoin" in kinds and "dropout" not in kinds
    assert set(Participant.objects.values_list("status", flat=True)) == {"completed"}
    assert Game.objects.get().status == "finished"


def test_a_page_cut_off_until_its_game_ended_says_so_and_then_shows_its_own_ending(
    server_url, chromium_context, second_chromium_context
):
    """While its own connection is down the page says so (it does not blame the partner); when it comes back after
    the dropout policy ended the game, the relay refuses its hello and the page shows the participant's ending
    (EndForAll: not "went on without you")."""
    proxy = DelayProxy(int(server_url.rsplit(":", 1)[1]))  # the cut browser's network
    try:
        stays = join(chromium_context, server_url, "net-cut", "stays", seed=4)
        cut_off = join(second_chromium_context, proxy.url, "net-cut", "cut", seed=5)
        playing(cut_off, 30)
        cut_off.evaluate(BANNER_LOG)
        proxy.cut(seconds=3600)  # every connection dropped, new ones refused: until the game ended without them
        lost = "() => /connection to the game was lost/.test(document.getElementById('net-status')?.textContent)"
        waited(cut_off, lost, 60_000)
        assert "partner left" in ending(stays).lower()
        assert Participant.objects.get(external_id="cut").status == "dropped_out"
        proxy.loop.call_soon_threadsafe(setattr, proxy, "blocked", False)  # the network is back
        text = ending(cut_off)
    finally:
        proxy.stop()
    assert "went on without you" not in text
    assert not any("player_0" in banner for banner in seen_banners(cut_off)), seen_banners(cut_off)


def test_a_partner_replaced_by_the_ai_whose_socket_closes_later_is_not_shown_as_lagging_again(
    server_url, chromium_context, second_chromium_context
):
    """The partner hides the tab past dropout_s: the relay hands the seat to the AI ("replaced"); their socket closes
    only later. The banner says they left, then clears, and never goes back to "lagging" or "reconnecting"."""
    stays = join(chromium_context, server_url, "net-ai", "stays", seed=6)
    leaves = join(second_chromium_context, server_url, "net-ai", "leaves", seed=7)
    playing(leaves, 30)
    playing(stays, 30)
    stays.evaluate(BANNER_LOG)
    leaves.evaluate(HIDE, True)
    stays.wait_for_function("() => window.mugGame.net.replaced.length > 0", timeout=60_000)
    leaves.close()
    replaced_at = stays.evaluate("() => window.mugGame.net.frames")
    stays.wait_for_function(f"() => window.mugGame.net.frames > {replaced_at} + 30", timeout=60_000)
    stays.wait_for_selector("#net-status", state="hidden", timeout=60_000)
    after = stays.evaluate("() => window.mugGame.net.states")
    assert set(after.values()) == {"here", "replaced"}, after
    banners = seen_banners(stays)  # read before the game ends (the ending is another page)
    ending(stays)
    left = [i for i, text in enumerate(banners) if "left the game" in text]
    assert left, (banners, stays.evaluate("() => window.mugGame.net.lagShown"), stays.mug_log[-20:])
    assert not [text for text in banners[left[0] :] if "lagging" in text or "reconnecting" in text], banners
    assert Participant.objects.get(external_id="stays").status == "completed"


def test_an_env_that_raises_in_reset_ends_the_game_for_every_seat_with_the_runtime_error_outcome(
    server_url, chromium_context, second_chromium_context
):
    first = join(chromium_context, server_url, "net-reset-crash", "first", seed=8)
    second = join(second_chromium_context, server_url, "net-reset-crash", "second", seed=9)
    texts = [ending(page) for page in (first, second)]
    assert all("technical problem" in text.lower() for text in texts), texts
    assert set(Participant.objects.values_list("status", flat=True)) == {"runtime_error"}
    game = Game.objects.get()
    assert game.status == "ended"
    assert GameEvent.objects.filter(game=game, kind="game_end", detail__reason="runtime_error").exists()


def test_the_first_frame_waits_for_every_seat_to_load(server_url, chromium_context, second_chromium_context):
    """One browser loads with its CPU throttled 6x: the other waits at the start barrier ("waiting for the others to
    load"), plays no frame until then, and is not told its partner is lagging while it waits, nor ever that it left.
    (Once both play, a partner still throttled on a busy machine may really lag: that banner is then the truth.)"""
    fast = join(chromium_context, server_url, "net-reload", "fast", seed=10)
    slow_page = second_chromium_context.new_page()
    cdp = second_chromium_context.new_cdp_session(slow_page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 6})
    slow_page.mug_log = []
    start_in_page(slow_page, f"{server_url}/x/net-reload/?PROLIFIC_PID=slow")
    fast.evaluate(BANNER_LOG)
    fast.evaluate(BANNERS_BEFORE_PLAY)
    fast.wait_for_function(
        "() => /waiting for the others to load \\(1 of 2 ready\\)/i.test(document.getElementById('net-status')?"
        ".textContent)",
        timeout=240_000,
    )
    assert fast.evaluate("() => window.mugGame.net.frames") == 0
    playing(slow_page, 10, timeout=300_000)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    for page in (fast, slow_page):
        ending(page, timeout=240_000)
    banners, waiting = seen_banners(fast), fast.evaluate("() => window.mugSeenBeforePlay")
    assert waiting and not [text for text in waiting if "lagging" in text or "left" in text], waiting
    assert not [text for text in banners if "left" in text], banners
    assert set(Participant.objects.values_list("status", flat=True)) == {"completed"}
