// Step data upload: rows are sealed into chunks numbered within their episode, kept in localStorage until
// the server acknowledges them, and sent one at a time in order. A reload re-sends whatever was not
// acknowledged; (episode, number) makes a re-send idempotent on the server. An acknowledgement saying that the
// episode this page is playing was interrupted means another tab (or browser) of the participant began a newer one:
// `onSuperseded` is called once and the page stops (the newer tab wins).

import { Backoff, sleep } from "../shared/backoff.js";
import { postJson } from "./http.js";

const ROWS_PER_CHUNK = 60;
const PERMANENT = new Set([400, 403, 409, 413]);

/**
 * @typedef {object} Chunk
 * @property {string} scene_key
 * @property {number | null} episode
 * @property {number} number
 * @property {number} first_frame
 * @property {boolean} final
 * @property {object[]} rows
 * @property {object | null} [meta]
 */

export class Uploader {
  /** @param {{url: string, sceneKey: string, storageKey: string, csrfToken: string}} options */
  constructor({ url, sceneKey, storageKey, csrfToken }) {
    this.url = url;
    this.sceneKey = sceneKey;
    this.storageKey = storageKey;
    this.csrfToken = csrfToken;
    this.pending = this.#restore();
    /** @type {object[]} */
    this.rows = [];
    /** @type {number | null} */
    this.episode = null;
    /** @type {object | null} */
    this.meta = null;
    this.number = 0;
    this.firstFrame = 0;
    this.sending = false;
    this.rejected = 0;
    /** @type {(() => void)[]} */
    this.waiters = [];
    this.superseded = false;
    /** @type {() => void} */
    this.onSuperseded = () => {};
    // Seal the rows of the running episode before the page goes away, so a reload loses nothing.
    window.addEventListener("pagehide", () => this.#seal(false));
  }

  /** The server began `episode`; `meta` (runtime and reset data) travels with its first chunk. `stored` says
   * how much of it the server already has (a group game rejoined after a reload continues from there).
   * @param {number} episode
   * @param {object} meta
   * @param {{n_steps: number, chunks: number}} [stored]
   */
  beginEpisode(episode, meta, stored = { n_steps: 0, chunks: 0 }) {
    this.episode = episode;
    this.meta = meta;
    this.number = stored.chunks;
    this.firstFrame = stored.n_steps;
    this.rows = [];
  }

  /** @param {object} row */
  add(row) {
    this.rows.push(row);
    if (this.rows.length >= ROWS_PER_CHUNK) this.#seal(false);
  }

  /** Send the rows collected so far without ending the episode (a game that ended early keeps them). */
  flush() {
    this.#seal(false);
  }

  endEpisode() {
    this.#seal(true);
    this.episode = null;
  }

  /**
   * Resolves once every chunk has been acknowledged (or permanently refused).
   * @returns {Promise<void>}
   */
  drained() {
    if (!this.pending.length) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  resume() {
    this.#pump();
  }

  /** @param {boolean} final */
  #seal(final) {
    if (this.episode === null || (!this.rows.length && !final)) return;
    /** @type {Chunk} */
    const chunk = {
      scene_key: this.sceneKey,
      episode: this.episode,
      number: this.number,
      first_frame: this.firstFrame,
      final,
      rows: this.rows,
    };
    if (this.number === 0) chunk.meta = this.meta;
    this.number++;
    this.firstFrame += this.rows.length;
    this.rows = [];
    this.pending.push(chunk);
    this.#persist();
    this.#pump();
  }

  async #pump() {
    if (this.sending) return;
    this.sending = true;
    const backoff = new Backoff(500, 8000);
    while (this.pending.length) {
      const chunk = this.pending[0];
      const status = await this.#send(chunk);
      if (status === 200 || PERMANENT.has(status)) {
        if (status !== 200) this.rejected++;
        this.pending.shift();
        this.#persist();
        backoff.reset();
      } else {
        await sleep(backoff.next());
      }
    }
    this.sending = false;
    this.waiters.splice(0).forEach((resolve) => resolve());
  }

  /**
   * @param {Chunk} chunk
   * @returns {Promise<number>} the HTTP status, 0 when the request failed
   */
  async #send(chunk) {
    try {
      const response = await postJson(this.url, chunk, this.csrfToken);
      if (response.status !== 200) console.warn("chunk", chunk.episode, chunk.number, response.status, await response.text());
      else this.#checkAck(await response.json());
      return response.status;
    } catch {
      return 0; // offline or the server is restarting: retry
    }
  }

  /** @param {{episode: number, episode_status: string}} ack */
  #checkAck(ack) {
    if (this.superseded || ack.episode !== this.episode || ack.episode_status !== "interrupted") return;
    this.superseded = true; // another page began a newer episode of this scene: this one was taken over
    this.onSuperseded();
  }

  /** @returns {Chunk[]} */
  #restore() {
    try {
      return JSON.parse(localStorage.getItem(this.storageKey) || "[]");
    } catch {
      return [];
    }
  }

  #persist() {
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(this.pending));
    } catch (error) {
      console.warn("could not keep unsent game data in localStorage", error); // upload still proceeds
    }
  }
}
