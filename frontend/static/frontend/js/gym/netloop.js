// The group game inside the worker: the relay link, the episodes the server starts, and a fixed clock that
// calls the Python net session once per tick (it predicts, rolls back and confirms; see mug/netplay.py).
// The leader's clock runs up to 10 % slower when the session says it is ahead of the others.

import { NetClient } from "./netclient.js";

let net = null; // the Python module mug.netplay
let client = null;
let clock = null;
const state = { booted: false, episode: null, done: null };
const played = { ticks: 0, frame: -1, stats: {}, since: { at: performance.now(), ticks: 0 } };

/** This browser's frame rate since the last report, its frame and its rollbacks (for the live monitor). */
function playStats() {
  const now = performance.now();
  const fps = ((played.ticks - played.since.ticks) * 1000) / Math.max(1, now - played.since.at);
  played.since = { at: now, ticks: played.ticks };
  return { fps, frame: played.frame, rollbacks: played.stats.rollbacks, replayed: played.stats.replayed };
}

/** Handles the page's "net-*" messages; `ctx` gives the worker's Python, post(), input and scene config. */
export function netHandle(message, ctx) {
  if (message.type === "net-join") {
    net = ctx.py.pyimport("mug.netplay");
    client = new NetClient({ url: message.url, sceneKey: message.sceneKey, onMessage: (m) => onRelay(m, ctx) });
    client.statsOf = playStats;
    client.connect();
  } else if (message.type === "net-go") {
    startClock(ctx);
  }
}

export function netPresence(hidden) {
  if (client) client.send({ type: "presence", hidden });
}

function onRelay(message, ctx) {
  if (message.type === "welcome") {
    if (!state.booted) {
      const setup = { players: message.players, seat: message.seat, ...message.netcode };
      net.net_boot(JSON.stringify(ctx.config.loop), JSON.stringify(setup));
      state.booted = true;
    }
    ctx.post("net-welcome", { seat: message.seat, players: message.players, states: message.states });
    if (message.episode !== state.episode) {
      const fresh = message.episode === 0 && message.inputs.length === 0;
      begin(message.episode, message.seed, { stored: message.stored, fresh }, ctx);
    } else if (state.done) {
      client.send(state.done); // the episode's end may not have reached the relay before the socket dropped
    }
  } else if (message.type === "episode") {
    begin(message.episode, message.seed, { stored: { n_steps: 0, chunks: 0 }, fresh: true }, ctx);
  } else if (["finished", "end", "superseded"].includes(message.type)) {
    stopClock();
    state.done = null;
    client.close();
    relay(message, ctx);
  } else {
    relay(message, ctx); // player, replaced, desync, error: for the page to show or record
  }
}

function relay(message, ctx) {
  const { type, ...fields } = message;
  ctx.post(`net-${type}`, fields);
}

function begin(episode, seed, extra, ctx) {
  stopClock();
  state.done = null;
  state.episode = episode;
  state.done = null;
  const started = JSON.parse(net.net_start(episode, seed));
  ctx.post("net-started", { episode, seed, render: started.render, hud: started.hud, reset: started.reset, ...extra });
}

function stopClock() {
  if (clock !== null) clearTimeout(clock);
  clock = null;
}

function startClock(ctx) {
  if (clock !== null) return;
  const period = 1000 / ctx.config.loop.fps;
  let next = performance.now();
  const run = () => {
    const now = performance.now();
    const late = Math.max(0, now - next);
    const out = tick(now, late, ctx);
    if (!out) {
      clock = null;
      return;
    }
    next += period * out.tick_scale;
    if (now - next > 5 * period) next = now + period; // after a long stall, re-anchor instead of racing
    clock = setTimeout(run, Math.max(0, next - performance.now()));
  };
  clock = setTimeout(run, 0);
}

function tick(now, late, ctx) {
  const presses = ctx.input.presses;
  ctx.input.presses = [];
  const news = client.drain();
  const before = performance.now();
  let out;
  try {
    out = JSON.parse(net.net_tick(JSON.stringify({ held: ctx.input.held, presses, ...news })));
  } catch (error) {
    ctx.post("error", { stage: "step", message: String(error && error.message ? error.message : error) });
    return null;
  }
  const tickMs = performance.now() - before;
  Object.assign(played, { ticks: played.ticks + 1, frame: out.frame, stats: out.stats });
  if (out.send.length || out.checksums.length) {
    client.send({ type: "input", episode: state.episode, frame: out.frame, inputs: out.send, checksums: out.checksums });
  }
  client.askForMissing(out.confirmed, out.stalled);
  for (const row of out.rows) Object.assign(row, { t: now, late_ms: late, focused: ctx.input.focused });
  ctx.post("net-frame", {
    render: out.render, hud: out.hud, rows: out.rows, over: out.over, stalled: out.stalled, waiting: out.waiting,
    frame: out.frame, confirmed: out.confirmed, stats: out.stats, tick_ms: tickMs, rtt_ms: client.rttMs,
    reconnects: client.reconnects, tick_scale: out.tick_scale, replays: out.replays,
  });
  if (out.over) {
    state.done = { type: "done", episode: state.episode, frames: out.frame, checksum: out.final };
    client.send(state.done);
    // Until the server starts the next episode (or ends the game), say it again now and then: the relay
    // refuses an end it cannot confirm yet, e.g. when this browser's last inputs are still on their way.
    // Its last inputs go again too: the others cannot confirm the end without them.
    const episode = state.episode;
    const resend = { type: "input", episode, frame: out.frame, inputs: out.unacked, checksums: [] };
    const again = setInterval(() => {
      if (!state.done || state.episode !== episode) {
        clearInterval(again);
        return;
      }
      if (resend.inputs.length) client.send(resend);
      client.send(state.done);
    }, 2000);
    return null;
  }
  return out;
}
