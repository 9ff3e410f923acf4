// The page side of a group game: draws what the worker's net session shows, uploads its confirmed rows, counts
// down each episode, shows who is lagging, and resolves when the server says the game is over.

import { dispatch } from "../shared/dispatch.js";
import * as relay from "../shared/protocol/relay.js";
import * as work from "../shared/protocol/worker.js";
import { HostRoute, JsonSocket } from "../shared/socket.js";
import { csrfTokenOf, postJson } from "./http.js";
import { seatText } from "./renderer.js";
import { showSeatContent } from "./seat_content.js";

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * @typedef {{finished?: boolean, next?: string, reason?: string, superseded?: boolean}} GameResult
 */

const GONE_SHOWN_MS = 6000; // how long "X left the game" stays up

/**
 * What the others are told of each state of a seat (the start barrier counts "loading" and "away" as not ready).
 * @param {string} player
 * @param {string} state
 * @param {string} policy what plays for a seat that left ("ai", "idle") or "" if nothing does
 */
function partnerText(player, state, policy) {
  if (state === "away" || state === "loading") return `${player} is reconnecting…`;
  if (state === "hidden" || state === "lagging") return `Waiting for ${player}: their connection is lagging…`;
  if (state === "replaced" || state === "dropped") {
    if (policy === "ai") return `${player} left the game; the computer plays for them.`;
    return `${player} left the game.`;
  }
  return "";
}

// A seat's state only moves forward: once a seat has left (dropped, played by a policy), a late notice of its
// old socket (e.g. "away" after "replaced") changes nothing.
const FINAL_STATES = new Set(["replaced", "dropped"]);

/**
 * @param {Record<string, string>} states
 * @param {string} player
 * @param {string} state
 */
function setState(states, player, state) {
  if (FINAL_STATES.has(states[player]) && !FINAL_STATES.has(state)) return;
  states[player] = state;
}

/**
 * Until the game is over for this page, its pagehide tells the relay the page is unloading (a reload, a closed tab):
 * the seat is then held for the game's `unload_grace_s` until the next page's socket says hello, not only `dropout_s`.
 * Sent over HTTP with keepalive: the game socket lives in the worker, which may be gone before it could send.
 * @param {any} config the scene's runtime configuration
 * @returns {() => void} stops announcing
 */
function announceUnloading(config) {
  if (!config.unload_url) return () => {};
  const csrfToken = csrfTokenOf("#scene-form");
  const onHide = () => {
    postJson(config.unload_url, { scene_key: config.scene_key }, csrfToken, { keepalive: true }).catch(() => {});
  };
  window.addEventListener("pagehide", onHide);
  return () => window.removeEventListener("pagehide", onHide);
}

/**
 * @typedef {{release: () => void, isOver: () => boolean, quiet: () => void, handOver: () => Promise<void>}} HeldSeat
 */

// How long the hand-over waits for the relay to answer the holding socket's hello before it closes that socket.
const HELLO_ANSWER_MS = 10000;

/**
 * While the page loads the game (Python boots in the worker), hold the participant's seat over the page's own
 * socket: the relay then knows the seat is loading (it waits `load_grace_s` for it, not `dropout_s`) and the others
 * are told "reconnecting". If the game is over for the participant (it ended while the page reloaded, or the relay
 * refuses them), `onOver` gets the result at once, without waiting for Python.
 *
 * The relay gives the seat to the socket that said hello last. `handOver()` resolves once no hello of this socket
 * can still reach the relay: its hello was answered, or the socket is closed before it said one. Only then may the
 * worker's socket say hello; a holding hello that came after it would take the seat from the game itself (a reused
 * interpreter is ready before the holding socket has even opened).
 * @param {any} config the scene's runtime configuration
 * @param {(result: GameResult) => void} onOver
 * @returns {HeldSeat}
 */
export function holdSeat(config, onOver) {
  let done = false;
  let ended = false;
  let handing = false; // the worker's socket is about to say hello: this one says no more and never reconnects
  let unanswered = false; // this connection's hello is on its way and the relay has not answered it yet
  /** @type {(() => void)[]} */
  let waiters = [];
  const settle = () => {
    unanswered = false;
    for (const resolve of waiters) resolve();
    waiters = [];
  };
  const quiet = announceUnloading(config); // from now until the game is over for this page
  const release = () => {
    done = true;
    clearInterval(pinger);
    socket.close();
    settle();
  };
  const over = (/** @type {GameResult} */ result) => {
    if (done) return;
    release();
    quiet();
    ended = true;
    onOver(result);
  };
  const handlers = {
    [relay.END]: (m) => over({ next: m.next, reason: m.reason }),
    [relay.FINISHED]: () => over({ finished: true }),
    [relay.SUPERSEDED]: release, // this page's worker (or a newer tab) took the seat
    [relay.PROBE]: (m) => socket.send({ type: relay.PROBE, id: m.id, stats: {} }),
  };
  const socket = new JsonSocket({
    url: new HostRoute(config.relay_path, window.mugGame.match?.host),
    onOpen: () => {
      if (handing) return release(); // opened too late to hold anything: the worker's socket serves the seat
      const hello = { type: relay.HELLO, scene_key: config.scene_key, loading: true, ...socket.route?.hello() };
      unanswered = socket.send(hello);
    },
    onMessage: (message) => {
      settle(); // the relay answers a hello before anything else it sends this socket
      dispatch(handlers, message);
    },
    onDrop: () => {
      settle();
      return !done && !handing;
    },
  });
  socket.connect();
  const pinger = setInterval(() => socket.send({ type: relay.PING, id: 0 }), 1000); // keeps the seat seen
  /** @returns {Promise<void>} */
  const handOver = () => {
    handing = true;
    if (done) return Promise.resolve();
    if (!unanswered) {
      // Not open yet (nothing said) or already answered (the seat stays held until the worker's welcome).
      if (socket.socket?.readyState !== WebSocket.OPEN) release();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      waiters.push(() => resolve(undefined));
      setTimeout(() => unanswered && release(), HELLO_ANSWER_MS); // a relay that never answers: stop holding
    });
  };
  return { release, isOver: () => ended, quiet, handOver };
}

/**
 * Resolves with {finished: true}, {next: url} (the game ended early) or {superseded: true}.
 * @param {object} options
 * @param {any} options.config the scene's runtime configuration
 * @param {Worker} options.worker
 * @param {import("./renderer.js").PacketRenderer} options.renderer
 * @param {import("./uploader.js").Uploader} options.uploader
 * @param {object} options.runtime what the worker reported of itself, stored with each episode
 * @param {(seconds: number) => Promise<void>} options.countdown
 * @param {HeldSeat | null} [options.held] the page's socket that held the seat while the game loaded (and its
 *   unloading notice, stopped when the game is over here)
 * @returns {Promise<GameResult>}
 */
export function playNetGame({ config, worker, renderer, uploader, runtime, countdown, held = null }) {
  if (held?.isOver()) return new Promise(() => {}); // the page is already on its way to the participant's ending
  /** @type {any} what the tests and the benchmark read */
  const net = { frames: 0, rows: 0, episodes: [], states: {}, lagShown: [], desyncs: [], replaced: [], stats: null,
                replays: [], tickMs: [] };
  window.mugGame.net = net;
  const laggingMs = 1000 * config.netcode.lagging_s;
  let nextRow = 0; // the next frame the server lacks: rows before it (a reload, a resync) are not sent again
  /** @type {number | null} */
  let stalledSince = null;
  net.link = true; // this browser's own connection to the relay
  net.barrier = null; // before the first frame: {ready, of} while some seat is still loading
  /** @type {Record<string, number>} when each seat was seen to leave */
  const goneAt = {};
  const banner = $("net-status");
  const showLag = () => {
    let text = "";
    const now = performance.now();
    const others = Object.entries(net.states).filter(([p]) => p !== net.seat);
    if (!net.link) {
      text = "Your connection to the game was lost; reconnecting…"; // never blamed on a partner
    } else if (net.barrier) {
      text = `Waiting for the others to load (${net.barrier.ready} of ${net.barrier.of} ready)…`;
    } else {
      const stalled = stalledSince !== null && now - stalledSince > laggingMs ? net.waiting || [] : [];
      const shown = others.map(([p, s]) => {
        if (FINAL_STATES.has(s)) return now - (goneAt[p] ?? now) < GONE_SHOWN_MS ? [p, s] : [p, ""];
        if (s === "here" && stalled.includes(p)) return [p, "lagging"];
        return [p, s];
      });
      const policy = config.netcode.on_dropout || "";
      text = shown.map(([p, s]) => partnerText(p, s, policy)).filter(Boolean).join(" ");
    }
    if (text && banner.hidden) net.lagShown.push({ at: now, players: others.map(([p]) => p), text });
    banner.textContent = text;
    banner.hidden = !text;
  };
  /** @param {string} player @param {string} state */
  const stateOf = (player, state) => {
    if (FINAL_STATES.has(state) && !FINAL_STATES.has(net.states[player])) goneAt[player] = performance.now();
    setState(net.states, player, state);
  };
  /** @type {Record<string, number>} the last episode each seat's browser has reset (the relay's READY notices) */
  const resetFor = {};
  /** @param {Record<string, number> | undefined} ready */
  const readyOf = (ready) => {
    for (const [player, episode] of Object.entries(ready || {})) {
      resetFor[player] = Math.max(resetFor[player] ?? -1, episode);
    }
  };
  /** Until every seat has loaded (none is loading or away) and reset the episode, its first frame waits: the start
   * barrier, at every episode (this seat, which has reset it, counts as ready; one that left never resets). */
  const barrierCount = () => {
    const others = Object.entries(net.states).filter(([p]) => p !== net.seat);
    const episode = net.episodes[net.episodes.length - 1]?.episode ?? 0;
    /** @param {[string, string]} seat */
    const isReady = ([p, s]) =>
      FINAL_STATES.has(s) || (s !== "loading" && s !== "away" && (resetFor[p] ?? -1) >= episode);
    return { ready: 1 + others.filter(isReady).length, of: others.length + 1 };
  };
  /** @type {(() => void) | null} */
  let barrierCheck = null;
  const allLoaded = () =>
    new Promise((resolve) => {
      barrierCheck = () => {
        const count = barrierCount();
        net.barrier = count.ready < count.of ? count : null;
        showLag();
        if (!net.barrier) {
          barrierCheck = null;
          resolve(undefined);
        }
      };
      barrierCheck();
    });
  return new Promise((resolve) => {
    /** @param {GameResult} result */
    const finish = (result) => {
      worker.removeEventListener("message", onMessage);
      held?.quiet?.();
      try {
        sessionStorage.setItem("mugNetStats", JSON.stringify(net)); // what the benchmark reads after the game
      } catch {
        // storage full or disabled: only the benchmark misses it
      }
      banner.hidden = true;
      resolve(result);
    };
    const handlers = {
      [work.net(relay.WELCOME)]: (m) => {
        held?.release(); // the worker's own socket serves the seat now
        Object.assign(net, { seat: m.seat, players: m.players });
        renderer.seat(seatText(config.loop, m.seat));
        showSeatContent(m.seat);
        for (const [player, state] of Object.entries(m.states)) stateOf(player, String(state));
        readyOf(m.ready);
      },
      [work.NET_LINK]: (m) => {
        net.link = m.up;
        showLag();
      },
      [work.NET_STARTED]: (m) => {
        nextRow = m.stored.n_steps; // rows the server already has (a reload fast-forwards through them)
        uploader.beginEpisode(m.episode, { seed: m.seed, runtime, reset: m.reset, netcode: config.netcode }, m.stored);
        net.episodes.push({ episode: m.episode, seed: m.seed, rejoined: !m.fresh });
        renderer.draw(m.render);
        renderer.hud(m.hud);
        const loaded = m.fresh ? allLoaded() : Promise.resolve();
        const counted = m.fresh ? loaded.then(() => countdown(config.countdown_seconds)) : loaded;
        counted.then(() => worker.postMessage({ type: work.NET_GO }));
      },
      [work.NET_FRAME]: (m) => {
        if (!net.frames) window.mugGame.timing.firstFrame = performance.now();
        net.frames++;
        window.mugGame.frames = net.frames;
        window.mugGame.tickMs += m.tick_ms;
        Object.assign(net, { stats: m.stats, frame: m.frame, confirmed: m.confirmed, rtt: m.rtt_ms, waiting: m.waiting,
                             reconnects: m.reconnects, tickScale: m.tick_scale });
        net.replays.push(...m.replays); // [depth, ms] per rollback, and each tick's Python time, for the benchmark
        if (net.tickMs.length < 20000) net.tickMs.push(m.tick_ms);
        if (m.render) renderer.draw(m.render);
        renderer.hud(m.hud);
        for (const row of m.rows) {
          if (row.frame >= nextRow) {
            uploader.add(row);
            nextRow = row.frame + 1;
          }
          net.rows++;
        }
        stalledSince = m.stalled ? (stalledSince ?? performance.now()) : null;
        showLag();
        if (m.over) uploader.endEpisode();
      },
      [work.net(relay.PLAYER)]: (m) => {
        if (m.states) for (const [player, state] of Object.entries(m.states)) stateOf(player, String(state));
        else stateOf(m.player, m.state);
        readyOf(m.ready);
        showLag();
        barrierCheck?.();
      },
      [work.net(relay.READY)]: (m) => {
        readyOf({ [m.player]: m.episode });
        barrierCheck?.();
      },
      [work.net(relay.REPLACED)]: (m) => {
        net.replaced.push(m);
        stateOf(m.player, "replaced");
        showLag();
        barrierCheck?.();
      },
      [work.net(relay.RESYNC)]: () => {
        net.resyncs = (net.resyncs || 0) + 1;
      },
      [work.net(relay.DESYNC)]: (m) => {
        net.desyncs.push(m);
        console.warn("game state differs between participants at frame", m.frame);
      },
      [work.net(relay.FINISHED)]: () => finish({ finished: true }),
      [work.net(relay.END)]: (m) => finish({ next: m.next, reason: m.reason }),
      [work.net(relay.SUPERSEDED)]: () => finish({ superseded: true }),
      [work.net(relay.ERROR)]: (m) => console.warn("relay:", m.message),
    };
    /** @param {MessageEvent} event */
    const onMessage = (event) => dispatch(handlers, event.data);
    worker.addEventListener("message", onMessage);
    const join = () =>
      worker.postMessage({
        type: work.NET_JOIN,
        path: config.relay_path,
        host: window.mugGame.match?.host || "",
        sceneKey: config.scene_key,
      });
    if (held) held.handOver().then(join);
    else join();
  });
}
