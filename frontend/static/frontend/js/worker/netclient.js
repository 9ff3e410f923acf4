// The game worker's link to the relay: one WebSocket, hello/welcome, this browser's un-acknowledged inputs every
// tick, the news in between (others' inputs, acks, players, replacements, episodes), pings for the round trip,
// answers to the server's probes (it times the round trip itself; the answer carries this browser's frame rate
// and rollbacks for the live monitor), and reconnects with backoff (the relay resends the episode's inputs).

import { dispatch } from "../shared/dispatch.js";
import * as relay from "../shared/protocol/relay.js";
import { JsonSocket } from "../shared/socket.js";

const PING_EVERY_MS = 1000;
const SYNC_AFTER_MS = 1000; // stalled this long on a partner: ask the relay for the inputs this browser lacks

/**
 * What arrived since the last tick, in the form the Python session (mug/netplay.py) takes.
 * @typedef {object} News
 * @property {any[]} inputs [player, frame, action] triples
 * @property {any[]} replaced [player, from_frame, policy] triples
 * @property {number} ack
 * @property {Record<string, number>} remote_frames
 * @property {any} resync
 * @property {boolean} resend
 * @property {Record<string, number>} ai_ack the relay's acks of the relayed AI agents' inputs this browser drives
 * @property {boolean} input_log the relay's log arrived (a seat that takes over driving the AI reads it first)
 */

export class NetClient {
  /**
   * @param {object} options
   * @param {import("../shared/socket.js").HostRoute} options.url the game's route (its host process, or any)
   * @param {string} options.sceneKey
   * @param {(message: any) => void} options.onMessage
   * @param {(up: boolean) => void} [options.onLink] this browser's own connection went down, or is back (welcomed)
   */
  constructor({ url, sceneKey, onMessage, onLink = () => {} }) {
    this.sceneKey = sceneKey;
    this.onMessage = onMessage; // messages the game acts on (welcome, episode, finished, end, player, ...)
    this.onLink = onLink;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.statePoll = undefined;
    /** @type {() => object} what a probe's answer reports (set by the game loop) */
    this.statsOf = () => ({});
    this.rttMs = 0;
    /** @type {Map<number, number>} */
    this.pings = new Map();
    this.pingId = 0;
    /** @type {number | null} */
    this.episode = null;
    /** @type {number | null} */
    this.stalledSince = null;
    this.syncedAt = 0;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.pinger = undefined;
    /** @type {News} */
    this.news = this.#freshNews();
    this.socket = new JsonSocket({
      url,
      onOpen: () => this.send({ type: relay.HELLO, scene_key: this.sceneKey, ...url.hello() }),
      onMessage: (message) => this.#receive(message),
      onDrop: () => this.onLink(false),
    });
    // The news the game loop merges in each tick; everything else goes on to onMessage (after its news is taken).
    this.handlers = {
      [relay.INPUTS]: (m) => {
        if (m.episode !== this.episode) return true; // stale
        for (const [frame, action] of m.inputs) this.news.inputs.push([m.player, frame, action]);
        this.news.inputs.push(...(m.ai || [])); // the relayed AI agents' moves, from the seat that drives them
        if (typeof m.frame === "number") this.news.remote_frames[m.player] = m.frame;
        return true;
      },
      [relay.ACK]: (m) => {
        if (m.episode !== this.episode) return true;
        this.news.ack = Math.max(this.news.ack, m.ack);
        this.#aiAcks(m.ai_ack);
        return true;
      },
      [relay.INPUT_LOG]: (m) => {
        if (m.episode === this.episode) {
          this.news.inputs.push(...m.inputs); // known ones are ignored
          this.news.input_log = true;
        }
        // a PLAYER or READY notice may have been lost
        if (m.states) this.onMessage({ type: relay.PLAYER, states: m.states, ready: m.ready });
        return true;
      },
      [relay.PROBE]: (m) => {
        this.send({ type: relay.PROBE, id: m.id, stats: this.statsOf() });
        return true;
      },
      [relay.PONG]: (m) => {
        const sent = this.pings.get(m.id);
        if (sent !== undefined) {
          const rtt = performance.now() - sent;
          this.rttMs = this.rttMs ? 0.8 * this.rttMs + 0.2 * rtt : rtt;
        }
        return true;
      },
      [relay.WELCOME]: (m) => {
        if (m.episode !== this.episode) this.news = this.#freshNews();
        this.episode = m.episode;
        this.news.inputs.push(...m.inputs);
        this.news.replaced.push(...m.replaced);
        this.news.ack = Math.max(this.news.ack, m.ack);
        this.#aiAcks(m.ai_ack);
        this.news.resend = true; // a new socket: whatever the relay has not acknowledged goes again
        this.onLink(true);
      },
      [relay.RESYNC]: (m) => {
        // the referee's state: this browser had diverged (the relay sends it to us only)
        if (m.episode === this.episode) this.news.resync = m;
      },
      [relay.REPLACED]: (m) => {
        this.news.replaced.push([m.player, m.from_frame, m.policy]);
      },
      [relay.EPISODE]: (m) => {
        this.episode = m.episode;
        this.news = this.#freshNews();
      },
    };
  }

  get reconnects() {
    return this.socket.reconnects;
  }

  get bytesOut() {
    return this.socket.bytesOut;
  }

  connect() {
    this.socket.connect();
    if (!this.pinger) this.pinger = setInterval(() => this.#ping(), PING_EVERY_MS);
  }

  /**
   * Before the first frame, every seat must have loaded: ask the relay for every seat's state now and then (a
   * PLAYER notice sent while this socket was joining is not repeated).
   * @param {boolean} on
   */
  pollStates(on) {
    clearInterval(this.statePoll);
    this.statePoll = undefined;
    if (!on) return;
    const ask = () => this.send({ type: relay.SYNC, episode: this.episode, after: -1 });
    ask();
    this.statePoll = setInterval(ask, 2000);
  }

  close() {
    clearInterval(this.pinger);
    clearInterval(this.statePoll);
    this.socket.close();
  }

  /** @param {object} message */
  send(message) {
    return this.socket.send(message);
  }

  /**
   * Stalled on a partner for a while: ask the relay for the log after `confirmed` (a forwarded message may have
   * been lost; asked at most once a second).
   * @param {number} confirmed
   * @param {boolean} stalled
   */
  askForMissing(confirmed, stalled) {
    const now = performance.now();
    if (!stalled) {
      this.stalledSince = null;
      return;
    }
    this.stalledSince ??= now;
    if (now - this.stalledSince < SYNC_AFTER_MS || now - this.syncedAt < SYNC_AFTER_MS) return;
    this.syncedAt = now;
    this.send({ type: relay.SYNC, episode: this.episode, after: confirmed });
  }

  /**
   * What arrived since the last tick, in the form the Python session takes.
   * @returns {News & {rtt_ms: number}}
   */
  drain() {
    const news = { ...this.news, rtt_ms: this.rttMs };
    const { ack, remote_frames, ai_ack } = this.news;
    this.news = { ...this.#freshNews(), ack, remote_frames, ai_ack };
    return news;
  }

  /** @returns {News} */
  #freshNews() {
    return { inputs: [], replaced: [], ack: -1, remote_frames: {}, resync: null, resend: false, ai_ack: {}, input_log: false };
  }

  /** @param {Record<string, number> | undefined} acks */
  #aiAcks(acks) {
    for (const [agent, frame] of Object.entries(acks || {})) {
      this.news.ai_ack[agent] = Math.max(this.news.ai_ack[agent] ?? -1, frame);
    }
  }

  #ping() {
    const id = ++this.pingId;
    this.pings.set(id, performance.now());
    if (this.pings.size > 10) this.pings.delete(this.pings.keys().next().value);
    this.send({ type: relay.PING, id });
  }

  /** @param {any} message */
  #receive(message) {
    if (dispatch(this.handlers, message)) return; // news only
    this.onMessage(message);
  }
}
