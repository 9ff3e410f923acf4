// The page side of a server-side game: the env steps on the server; this page sends the keys over a WebSocket
// and draws the frames it gets back (the same render packets, the same renderer as the browser runtime).
// Nothing is uploaded: the server stores every frame itself.

import { dispatch } from "../shared/dispatch.js";
import * as sgame from "../shared/protocol/servergame.js";
import * as work from "../shared/protocol/worker.js";
import { HostRoute, JsonSocket } from "../shared/socket.js";
import { keysOf, trackKeys } from "./input.js";
import { createRenderer, hudFor, seatText } from "./renderer.js";
import { showSeatContent } from "./seat_content.js";

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const PING_EVERY_MS = 1000;
const BUSY_TEXT = "The server is busy; please wait — you will start as soon as a place frees up.";

/**
 * Resolves with {finished: true}, {next, reason} (the game ended early) or {superseded: true}.
 * @param {{config: any, countdown: (seconds: number) => Promise<void>}} options
 * @returns {Promise<import("./netgame.js").GameResult>}
 */
export function playServerGame({ config, countdown }) {
  /** @type {any} what the tests and the benchmark read */
  const state = { frames: 0, episodes: [], latencyMs: [], rttMs: [], reconnects: 0, paused: [], seat: null, repaints: 0 };
  window.mugGame.server = state;
  const banner = $("net-status");
  /** @type {Map<number, number>} input id -> when it was sent (input-to-render latency) */
  const pending = new Map();
  /** @type {import("./renderer.js").PacketRenderer | null} */
  let renderer = null;
  let lastFrame = 0;
  /** @type {number | null} */
  let shownEpisode = null;
  let repaintAskedAt = 0;
  let inputId = 0;
  let over = false;
  let probed = { at: performance.now(), frames: 0 };
  const playStats = () => {
    const now = performance.now();
    const fps = ((state.frames - probed.frames) * 1000) / Math.max(1, now - probed.at);
    probed = { at: now, frames: state.frames };
    return { fps, frame: lastFrame };
  };
  let handled = Promise.resolve(); // messages are handled in order (the renderer is created asynchronously)
  /** @param {string} text */
  const showBanner = (text) => {
    banner.textContent = text;
    banner.hidden = !text;
  };

  return new Promise((resolve) => {
    // input.js talks to "a worker"; here the keys go to the server instead.
    const keyHandlers = {
      [work.INPUT]: (message) => {
        inputId += 1;
        pending.set(inputId, performance.now());
        socket.send({ type: sgame.INPUT, frame: lastFrame, held: message.held, presses: message.presses, id: inputId });
      },
      [work.FOCUS]: (message) => socket.send({ type: sgame.PRESENCE, hidden: !message.focused }),
    };
    const keyLink = { postMessage: (/** @type {any} */ message) => dispatch(keyHandlers, message) };
    /** @param {import("./netgame.js").GameResult} result */
    const finish = (result) => {
      over = true;
      try {
        sessionStorage.setItem("mugServerStats", JSON.stringify(state)); // read by the tests and the benchmark
      } catch {
        // storage full or disabled: only the measurement is missed
      }
      showBanner("");
      socket.close();
      resolve(result);
    };
    /** @param {any} message */
    const draw = async (message) => {
      if (!renderer) {
        const loop = config.loop;
        renderer = await createRenderer($("game-canvas"), {
          width: loop.width, height: loop.height, background: loop.background, assets: message.assets || [],
          pixelArt: loop.pixel_art,
        });
        trackKeys(keyLink, keysOf(loop.keys));
        // For the tests (what is drawn, e.g. under the countdown); not enumerable: the benchmark serialises mugGame.
        Object.defineProperty(window.mugGame, "renderer", { value: renderer, configurable: true });
        window.mugGame.timing.ready = performance.now();
      }
      if (message.render) renderer.draw(message.render);
      if (message.hud !== undefined) renderer.hud(hudFor(message.hud, state.seat)); // this seat's own line
    };
    /** @param {Record<string, number> | undefined} seen */
    const measure = (seen) => {
      const id = seen?.[state.seat];
      if (id === undefined || !pending.has(id)) return;
      const now = performance.now();
      for (const [sent, at] of pending) {
        if (sent > id) break;
        if (sent === id && state.latencyMs.length < 20000) state.latencyMs.push(now - at);
        pending.delete(sent);
      }
    };
    const notBusy = () => {
      if (state.busy) showBanner("");
      state.busy = false;
    };
    const handlers = {
      [sgame.BUSY]: () => {
        state.busy = true; // no game process is free yet: the server starts this game by itself when one frees
        showBanner(BUSY_TEXT);
      },
      [sgame.WELCOME]: async (m) => {
        notBusy();
        state.seat = m.seat;
        [shownEpisode, lastFrame] = [m.episode, m.frame]; // the whole screen as of this frame
        await draw(m);
        renderer?.seat(seatText(config.loop, m.seat));
        showSeatContent(m.seat);
        if (m.paused) showBanner("The game is paused until everyone is back…");
      },
      [sgame.STARTED]: async (m) => {
        notBusy();
        [shownEpisode, lastFrame] = [m.episode, -1];
        await draw(m);
        state.episodes.push({ episode: m.episode, seed: m.seed });
        if (m.countdown_s) countdown(m.countdown_s); // the server waits as long before the first frame
      },
      [sgame.FRAME]: async (m) => {
        if (!state.frames) window.mugGame.timing.firstFrame = performance.now();
        state.frames += 1;
        window.mugGame.frames = state.frames;
        const missed = m.episode === shownEpisode && m.frame > lastFrame + 1;
        if (missed && performance.now() - repaintAskedAt > 1000) {
          // Deltas were lost on the way (an overloaded server drops frames): ask for the whole screen again.
          repaintAskedAt = performance.now();
          state.repaints += 1;
          socket.send({ type: sgame.REPAINT });
        }
        shownEpisode = m.episode;
        lastFrame = m.frame;
        await draw(m);
        measure(m.seen);
      },
      [sgame.PAUSED]: (m) => {
        state.paused.push(m);
        showBanner(m.paused ? `Paused: waiting for ${m.waiting.join(", ")} to come back…` : "");
      },
      [sgame.PLAYER]: (m) => {
        if (m.player === state.seat) return;
        const away = m.state === "hidden" || m.state === "away";
        showBanner(away ? `Waiting for ${m.player}: their connection is lagging…` : "");
      },
      [sgame.PROBE]: (m) => socket.send({ type: sgame.PROBE, id: m.id, stats: playStats() }), // the server times it
      [sgame.PONG]: (m) => {
        if (typeof m.id === "number" && state.rttMs.length < 5000) state.rttMs.push(performance.now() - m.id);
      },
      [sgame.FINISHED]: () => finish({ finished: true }),
      [sgame.END]: (m) => finish({ next: m.next, reason: m.reason }),
      [sgame.SUPERSEDED]: () => finish({ superseded: true }),
      [sgame.ERROR]: (m) => console.warn("server game:", m.message),
    };
    const route = new HostRoute(config.server_path, window.mugGame.match?.host);
    const socket = new JsonSocket({
      url: route,
      onOpen: () => socket.send({ type: sgame.HELLO, scene_key: config.scene_key, ...route.hello() }),
      onMessage: (message) => {
        handled = handled.then(() => dispatch(handlers, message)).catch((error) => console.warn("server game:", error));
      },
      onDrop: () => {
        if (over) return false;
        state.reconnects += 1;
        showBanner("Reconnecting to the game…"); // the seat waits; the rejoin repaints all
      },
    }).connect();
    const pinger = setInterval(
      () => (over ? clearInterval(pinger) : socket.send({ type: sgame.PING, id: performance.now() })),
      PING_EVERY_MS,
    );
  });
}
