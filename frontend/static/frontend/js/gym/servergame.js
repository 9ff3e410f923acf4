// The page side of a server-side game: the env steps on the server; this page sends the keys over a WebSocket
// and draws the frames it gets back (the same render packets, the same renderer as the browser runtime).
// Nothing is uploaded: the server stores every frame itself.

import { createRenderer } from "../renderer.js";
import { keysOf, trackKeys } from "./input.js";

const $ = (id) => document.getElementById(id);
const PING_EVERY_MS = 1000;
const BUSY_TEXT = "The server is busy; please wait — you will start as soon as a place frees up.";

function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/** Resolves with {finished: true}, {next, reason} (the game ended early) or {superseded: true}. */
export function playServerGame({ config, countdown }) {
  const state = { frames: 0, episodes: [], latencyMs: [], rttMs: [], reconnects: 0, paused: [], seat: null, repaints: 0 };
  window.mugGame.server = state; // what the tests and the benchmark read
  const banner = $("net-status");
  const pending = new Map(); // input id -> when it was sent (input-to-render latency)
  let socket = null;
  let renderer = null;
  let lastFrame = 0;
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
  let work = Promise.resolve(); // messages are handled in order (the renderer is created asynchronously)

  const send = (message) => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };
  // input.js talks to "a worker"; here the keys go to the server instead.
  const keyLink = {
    postMessage(message) {
      if (message.type === "input") {
        inputId += 1;
        pending.set(inputId, performance.now());
        send({ type: "input", frame: lastFrame, held: message.held, presses: message.presses, id: inputId });
      } else if (message.type === "focus") {
        send({ type: "presence", hidden: !message.focused });
      }
    },
  };
  const showBanner = (text) => {
    banner.textContent = text;
    banner.hidden = !text;
  };

  return new Promise((resolve) => {
    const finish = (result) => {
      over = true;
      try {
        sessionStorage.setItem("mugServerStats", JSON.stringify(state)); // read by the tests and the benchmark
      } catch {
        // storage full or disabled: only the measurement is missed
      }
      showBanner("");
      if (socket) socket.close();
      resolve(result);
    };
    const draw = async (message) => {
      if (!renderer) {
        const loop = config.loop;
        renderer = await createRenderer($("game-canvas"), {
          width: loop.width, height: loop.height, background: loop.background, assets: message.assets || [],
        });
        trackKeys(keyLink, keysOf(loop.keys));
        window.mugGame.timing.ready = performance.now();
      }
      if (message.render) renderer.draw(message.render);
      if (message.hud !== undefined) renderer.hud(message.hud);
    };
    const measure = (seen) => {
      const id = seen && seen[state.seat];
      if (!pending.has(id)) return;
      const now = performance.now();
      for (const [sent, at] of pending) {
        if (sent > id) break;
        if (sent === id && state.latencyMs.length < 20000) state.latencyMs.push(now - at);
        pending.delete(sent);
      }
    };
    const handle = async (m) => {
      if (m.type === "busy") {
        state.busy = true; // no game process is free yet: the server starts this game by itself when one frees
        showBanner(BUSY_TEXT);
      } else if (m.type === "welcome") {
        if (state.busy) showBanner("");
        state.busy = false;
        state.seat = m.seat;
        [shownEpisode, lastFrame] = [m.episode, m.frame]; // the whole screen as of this frame
        await draw(m);
        if (m.paused) showBanner("The game is paused until everyone is back…");
      } else if (m.type === "started") {
        if (state.busy) showBanner("");
        state.busy = false;
        [shownEpisode, lastFrame] = [m.episode, -1];
        await draw(m);
        state.episodes.push({ episode: m.episode, seed: m.seed });
        if (m.countdown_s) countdown(m.countdown_s); // the server waits as long before the first frame
      } else if (m.type === "frame") {
        if (!state.frames) window.mugGame.timing.firstFrame = performance.now();
        state.frames += 1;
        window.mugGame.frames = state.frames;
        const missed = m.episode === shownEpisode && m.frame > lastFrame + 1;
        if (missed && performance.now() - repaintAskedAt > 1000) {
          // Deltas were lost on the way (an overloaded server drops frames): ask for the whole screen again.
          repaintAskedAt = performance.now();
          state.repaints += 1;
          send({ type: "repaint" });
        }
        shownEpisode = m.episode;
        lastFrame = m.frame;
        await draw(m);
        measure(m.seen);
      } else if (m.type === "paused") {
        state.paused.push(m);
        showBanner(m.paused ? `Paused: waiting for ${m.waiting.join(", ")} to come back…` : "");
      } else if (m.type === "player" && m.player !== state.seat) {
        const away = m.state === "hidden" || m.state === "away";
        showBanner(away ? `Waiting for ${m.player}: their connection is lagging…` : "");
      } else if (m.type === "probe") {
        send({ type: "probe", id: m.id, stats: playStats() }); // the server times the round trip
      } else if (m.type === "pong") {
        if (typeof m.id === "number" && state.rttMs.length < 5000) state.rttMs.push(performance.now() - m.id);
      } else if (m.type === "finished") {
        finish({ finished: true });
      } else if (m.type === "end") {
        finish({ next: m.next, reason: m.reason });
      } else if (m.type === "superseded") {
        finish({ superseded: true });
      } else if (m.type === "error") {
        console.warn("server game:", m.message);
      }
    };
    const connect = (delay) => {
      socket = new WebSocket(socketUrl(config.server_path));
      socket.onopen = () => {
        delay = 250;
        send({ type: "hello", scene_key: config.scene_key });
      };
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        work = work.then(() => handle(message)).catch((error) => console.warn("server game:", error));
      };
      socket.onclose = () => {
        if (over) return;
        state.reconnects += 1;
        showBanner("Reconnecting to the game…");
        setTimeout(() => connect(Math.min(delay * 2, 4000)), delay); // the seat waits; the rejoin repaints all
      };
    };
    connect(250);
    const pinger = setInterval(() => (over ? clearInterval(pinger) : send({ type: "ping", id: performance.now() })),
      PING_EVERY_MS);
  });
}
