// Boots the game worker (Pyodide, packages, the scene's Python code) and remembers its progress, so the
// boot can start on an earlier page of the flow and the game page can pick it up where it is.

import { dispatch } from "../shared/dispatch.js";
import * as work from "../shared/protocol/worker.js";

/**
 * The worker's script URL. Pages name it (<meta name="mug-worker">, rendered by {% static %}), so a deploy with
 * hashed file names starts the worker of the same deploy; a page without it (a test page) uses the source layout.
 */
function workerUrl() {
  const meta = /** @type {HTMLMetaElement | null} */ (document.querySelector("meta[name=mug-worker]"));
  return meta ? meta.content : new URL("../worker/main.js", import.meta.url);
}

/**
 * @typedef {{stage: string, fraction: number}} Progress
 * @typedef {object} Runtime
 * @property {string} sceneKey
 * @property {Worker} worker
 * @property {Progress} progress
 * @property {(listener: (progress: Progress) => void) => void} onProgress
 * @property {Promise<any>} ready resolves with the worker's "ready" message
 * @property {number} [bootedAt]
 */

/**
 * @param {any} config the scene's runtime configuration (its json_script)
 * @returns {Runtime}
 */
export function bootRuntime(config) {
  // eslint-disable-next-line no-restricted-syntax -- the kind of worker script, not a message type
  const worker = new Worker(workerUrl(), { type: "module" });
  /** @type {Set<(progress: Progress) => void>} */
  const listeners = new Set();
  /** @type {Runtime} */
  const runtime = {
    sceneKey: config.scene_key,
    worker,
    progress: { stage: "Preparing the game", fraction: 0.02 },
    onProgress(listener) {
      listeners.add(listener);
      listener(runtime.progress);
    },
    ready: Promise.resolve(),
  };
  runtime.ready = new Promise((resolve, reject) => {
    const handlers = {
      /** @param {Progress} message */
      [work.PROGRESS]: (message) => {
        runtime.progress = message;
        listeners.forEach((listener) => listener(message));
      },
      [work.READY]: resolve,
      [work.ERROR]: (message) => reject(Object.assign(new Error(message.message), { stage: message.stage })),
    };
    worker.addEventListener("message", (event) => dispatch(handlers, event.data));
    worker.addEventListener("error", (event) =>
      reject(Object.assign(new Error(event.message || "the game worker failed"), { stage: "load" })),
    );
  });
  runtime.ready.catch(() => {}); // reported by the game page when it mounts
  worker.postMessage({ type: work.LOAD, config });
  return runtime;
}
