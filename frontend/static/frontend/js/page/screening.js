// Entry screening: measures what only the browser can (window size, WebAssembly, touch), lets the server time
// a few round trips itself, and sends the measurements; the server decides and the page follows its answer.

import { dispatch } from "../shared/dispatch.js";
import { errorMessage } from "../shared/errors.js";
import * as work from "../shared/protocol/worker.js";
import { csrfTokenOf, postJson } from "./http.js";

const config = JSON.parse(/** @type {HTMLElement} */ (document.getElementById("mug-screening")).textContent || "null");
const csrf = csrfTokenOf("#screening-form");
const status = /** @type {HTMLElement} */ (document.getElementById("screening-status"));

/**
 * @param {string} url
 * @param {object} body
 */
async function post(url, body) {
  return (await postJson(url, body, csrf)).json();
}

/**
 * The runtime pre-flight: the study's game loads in a worker here and steps some frames back to back.
 * @param {{game: any, frames: number, timeout_s: number}} preflightConfig
 */
async function preflight({ game, frames, timeout_s }) {
  const { bootRuntime } = await import("./runtime.js");
  const runtime = bootRuntime(game);
  runtime.onProgress((p) => (status.textContent = `Checking that the game runs on this computer: ${p.stage}…`));
  /** @type {Promise<never>} */
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("it did not load in time")), timeout_s * 1000));
  try {
    await Promise.race([runtime.ready, timeout]);
    const done = new Promise((resolve) => {
      const handlers = { [work.BENCHMARK]: (message) => resolve(message.step_ms) };
      runtime.worker.addEventListener("message", (event) => dispatch(handlers, event.data));
    });
    runtime.worker.postMessage({ type: work.BENCHMARK, frames, seed: 1 });
    return { loaded: true, step_ms: await Promise.race([done, timeout]) };
  } catch (error) {
    return { loaded: false, error: errorMessage(error).slice(0, 300) };
  } finally {
    runtime.worker.terminate();
  }
}

async function measure() {
  // Each ping returns the server's signed timestamp; sending it straight back lets the server time the round trip.
  let nonce = null;
  for (let i = 0; i <= config.pings; i++) nonce = (await post(config.ping_url, { nonce })).nonce ?? null;
  const webassembly = typeof WebAssembly === "object" && typeof WebAssembly.instantiate === "function";
  const runtime = config.runtime && webassembly ? await preflight(config.runtime) : null;
  const verdict = await post(config.submit_url, {
    width: window.innerWidth,
    height: window.innerHeight,
    webassembly,
    touch_points: navigator.maxTouchPoints || 0,
    runtime,
  });
  window.mugScreening = verdict;
  window.location.assign(verdict.next || window.location.href);
}

measure().catch(() => {
  status.textContent = "We could not check your setup. Please reload the page to try again.";
});
