// The gym scene page: loads the runtime in a worker, shows progress, plays the episodes, uploads the data,
// and moves on only when the server has every row. Errors end the scene with a recorded outcome.

import { Backoff, sleep } from "../shared/backoff.js";
import { dispatch } from "../shared/dispatch.js";
import { errorMessage } from "../shared/errors.js";
import * as work from "../shared/protocol/worker.js";
import { captureErrors } from "./error_reports.js";
import { csrfTokenOf, postJson } from "./http.js";
import { keysOf, trackKeys } from "./input.js";
import { startMonitor } from "./monitor.js";
import { playNetGame } from "./netgame.js";
import { createRenderer, seatText } from "./renderer.js";
import { bootRuntime } from "./runtime.js";
import { playServerGame } from "./servergame.js";
import { Uploader } from "./uploader.js";
import { waitForGroup } from "./waitroom.js";

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @type {any} the scene's runtime configuration (its json_script) */
let config = null;
let csrfToken = "";
let failed = false;

/**
 * @param {string} stage
 * @param {number} fraction
 */
function setProgress(stage, fraction) {
  $("load-stage").textContent = stage;
  $("load-bar").style.width = `${Math.round(fraction * 100)}%`;
}

/**
 * @param {string} stage
 * @param {string} message
 */
async function fail(stage, message) {
  if (failed) return;
  failed = true;
  $("game-error").hidden = false;
  try {
    const response = await postJson(config.error_url, { scene_key: config.scene_key, stage, message }, csrfToken);
    const body = await response.json();
    if (body.next) window.location.assign(body.next);
  } catch {
    // The message on the page already tells the participant what to do.
  }
}

/** The server's next episode ({episode, seed}) or {done, checking}; retried while the server cannot answer. */
async function beginEpisode() {
  const backoff = new Backoff(500, 8000);
  for (;;) {
    try {
      const response = await postJson(config.episode_url, { scene_key: config.scene_key }, csrfToken);
      if (response.ok) return await response.json();
      if (response.status < 500) return { done: true }; // the scene is over for this participant
    } catch {
      // offline for a moment: try again
    }
    await sleep(backoff.next());
  }
}

/**
 * @param {number} seconds
 * @returns {Promise<void>}
 */
function countdown(seconds) {
  const box = $("countdown");
  return new Promise((resolve) => {
    let left = seconds;
    const step = () => {
      if (left <= 0) {
        box.hidden = true;
        resolve();
        return;
      }
      box.hidden = false;
      box.textContent = String(left--);
      setTimeout(step, 1000);
    };
    step();
  });
}

/**
 * Plays one episode on the worker's clock; resolves when it is over.
 * @param {Worker} worker
 * @param {import("./renderer.js").PacketRenderer} renderer
 * @param {Uploader} uploader
 * @param {number} episode
 * @param {number} seed
 * @param {object} runtime what the worker reported of itself (versions), stored with the episode
 * @returns {Promise<void>}
 */
function playEpisode(worker, renderer, uploader, episode, seed, runtime) {
  return new Promise((resolve) => {
    const handlers = {
      [work.STARTED]: (message) => {
        uploader.beginEpisode(episode, { seed, runtime, reset: message.reset });
        renderer.draw(message.render); // the first frame, under the countdown
        renderer.hud(message.hud);
        countdown(config.countdown_seconds).then(() => worker.postMessage({ type: work.PLAY }));
      },
      [work.FRAME]: (message) => {
        const game = window.mugGame;
        if (!game.frames) game.timing.firstFrame = performance.now();
        game.frames++;
        game.tickMs += message.tick_ms;
        game.ticks.push(message.tick_ms); // each frame's call, for the benchmark's median
        game.inferMs += message.infer_ms;
        game.inferences += message.inferences;
        renderer.draw(message.render);
        renderer.hud(message.hud);
        uploader.add(message.row);
        if (message.over) {
          worker.removeEventListener("message", onMessage);
          uploader.endEpisode();
          resolve();
        }
      },
    };
    /** @param {MessageEvent} event */
    const onMessage = (event) => dispatch(handlers, event.data);
    worker.addEventListener("message", onMessage);
    worker.postMessage({ type: work.START, episode, seed, fps: config.loop.fps, hold: true });
  });
}

/** Run the game scene on this page; reuses a runtime that an earlier page of the flow already began to boot. */
export function mountGame() {
  config = JSON.parse($("mug-runtime").textContent || "null");
  csrfToken = csrfTokenOf("#scene-form");
  captureErrors(config.client_error_url, csrfToken);
  failed = false;
  // Progress and timings that the tests and the benchmark read (performance.now() milliseconds).
  const now = performance.now();
  window.mugGame = {
    ...{ done: false, frames: 0, tickMs: 0, ticks: [], inferMs: 0, inferences: 0 },
    timing: { boot: now, mount: now },
  };
  main().catch((error) => fail(error?.stage || "load", errorMessage(error)));
}

/** @param {string} sceneKey */
function runtimeFor(sceneKey) {
  const preboot = window.mugRuntime;
  if (preboot && preboot.sceneKey === sceneKey) {
    window.mugGame.timing.boot = preboot.bootedAt;
    return preboot;
  }
  return bootRuntime(config);
}

async function main() {
  if (config.runs_on === "server") {
    await mainServer();
    return;
  }
  if (typeof WebAssembly !== "object") {
    await fail("load", "this browser cannot run WebAssembly");
    return;
  }
  const storageKey = `mug:${location.pathname}:${config.scene_key}`;
  const uploader = new Uploader({ url: config.data_url, sceneKey: config.scene_key, storageKey, csrfToken });
  uploader.resume(); // re-send what a previous page load left unacknowledged
  const booted = runtimeFor(config.scene_key);
  booted.onProgress((progress) => setProgress(progress.stage, progress.fraction));
  if (config.waiting_room) {
    // The runtime keeps booting while the participant waits for a group (a reload mid-game rejoins at once).
    window.mugGame.match = await waitForGroup(config);
    await uploader.drained(); // rows a reload left unsent reach the server first: the rejoin continues after them
  }
  const worker = booted.worker;
  const { runtime, assets } = await booted.ready;
  const errors = { [work.ERROR]: (message) => fail(message.stage, message.message) }; // the env raised mid-game
  worker.addEventListener("message", (event) => dispatch(errors, event.data));
  window.mugGame.timing.ready = performance.now();
  $("loading").hidden = true;
  if (!config.waiting_room) {
    await startClicked();
  }
  window.mugGame.timing.start = performance.now();
  $("pre-game").hidden = true;
  $("in-game").hidden = false;
  const stopMonitor = startMonitor(config, csrfToken);
  const loop = config.loop;
  const renderer = await createRenderer($("game-canvas"), {
    width: loop.width,
    height: loop.height,
    background: loop.background,
    assets,
  });
  trackKeys(worker, keysOf(loop.keys));
  // For the tests (what is drawn, e.g. under the countdown); not enumerable: the benchmark serialises mugGame.
  Object.defineProperty(window.mugGame, "renderer", { value: renderer, configurable: true });
  if (config.relay_path) {
    const result = await playNetGame({ config, worker, renderer, uploader, runtime, countdown });
    stopMonitor();
    await finishNetGame(result, uploader);
    return;
  }
  renderer.seat(seatText(loop, Object.keys(loop.agents).find((agent) => loop.agents[agent] === "human")));
  // The server decides each episode's index and seed, and when there are no more to play. An episode counts once
  // the server has replayed it: while some are being checked the page waits; one that failed the check may be
  // given to play again (the experiment's policy), so the server is asked again after the wait.
  for (let next = await beginEpisode(); !failed; next = await beginEpisode()) {
    if (next.done) {
      if (!next.checking) break;
      showChecking(true);
      await sleep(500);
      continue;
    }
    showChecking(false);
    await playEpisode(worker, renderer, uploader, next.episode, next.seed, runtime);
    await uploader.drained(); // the server counts an episode as done only once all of it has arrived
  }
  stopMonitor();
  if (failed) return;
  window.mugGame.played = true;
  showChecking(true);
  await uploader.drained();
  Object.assign(window.mugGame, { done: true, rejected: uploader.rejected });
  keepStats();
  submitScene();
}

// A server-side game: nothing to load or upload; the server steps the env and stores every frame.
async function mainServer() {
  $("loading").hidden = true;
  if (config.waiting_room) {
    window.mugGame.match = await waitForGroup(config);
  } else {
    await startClicked();
  }
  window.mugGame.timing.start = performance.now();
  $("pre-game").hidden = true;
  $("in-game").hidden = false;
  const stopMonitor = startMonitor(config, csrfToken);
  const result = await playServerGame({ config, countdown });
  stopMonitor();
  if (result.superseded) {
    showSuperseded();
    return;
  }
  $("in-game").hidden = true;
  $("after-game").hidden = false;
  Object.assign(window.mugGame, { done: true, played: Boolean(result.finished) });
  if (result.next && !result.finished) window.location.assign(result.next);
  else submitScene();
}

/**
 * Between the last episode and the next scene: the server checks the game data (a replay of each episode).
 * @param {boolean} shown
 */
function showChecking(shown) {
  $("in-game").hidden = shown;
  $("after-game").hidden = !shown;
  const message = $("after-game").querySelector(".message");
  if (message) message.textContent = "Checking your game data…";
}

function submitScene() {
  /** @type {HTMLFormElement} */ ($("scene-form")).submit();
}

function startClicked() {
  const start = /** @type {HTMLButtonElement} */ ($("start-button"));
  start.disabled = false;
  return new Promise((resolve) => start.addEventListener("click", resolve, { once: true }));
}

function showSuperseded() {
  $("game-error").hidden = false;
  $("game-error").textContent = "This study is open in another tab or window. Please continue there.";
}

// What the tests and benchmarks read after the page has moved on to the next scene.
function keepStats() {
  const { played, frames, inferences, tickMs } = window.mugGame;
  try {
    sessionStorage.setItem("mugGameStats", JSON.stringify({ played, frames, inferences, tickMs }));
  } catch {
    // storage full or disabled: only the measurement is missed
  }
}

/**
 * @param {{finished?: boolean, next?: string, superseded?: boolean}} result
 * @param {Uploader} uploader
 */
async function finishNetGame(result, uploader) {
  if (result.superseded) {
    showSuperseded();
    return;
  }
  $("in-game").hidden = true;
  $("after-game").hidden = false;
  uploader.flush(); // an episode cut short keeps the rows confirmed so far
  await uploader.drained(); // every confirmed row reaches the server before the page moves on
  Object.assign(window.mugGame, { done: true, played: Boolean(result.finished), rejected: uploader.rejected });
  if (result.next) window.location.assign(result.next);
  else submitScene();
}
