// The group game inside the worker: the relay link, the episodes the server starts, and a fixed clock that
// calls the Python net session once per tick (it predicts, rolls back and confirms; see mug/netplay.py).
// The leader's clock runs up to 10 % slower when the session says it is ahead of the others. The seat that drives
// the game's relayed AI agents (mug/relayed.py) runs their ONNX models between ticks; the outputs enter a later tick.

import { dispatch } from "../shared/dispatch.js";
import { errorMessage } from "../shared/errors.js";
import * as relay from "../shared/protocol/relay.js";
import * as work from "../shared/protocol/worker.js";
import { HostRoute } from "../shared/socket.js";
import { startClock } from "./clock.js";
import { NetClient } from "./netclient.js";
import { runQueries } from "./policies.js";

/**
 * What the group game uses of the worker (main.js).
 * @typedef {object} WorkerContext
 * @property {any} py the Pyodide instance
 * @property {(type: string, data?: object) => void} post sends a message to the page
 * @property {{held: string[], presses: string[], focused: boolean}} input the keys, as the page reports them
 * @property {any} config the scene's runtime configuration
 */

/** @type {any} the Python module mug.netplay */
let net = null;
/** @type {NetClient} */
let client;
/** @type {{stop: () => void, running: () => boolean} | null} */
let clock = null;
/** @type {{booted: boolean, episode: number | null, done: any, resynced: number}} */
const state = { booted: false, episode: null, done: null, resynced: 0 };
/** The relayed AI agents' model runs: at most one at a time; its outputs wait for the next tick. */
const models = { running: false, /** @type {Record<string, any>} */ outputs: {}, askedAt: 0 };
const played = { ticks: 0, frame: -1, stats: { rollbacks: 0, replayed: 0 }, since: { at: performance.now(), ticks: 0 } };

/** This browser's frame rate since the last report, its frame and its rollbacks (for the live monitor). */
function playStats() {
  const now = performance.now();
  const fps = ((played.ticks - played.since.ticks) * 1000) / Math.max(1, now - played.since.at);
  played.since = { at: now, ticks: played.ticks };
  return { fps, frame: played.frame, rollbacks: played.stats.rollbacks, replayed: played.stats.replayed };
}

/**
 * The page's NET_JOIN: connect to the relay.
 * @param {{path: string, host: string, sceneKey: string}} message the relay path and the game's host process
 * @param {WorkerContext} ctx
 */
export function netJoin(message, ctx) {
  net = ctx.py.pyimport("mug.netplay");
  const handlers = relayHandlers(ctx);
  const onMessage = (/** @type {any} */ m) => {
    try {
      dispatch(handlers, m, () => forward(m, ctx));
    } catch (error) {
      // The env raised building or resetting (net_boot, net_start run in the socket's handler, where nothing else
      // would catch it): the page reports it and the server ends the scene with the study's runtime error outcome.
      stopClock();
      client.close();
      ctx.post(work.ERROR, { stage: "reset", message: errorMessage(error) });
    }
  };
  const onLink = (/** @type {boolean} */ up) => ctx.post(work.NET_LINK, { up });
  const route = new HostRoute(message.path, message.host);
  client = new NetClient({ url: route, sceneKey: message.sceneKey, onMessage, onLink });
  client.statsOf = playStats;
  client.connect();
}

/**
 * A relay message for the page to show or record (player, replaced, desync, error, the game's end, ...).
 * @param {any} message
 * @param {WorkerContext} ctx
 */
function forward(message, ctx) {
  const { type, ...fields } = message;
  ctx.post(work.net(type), fields);
}

/**
 * The page's NET_GO (its countdown is over): start the clock.
 * @param {WorkerContext} ctx
 */
export function netGo(ctx) {
  if (clock?.running()) return;
  client.pollStates(false);
  clock = startClock(ctx.config.loop.fps, (now, late) => {
    const out = tick(now, late, ctx);
    return out ? out.tick_scale || 1 : null;
  });
}

/**
 * Before the worker loads the next scene of the visit: the group game is over for this interpreter. Its clock stops,
 * its relay link closes (if the relay's end has not closed it already) and its state is forgotten, so a later group
 * game boots its own net session (its mug.netplay is a fresh module: main.js drops the scene's modules).
 */
export function netLeave() {
  stopClock();
  client?.close();
  Object.assign(state, { booted: false, episode: null, done: null, resynced: 0 });
  Object.assign(models, { running: false, outputs: {}, askedAt: 0 });
  net = null;
}

/** @param {boolean} hidden */
export function netPresence(hidden) {
  if (client) client.send({ type: relay.PRESENCE, hidden });
}

/**
 * What the worker does with the relay's messages (those that are not news for the next tick: netclient.js).
 * @param {WorkerContext} ctx
 */
function relayHandlers(ctx) {
  /** @param {any} message */
  const over = (message) => {
    stopClock();
    state.done = null;
    client.close();
    forward(message, ctx);
  };
  return {
    [relay.WELCOME]: (/** @type {any} */ message) => {
      if (!state.booted) {
        const setup = { players: message.players, seat: message.seat, ...message.netcode };
        net.net_boot(JSON.stringify(ctx.config.loop), JSON.stringify(setup));
        state.booted = true;
      }
      const { seat, players, states, ready } = message;
      ctx.post(work.net(relay.WELCOME), { seat, players, states, ready });
      if (message.episode !== state.episode) {
        const fresh = message.episode === 0 && message.inputs.length === 0;
        begin(message.episode, message.seed, { stored: message.stored, fresh }, ctx);
      } else {
        client.send({ type: relay.READY, episode: state.episode }); // it may not have reached the relay either
        if (state.done) client.send(state.done); // the episode's end may not have reached the relay before the drop
      }
    },
    [relay.EPISODE]: (/** @type {any} */ message) =>
      begin(message.episode, message.seed, { stored: { n_steps: 0, chunks: 0 }, fresh: true }, ctx),
    [relay.FINISHED]: over,
    [relay.END]: over,
    [relay.SUPERSEDED]: over,
  };
}

/**
 * @param {number} episode
 * @param {number} seed
 * @param {{stored: {n_steps: number, chunks: number}, fresh: boolean}} extra
 * @param {WorkerContext} ctx
 */
function begin(episode, seed, extra, ctx) {
  stopClock();
  state.done = null;
  state.episode = episode;
  state.resynced = 0; // the relay counts the resyncs it sends per episode (and per rejoin)
  models.outputs = {}; // a model's answer about the last episode's frames
  const started = JSON.parse(net.net_start(episode, seed));
  client.send({ type: relay.READY, episode }); // reset: the others' start barrier counts this seat now
  if (extra.fresh) client.pollStates(true); // until the countdown is over: who has loaded (the start barrier)
  ctx.post(work.NET_STARTED, { episode, seed, render: started.render, hud: started.hud, reset: started.reset, ...extra });
}

function stopClock() {
  if (clock) clock.stop();
  clock = null;
}

/**
 * One tick of the group game; null once the episode is over (or the session failed).
 * @param {number} now
 * @param {number} late
 * @param {WorkerContext} ctx
 */
function tick(now, late, ctx) {
  const presses = ctx.input.presses;
  ctx.input.presses = [];
  const news = client.drain();
  const before = performance.now();
  let out;
  try {
    const inference = models.outputs;
    models.outputs = {};
    out = JSON.parse(net.net_tick(JSON.stringify({ held: ctx.input.held, presses, ...news, inference })));
  } catch (error) {
    ctx.post(work.ERROR, { stage: "step", message: errorMessage(error) });
    return null;
  }
  const tickMs = performance.now() - before;
  // The relay compares this browser's checksums again only once it has applied the state the relay last sent.
  if (news.resync) state.resynced = Math.max(state.resynced, news.resync.resync || 0);
  Object.assign(played, { ticks: played.ticks + 1, frame: out.frame, stats: out.stats });
  if (out.send.length || out.checksums.length || out.ai_send.length) {
    const { episode, resynced } = state;
    const { frame, send: inputs, checksums, ai_send: ai } = out;
    client.send({ type: relay.INPUT, episode, frame, inputs, checksums, resynced, ai });
  }
  client.askForMissing(out.confirmed, out.stalled);
  if (out.sync && now - models.askedAt > 1000) {
    models.askedAt = now; // this seat drives the AI now: it reads the relay's log before it writes a move
    client.send({ type: relay.SYNC, episode: state.episode, after: out.confirmed });
  }
  if (Object.keys(out.queries).length && !models.running) runModels(out.queries, ctx);
  for (const row of out.rows) Object.assign(row, { t: now, late_ms: late, focused: ctx.input.focused });
  ctx.post(work.NET_FRAME, {
    render: out.render, hud: out.hud, rows: out.rows, over: out.over, stalled: out.stalled, waiting: out.waiting,
    frame: out.frame, confirmed: out.confirmed, stats: out.stats, tick_ms: tickMs, rtt_ms: client.rttMs,
    reconnects: client.reconnects, tick_scale: out.tick_scale, replays: out.replays,
  });
  if (out.over) {
    endEpisode(out);
    return null;
  }
  return out;
}

/**
 * Until the server starts the next episode (or ends the game), say the episode is done again now and then: the relay
 * refuses an end it cannot confirm yet, e.g. when this browser's last inputs are still on their way. Its last
 * inputs go again too: the others cannot confirm the end without them.
 * @param {any} out the last tick's result
 */
function endEpisode(out) {
  state.done = { type: relay.DONE, episode: state.episode, frames: out.frame, checksum: out.final };
  client.send(state.done);
  const episode = state.episode;
  const resend = { type: relay.INPUT, episode, frame: out.frame, inputs: out.unacked, checksums: [], ai: out.ai_unacked };
  const again = setInterval(() => {
    if (!state.done || state.episode !== episode) {
      clearInterval(again);
      return;
    }
    if (resend.inputs.length || resend.ai.length) client.send(resend);
    client.send(state.done);
  }, 2000);
}

/**
 * Run the relayed AI agents' models on what this seat saw (onnxruntime-web, as in a lone browser); a failed run is
 * the game's runtime error.
 * @param {Record<string, any>} queries
 * @param {WorkerContext} ctx
 */
function runModels(queries, ctx) {
  models.running = true;
  runQueries(queries, ctx.config.loop.agents)
    .then((outputs) => Object.assign(models.outputs, outputs))
    .catch((error) => {
      stopClock();
      ctx.post(work.ERROR, { stage: "step", message: errorMessage(error) });
    })
    .finally(() => {
      models.running = false;
    });
}
