// The gym scene page: loads the runtime in a worker, shows progress, plays the episodes, uploads the data,
// and moves on only when the server has every row. Errors end the scene with a recorded outcome.

import { Backoff, sleep } from "../shared/backoff.js";
import { dispatch } from "../shared/dispatch.js";
import { errorMessage } from "../shared/errors.js";
import * as work from "../shared/protocol/worker.js";
import { captureErrors } from "./error_reports.js";
import { csrfTokenOf, postJson } from "./http.js";
import { keysOf, trackKeys } from "./input.js";
import { reportMilestone } from "./milestones.js";
import { startMonitor } from "./monitor.js";
import { goTo } from "./navigate.js";
import { holdSeat, playNetGame } from "./netgame.js";
import { createRenderer, decodeAssets, seatText } from "./renderer.js";
import { showSeatContent } from "./seat_content.js";
import { bootRuntime, runtimeLive } from "./runtime.js";
import { playServerGame } from "./servergame.js";
import { Uploader } from "./uploader.js";
import { waitForGroup } from "./waitroom.js";

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @type {any} the scene's runtime configuration (its json_script) */
let config = null;
let csrfToken = "";
let failed = false;
/** @type {(() => void)[]} what the mounted game scene must undo when the next one mounts (one document per visit) */
let unmount = [];
const DEFAULT_LOAD_DEADLINE_S = 180;

/** @param {number} bytes */
const megabytes = (bytes) => (bytes / 1e6).toFixed(1);

/**
 * The loading stage, its bytes where known and any download being retried, beside the bar and on the (disabled)
 * Start button.
 * @param {import("./runtime.js").Progress} progress
 */
function setProgress({ stage, fraction, loaded = 0, total = 0, failing = "" }) {
  let text = stage;
  if (loaded) text += total >= loaded ? ` (${megabytes(loaded)} of ${megabytes(total)} MB)` : ` (${megabytes(loaded)} MB)`;
  if (failing) text += `. A download failed (${failing}); trying again`;
  $("load-stage").textContent = text;
  $("load-bar").style.width = `${Math.round(fraction * 100)}%`;
  const start = /** @type {HTMLButtonElement} */ ($("start-button"));
  if (start.disabled) start.textContent = `Loading… ${Math.round(fraction * 100)}%`;
}

/**
 * @param {string} stage
 * @param {string} message
 */
async function fail(stage, message) {
  if (failed) return;
  failed = true;
  $("game-error").hidden = false;
  // The server decides the ending (the study's outcome for a runtime error); a lost report is sent again.
  const backoff = new Backoff(1000, 8000);
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      const response = await postJson(config.error_url, { scene_key: config.scene_key, stage, message }, csrfToken);
      const body = await response.json();
      if (body.next) window.location.assign(body.next);
      else if (response.status === 409) window.location.reload(); // the flow moved on (ended elsewhere): show it
      if (response.status < 500) return;
    } catch {
      // offline for a moment: the message on the page already tells the participant what to do
    }
    await sleep(backoff.next());
  }
}

/**
 * Ends the scene with a load failure once loading has taken longer than the scene allows (its `load_timeout_s`);
 * downloads are retried until then. Returns the function that cancels it (the runtime is ready).
 * @param {import("./runtime.js").Runtime} booted
 */
function loadDeadline(booted) {
  const seconds = config.load_timeout_s || DEFAULT_LOAD_DEADLINE_S;
  const timer = setTimeout(() => {
    const { stage, retries = 0, failing = "" } = booted.progress;
    const detail = failing ? `; failing: ${failing}` : "";
    fail("load", `the game did not load within ${seconds} s (at: ${stage}; ${retries} downloads retried${detail})`);
  }, seconds * 1000);
  return () => clearTimeout(timer);
}

// This page load, as the server tells tabs apart: the newest tab to begin an episode wins, older ones stop.
const TAB = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");

/** The server's next episode ({episode, round, seed}), {done, checking}, or {superseded} when another tab took
 * over; retried while the server cannot answer. */
async function beginEpisode() {
  const backoff = new Backoff(500, 8000);
  for (;;) {
    try {
      const response = await postJson(config.episode_url, { scene_key: config.scene_key, tab: TAB }, csrfToken);
      if (response.ok) return await response.json();
      if (response.status === 409) {
        const body = await response.json().catch(() => ({}));
        if (body.superseded) return { superseded: true };
      }
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
 * @param {{episode: number, round: number, seed: number}} next the server's attempt index, round and seed
 * @param {object} runtime what the worker reported of itself (versions), stored with the episode
 * @returns {Promise<void>} resolves when the episode is over, or when another tab took over (the worker stops)
 */
function playEpisode(worker, renderer, uploader, next, runtime) {
  const { episode, seed } = next;
  return new Promise((resolve) => {
    uploader.onSuperseded = () => {
      worker.removeEventListener("message", onMessage);
      worker.terminate(); // this tab is done: the newer one plays
      resolve();
    };
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
    // The HUD's "Round k/n" counts the server's rounds (a replayed round keeps its number), not attempts.
    worker.postMessage({ type: work.START, episode: next.round - 1, seed, fps: config.loop.fps, hold: true });
  });
}

/** Run the game scene on this page; reuses a runtime that an earlier page of the flow already began to boot. */
export function mountGame() {
  unmount.forEach((undo) => undo()); // the previous game scene of this document, if any
  unmount = [];
  config = JSON.parse($("mug-runtime").textContent || "null");
  const start = $("start-button");
  start.dataset.label = (start.textContent || "").trim(); // shown again once the game has loaded
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
  if (preboot && preboot.sceneKey === sceneKey && runtimeLive(preboot)) {
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
  /** @type {import("./netgame.js").HeldSeat | null} */
  let held = null;
  booted.onProgress(setProgress);
  const cancelDeadline = loadDeadline(booted);
  unmount.push(cancelDeadline);
  booted.ready.then(cancelDeadline, () => {}); // ready while the group is still being formed counts as loaded
  // The server's load deadline and the live monitor need to hear it (on the server's clock), as soon as it is so.
  booted.ready.then(() => reportMilestone(config, "ready", csrfToken), () => {});
  if (config.waiting_room) {
    // The runtime keeps booting while the participant waits for a group (a reload mid-game rejoins at once).
    window.mugGame.match = await waitForGroup(config);
    // The seat is held (and the others told) before Python is ready; an ended game shows its ending at once.
    if (config.relay_path) held = holdSeat(config, (result) => finishNetGame(result, uploader));
    await uploader.drained(); // rows a reload left unsent reach the server first: the rejoin continues after them
  }
  const { runtime, assets, interpreter, images } = await booted.ready;
  const textures = await decodeAssets(images); // before Start: a broken file ends the load, not the game
  const worker = booted.worker; // once ready: a load that met a package conflict moved to a fresh worker (runtime.js)
  const errors = { [work.ERROR]: (message) => fail(message.stage, message.message) }; // the env raised mid-game
  /** @param {MessageEvent} event */
  const onError = (event) => dispatch(errors, event.data);
  worker.addEventListener("message", onError);
  unmount.push(() => worker.removeEventListener("message", onError));
  // How many times this document booted Python and loaded a scene into it (tests and the benchmark read it).
  // `fresh`: this scene pinned other package versions than the interpreter had, so it got a new worker (runtime.js).
  window.mugGame.interpreter = { ...interpreter, workers: booted.workers, ...(booted.fresh && { fresh: booted.fresh }) };
  window.mugGame.timing.ready = performance.now();
  $("loading").hidden = true;
  if (!config.waiting_room) {
    await startClicked();
    reportMilestone(config, "start", csrfToken);
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
    textures,
    pixelArt: loop.pixel_art,
  });
  unmount.push(() => renderer.destroy());
  unmount.push(trackKeys(worker, keysOf(loop.keys)));
  // For the tests (what is drawn, e.g. under the countdown); not enumerable: the benchmark serialises mugGame.
  Object.defineProperty(window.mugGame, "renderer", { value: renderer, configurable: true });
  if (config.relay_path) {
    const result = await playNetGame({ config, worker, renderer, uploader, runtime, countdown, held });
    stopMonitor();
    await finishNetGame(result, uploader);
    return;
  }
  const seat = Object.keys(loop.agents).find((agent) => loop.agents[agent] === "human");
  renderer.seat(seatText(loop, seat));
  showSeatContent(seat);
  // The server decides each episode's index, round and seed, and when there are no more to play. An episode counts
  // once the server has replayed it: while some are being checked the page waits; one that failed the check may be
  // given to play again (the experiment's policy), so the server is asked again after the wait. Rows a reload left
  // unsent reach the server before the first begin (an episode that ended just before the reload counts whole).
  await uploader.drained();
  for (let next = await beginEpisode(); !failed; next = await beginEpisode()) {
    if (next.superseded || uploader.superseded) {
      stopMonitor();
      showSuperseded();
      return;
    }
    if (next.done) {
      if (!next.checking) break;
      showChecking(true);
      await sleep(500);
      continue;
    }
    showChecking(false);
    await playEpisode(worker, renderer, uploader, next, runtime);
    await uploader.drained(); // the server counts an episode as done only once all of it has arrived
    if (uploader.superseded) {
      stopMonitor();
      showSuperseded();
      return;
    }
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
  reportMilestone(config, "ready", csrfToken); // nothing to load: the page itself is the runtime
  if (config.waiting_room) {
    window.mugGame.match = await waitForGroup(config);
  } else {
    await startClicked();
    reportMilestone(config, "start", csrfToken);
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
  if (result.next && !result.finished) goTo(result.next); // in this document: the worker stays for a later game
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

// Through the flow page (flow.js posts it in place): the document, and so the game worker, stays for the next scene.
function submitScene() {
  /** @type {HTMLFormElement} */ ($("scene-form")).requestSubmit();
}

function startClicked() {
  const start = /** @type {HTMLButtonElement} */ ($("start-button"));
  start.textContent = start.dataset.label || "Start";
  start.disabled = false;
  return new Promise((resolve) => start.addEventListener("click", resolve, { once: true }));
}

function showSuperseded() {
  window.mugGame.superseded = true; // read by the tests
  $("in-game").hidden = true;
  $("after-game").hidden = true;
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
  if (result.next) goTo(result.next); // in this document: the worker and its interpreter stay for a later game
  else submitScene();
}
