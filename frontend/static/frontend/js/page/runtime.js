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
 * @typedef {{stage: string, fraction: number, loaded?: number, total?: number, retries?: number, failing?: string}} Progress
 * @typedef {object} Runtime
 * @property {string} sceneKey
 * @property {Worker} worker
 * @property {Progress} progress
 * @property {(listener: (progress: Progress) => void) => void} onProgress
 * @property {Promise<any>} ready resolves with the worker's "ready" message
 * @property {number} [bootedAt]
 * @property {number} workers game workers this document has started (one per visit unless one failed)
 * @property {Fresh | null} fresh why this scene got a worker of its own although the document had one
 */

/**
 * A later scene pinning another version of a package the interpreter already has (micropip cannot replace an
 * imported package): that scene boots its own Python in a new worker.
 * `found`: "pins" (this scene's exact pins against what the interpreter has, before loading) or "install" (micropip
 * refused: a range or a dependency needs another version than the one installed).
 * @typedef {{reason: string, found: string, packages: object[]}} Fresh
 */

// micropip's refusal to replace an installed version (micropip/transaction.py, check_version_satisfied).
const ALREADY_INSTALLED = /Requested '([^']+)', but ([^=\s]+)==(\S+) is already installed/;

/**
 * The document's one game worker and its interpreter, kept across the game scenes of a visit (the flow page is one
 * document): a later scene's load goes to the same worker, which adds only that scene's wheels, code and models.
 * `packages`: what its interpreter has or is installing, {normalised name: version}.
 * @typedef {{worker: Worker, broken: boolean, detach: () => void, owner: Runtime | null,
 *            packages: Map<string, string>}} Slot
 * @type {Slot | null}
 */
let shared = null;
let workersStarted = 0;
let loadsStarted = 0;

/** @param {string} name PEP 503 normalisation, as the server's wheelhouse names projects */
const normalize = (name) => name.toLowerCase().replace(/[-_.]+/g, "-");

/**
 * A scene's exact pins ("name==version"; a range or a bare name pins nothing), by normalised name.
 * @param {string[]} packages
 * @returns {Map<string, string>}
 */
export function pinsOf(packages) {
  const pins = new Map();
  for (const requirement of packages || []) {
    const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;,]+)\s*(?:;.*)?$/.exec(requirement);
    if (match) pins.set(normalize(match[1]), match[2]);
  }
  return pins;
}

/**
 * The packages this scene pins to a version other than the one the interpreter has (or is installing).
 * @param {Slot} slot
 * @param {any} config
 */
function conflicts(slot, config) {
  const clashes = [];
  for (const [name, pinned] of pinsOf(config.packages)) {
    const loaded = slot.packages.get(name);
    if (loaded !== undefined && loaded !== pinned) clashes.push({ name, loaded, pinned });
  }
  return clashes;
}

/**
 * The worker for this scene's load, and why it is a new one if the document already had one (a package conflict).
 * @param {any} config
 * @returns {{slot: Slot, fresh: Fresh | null, reused: boolean}}
 */
function sharedWorker(config) {
  /** @type {Fresh | null} */
  let fresh = null;
  if (shared && !shared.broken) {
    shared.detach(); // the previous scene's runtime stops listening: its game is over
    const clashes = conflicts(shared, config);
    if (!clashes.length) return { slot: shared, fresh, reused: true };
    fresh = { reason: "package versions", found: "pins", packages: clashes };
    console.info("this game pins other package versions than the one before: it starts its own Python", clashes);
  }
  shared?.worker.terminate(); // a worker whose load failed starts over, as does one with other package versions
  // eslint-disable-next-line no-restricted-syntax -- the kind of worker script, not a message type
  const worker = new Worker(workerUrl(), { type: "module" });
  /** @type {Slot} */
  const slot = { worker, broken: false, detach: () => {}, owner: null, packages: new Map() };
  // A page that ends the worker (the screening's pre-flight) leaves the next scene a fresh one, not a dead one.
  const terminate = worker.terminate.bind(worker);
  worker.terminate = () => {
    slot.broken = true;
    terminate();
  };
  shared = slot;
  workersStarted += 1;
  return { slot, fresh, reused: false };
}

/**
 * @param {any} config the scene's runtime configuration (its json_script)
 * @returns {Runtime}
 */
export function bootRuntime(config) {
  const first = sharedWorker(config);
  /** @type {Set<(progress: Progress) => void>} */
  const listeners = new Set();
  /** @type {Runtime} */
  const runtime = {
    sceneKey: config.scene_key,
    worker: first.slot.worker,
    progress: { stage: "Preparing the game", fraction: 0.02 },
    onProgress(listener) {
      listeners.add(listener);
      listener(runtime.progress);
    },
    ready: Promise.resolve(),
    workers: workersStarted,
    fresh: first.fresh,
  };
  runtime.ready = new Promise((resolve, reject) => {
    /**
     * Load this scene into the slot's worker; a reused interpreter that micropip cannot give this scene's versions
     * hands the load to a fresh worker (once).
     * @param {Slot} slot
     * @param {boolean} reused
     */
    const load = (slot, reused) => {
      const worker = slot.worker;
      const loadId = ++loadsStarted;
      Object.assign(runtime, { worker, workers: workersStarted });
      for (const [name, version] of pinsOf(config.packages)) slot.packages.set(name, version);
      /** @param {Error & {stage?: string}} error */
      const failed = (error) => {
        slot.broken = true;
        reject(error);
      };
      const handlers = {
        /** @param {Progress} message */
        [work.PROGRESS]: (message) => {
          runtime.progress = message;
          listeners.forEach((listener) => listener(message));
        },
        /** @param {{runtime: {packages: Record<string, string>}}} message */
        [work.READY]: (message) => {
          // Every distribution the interpreter now has, pinned or pulled in as a dependency.
          for (const [name, version] of Object.entries(message.runtime.packages)) {
            slot.packages.set(normalize(name), version);
          }
          resolve(message);
        },
        /** @param {{message: string, stage: string}} message */
        [work.ERROR]: (message) => {
          const clash = ALREADY_INSTALLED.exec(message.message);
          if (reused && clash && message.stage === "load") {
            const [, requested, name, loaded] = clash;
            console.info("this game needs other package versions than the one before: it starts its own Python");
            slot.detach();
            slot.broken = true; // sharedWorker ends it and starts another
            runtime.fresh = { reason: "package versions", found: "install", packages: [{ name, loaded, requested }] };
            load(sharedWorker(config).slot, false);
            return;
          }
          failed(Object.assign(new Error(message.message), { stage: message.stage }));
        },
      };
      /** @param {MessageEvent} event */
      const onMessage = (event) => {
        // An earlier scene's load still running in this worker speaks for that scene, not this one.
        if (event.data.load !== undefined && event.data.load !== loadId) return;
        dispatch(handlers, event.data);
      };
      /** @param {ErrorEvent} event */
      const onError = (event) =>
        failed(Object.assign(new Error(event.message || "the game worker failed"), { stage: "load" }));
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
      slot.detach = () => {
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
      };
      slot.owner = runtime;
      worker.postMessage({ type: work.LOAD, config, load: loadId });
    };
    load(first.slot, first.reused);
  });
  runtime.ready.catch(() => {}); // reported by the game page when it mounts
  return runtime;
}

/**
 * Whether this runtime still has the worker to itself (a later boot takes it over; a terminated worker is gone).
 * @param {Runtime} runtime
 */
export function runtimeLive(runtime) {
  return Boolean(shared && !shared.broken && shared.owner === runtime);
}
