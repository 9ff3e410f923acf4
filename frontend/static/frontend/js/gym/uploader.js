// Step data upload: rows are sealed into chunks numbered within their episode, kept in localStorage until
// the server acknowledges them, and sent one at a time in order. A reload re-sends whatever was not
// acknowledged; (episode, number) makes a re-send idempotent on the server.

const ROWS_PER_CHUNK = 60;
const PERMANENT = new Set([400, 403, 409, 413]);

export class Uploader {
  constructor({ url, sceneKey, storageKey, csrfToken }) {
    this.url = url;
    this.sceneKey = sceneKey;
    this.storageKey = storageKey;
    this.csrfToken = csrfToken;
    this.pending = this.#restore();
    this.rows = [];
    this.episode = null;
    this.meta = null;
    this.sending = false;
    this.rejected = 0;
    this.waiters = [];
    // Seal the rows of the running episode before the page goes away, so a reload loses nothing.
    window.addEventListener("pagehide", () => this.#seal(false));
  }

  /** The server began `episode`; `meta` (runtime and reset data) travels with its first chunk. `stored` says
   * how much of it the server already has (a group game rejoined after a reload continues from there). */
  beginEpisode(episode, meta, stored = { n_steps: 0, chunks: 0 }) {
    this.episode = episode;
    this.meta = meta;
    this.number = stored.chunks;
    this.firstFrame = stored.n_steps;
    this.rows = [];
  }

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

  /** Resolves once every chunk has been acknowledged (or permanently refused). */
  drained() {
    if (!this.pending.length) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  resume() {
    this.#pump();
  }

  #seal(final) {
    if (this.episode === null || (!this.rows.length && !final)) return;
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
    let delay = 500;
    while (this.pending.length) {
      const chunk = this.pending[0];
      const status = await this.#send(chunk);
      if (status === 200 || PERMANENT.has(status)) {
        if (status !== 200) this.rejected++;
        this.pending.shift();
        this.#persist();
        delay = 500;
      } else {
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 8000);
      }
    }
    this.sending = false;
    this.waiters.splice(0).forEach((resolve) => resolve());
  }

  async #send(chunk) {
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrfToken },
        body: JSON.stringify(chunk),
        credentials: "same-origin",
      });
      if (response.status !== 200) console.warn("chunk", chunk.episode, chunk.number, response.status, await response.text());
      return response.status;
    } catch (error) {
      return 0; // offline or the server is restarting: retry
    }
  }

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
