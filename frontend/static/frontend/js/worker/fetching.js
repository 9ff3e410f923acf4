// Every download of the game worker (Pyodide's files, wheels through micropip, the scene bundle, ONNX runtime and
// models) goes through `fetch`; this wraps it once per worker: a network error or a server's transient answer (5xx,
// 408, 429) is tried again with backoff, without end (the game page decides when loading has taken too long), and
// the bytes received are counted for the progress bar. A 404 is an answer, not a failure: micropip asks the wheel
// index first and falls back to the lock file on a 404.

import { Backoff, sleep } from "../shared/backoff.js";
import { errorMessage } from "../shared/errors.js";

const TRANSIENT = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * What the downloads of the current loading stage have done so far.
 * @typedef {{loaded: number, total: number, retries: number, failing: string}} Transfer
 */

/** @type {Transfer} */
export const transfer = { loaded: 0, total: 0, retries: 0, failing: "" };
/** @type {Map<string, string>} the downloads failing now (by URL), with why; one that succeeds leaves */
const failures = new Map();

/**
 * @param {string} url
 * @param {string | null} reason null: it worked
 */
export function noteFailure(url, reason) {
  if (reason === null) failures.delete(url);
  else failures.set(url, `${nameOf(url)} (${reason})`);
  transfer.failing = [...failures.values()].join(", ");
}

/** A new loading stage counts its own bytes (the retries count for the whole load). */
export function transferStage() {
  transfer.loaded = 0;
  transfer.total = 0;
}

/**
 * @param {RequestInfo | URL} input
 * @returns {string}
 */
function nameOf(input) {
  const url = urlOf(input);
  return url.split("?")[0].split("/").filter(Boolean).pop() || url;
}

/**
 * @param {RequestInfo | URL} input
 * @returns {string}
 */
function urlOf(input) {
  return typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
}

/**
 * Counts the body's bytes as they arrive, on a clone (the caller's response is handed back untouched, so
 * WebAssembly.instantiateStreaming and micropip read it as before).
 * @param {Response} response
 * @param {() => void} onChange
 */
function count(response, onChange) {
  if (!response.body || response.status !== 200) return;
  transfer.total += Number(response.headers.get("content-length")) || 0;
  const reader = /** @type {ReadableStream<Uint8Array>} */ (response.clone().body).getReader();
  const pump = async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      transfer.loaded += value.byteLength;
      onChange();
    }
  };
  pump().catch(() => {}); // the caller's read reports a broken body
}

/**
 * Replace the worker's `fetch` by one that retries and counts. `onChange` is called on every retry and chunk.
 * @param {() => void} onChange
 */
export function installRetryingFetch(onChange) {
  const plain = self.fetch.bind(self);
  /**
   * @param {RequestInfo | URL} input
   * @param {RequestInit} [init]
   */
  self.fetch = async (input, init) => {
    const backoff = new Backoff(500, 8000);
    for (;;) {
      let reason;
      try {
        const response = await plain(input, init);
        if (!TRANSIENT.has(response.status)) {
          noteFailure(urlOf(input), null);
          count(response, onChange);
          return response;
        }
        reason = `HTTP ${response.status}`;
      } catch (error) {
        if (init?.signal?.aborted) throw error; // the caller gave up: not ours to retry
        reason = errorMessage(error);
      }
      transfer.retries += 1;
      noteFailure(urlOf(input), reason);
      onChange();
      await sleep(backoff.next());
    }
  };
}

/**
 * A module import (Pyodide's loader) tried again with backoff until it loads; a new query string defeats a
 * browser that remembers the failed fetch.
 * @param {string} url
 * @param {() => void} onChange
 */
export async function importRetrying(url, onChange) {
  const backoff = new Backoff(500, 8000);
  for (let attempt = 0; ; attempt++) {
    try {
      const module = await import(attempt ? `${url}?retry=${attempt}` : url);
      noteFailure(url, null);
      return module;
    } catch (error) {
      transfer.retries += 1;
      noteFailure(url, errorMessage(error));
      onChange();
      await sleep(backoff.next());
    }
  }
}
