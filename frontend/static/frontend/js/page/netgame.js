// The page side of a group game: draws what the worker's net session shows, uploads its confirmed rows, counts
// down each episode, shows who is lagging, and resolves when the server says the game is over.

import { dispatch } from "../shared/dispatch.js";
import * as relay from "../shared/protocol/relay.js";
import * as work from "../shared/protocol/worker.js";
import { socketUrl } from "../shared/socket.js";
import { seatText } from "./renderer.js";

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * @typedef {{finished?: boolean, next?: string, reason?: string, superseded?: boolean}} GameResult
 */

/**
 * Resolves with {finished: true}, {next: url} (the game ended early) or {superseded: true}.
 * @param {object} options
 * @param {any} options.config the scene's runtime configuration
 * @param {Worker} options.worker
 * @param {import("./renderer.js").PacketRenderer} options.renderer
 * @param {import("./uploader.js").Uploader} options.uploader
 * @param {object} options.runtime what the worker reported of itself, stored with each episode
 * @param {(seconds: number) => Promise<void>} options.countdown
 * @returns {Promise<GameResult>}
 */
export function playNetGame({ config, worker, renderer, uploader, runtime, countdown }) {
  /** @type {any} what the tests and the benchmark read */
  const net = { frames: 0, rows: 0, episodes: [], states: {}, lagShown: [], desyncs: [], replaced: [], stats: null,
                replays: [], tickMs: [] };
  window.mugGame.net = net;
  const laggingMs = 1000 * config.netcode.lagging_s;
  let nextRow = 0; // the next frame the server lacks: rows before it (a reload, a resync) are not sent again
  /** @type {number | null} */
  let stalledSince = null;
  const banner = $("net-status");
  const showLag = () => {
    const away = Object.entries(net.states).filter(([p, s]) => p !== net.seat && (s === "hidden" || s === "away"));
    const stalled = stalledSince !== null && performance.now() - stalledSince > laggingMs;
    const names = new Set([...away.map(([p]) => p), ...(stalled ? net.waiting || [] : [])]);
    const text = names.size ? `Waiting for ${[...names].join(", ")}: their connection is lagging…` : "";
    if (text && banner.hidden) net.lagShown.push({ at: performance.now(), players: [...names] });
    banner.textContent = text;
    banner.hidden = !text;
  };
  return new Promise((resolve) => {
    /** @param {GameResult} result */
    const finish = (result) => {
      worker.removeEventListener("message", onMessage);
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
        Object.assign(net, { seat: m.seat, players: m.players });
        renderer.seat(seatText(config.loop, m.seat));
        Object.assign(net.states, m.states);
      },
      [work.NET_STARTED]: (m) => {
        nextRow = m.stored.n_steps; // rows the server already has (a reload fast-forwards through them)
        uploader.beginEpisode(m.episode, { seed: m.seed, runtime, reset: m.reset, netcode: config.netcode }, m.stored);
        net.episodes.push({ episode: m.episode, seed: m.seed, rejoined: !m.fresh });
        renderer.draw(m.render);
        renderer.hud(m.hud);
        const counted = m.fresh ? countdown(config.countdown_seconds) : Promise.resolve();
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
        net.states[m.player] = m.state;
        showLag();
      },
      [work.net(relay.REPLACED)]: (m) => {
        net.replaced.push(m);
        net.states[m.player] = "replaced";
        showLag();
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
    worker.postMessage({ type: work.NET_JOIN, url: socketUrl(config.relay_path), sceneKey: config.scene_key });
  });
}
