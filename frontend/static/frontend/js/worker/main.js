// The game worker: boots Pyodide, installs the scene's packages, runs the Python loop on a fixed clock.
// It owns the clock so the game keeps its pace when the tab is in the background; one Python call per frame.
// AI agents with ONNX models are inferred between frames (policies.js); their outputs enter the next call.
// Messages from the page are handled by one handler map (their names: shared/protocol/worker.js).

import { Backoff, sleep } from "../shared/backoff.js";
import { dispatch } from "../shared/dispatch.js";
import { errorMessage } from "../shared/errors.js";
import * as work from "../shared/protocol/worker.js";
import { loadAssets } from "./assets.js";
import { startClock } from "./clock.js";
import { importRetrying, installRetryingFetch, noteFailure, transfer, transferStage } from "./fetching.js";
import { netGo, netJoin, netLeave, netPresence } from "./netloop.js";
import { loadModels, runQueries } from "./policies.js";

/** @typedef {import("./netloop.js").WorkerContext} WorkerContext */

/** @type {any} */
let py = null;
/** @type {any} mug.loop.tick */
let tickFn = null;
/** @type {Record<string, any>} */
let agents = {};
/** @type {Record<string, any>} model outputs for the next tick */
let inference = {};
/** @type {(episode: number, seed: number) => Promise<any>} */
let startEpisode = async () => {
  throw new Error("the game is not loaded");
};
/** @type {(() => void) | null} an episode started with hold: its clock, started by PLAY */
let held = null;
/** @type {WorkerContext["input"]} */
const input = { held: [], presses: [], focused: true };
/** @type {WorkerContext} */
const ctx = { py: null, post, input, config: null };

// micropip only logs a package it could not fetch from Pyodide's own set (a self-hosted Pyodide without
// opencv-python): every requirement must be installed at a version it allows, or the load fails (runtime_error) here
// rather than at the first reset() after players are matched.
const INSTALL_PACKAGES = `
import micropip
from importlib import metadata
from packaging.requirements import Requirement
await micropip.install(mug_packages, index_urls=mug_index_urls)
def _mug_not_installed(texts):
    missing = []
    for text in texts:
        requirement = Requirement(text)
        try:
            version = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(text)
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            missing.append(f"{text} (got {version})")
    return missing
_mug_missing = _mug_not_installed(mug_packages)
del _mug_not_installed
if _mug_missing:
    raise RuntimeError("these packages could not be installed: " + ", ".join(_mug_missing))
`;

const MP_STUB = `
# gymnasium 1.x imports multiprocessing.synchronize, which needs this module; Pyodide has no processes.
SEM_VALUE_MAX = 2**31 - 1
class SemLock:
    SEM_VALUE_MAX = SEM_VALUE_MAX
    def __init__(self, *args, **kwargs):
        raise OSError("no multiprocessing in the browser")
def sem_unlink(name):
    pass
`;

/**
 * @param {string} type
 * @param {object} [data]
 */
function post(type, data = {}) {
  self.postMessage({ type, ...data });
}

// The page's number for the load in progress: its progress, readiness and failure carry it, so a scene's runtime never
// takes the messages of an earlier scene's load that was still running when it was queued (a room that timed out).
/** @type {number | undefined} */
let loadId;
let stage = "";
let stageFrom = 0;
let stageTo = 0;
let progressSent = 0;

/**
 * Enter a loading stage, which spans [from, to] of the progress bar (filled by the bytes its downloads receive).
 * @param {string} name
 * @param {number} from
 * @param {number} to
 */
function progress(name, from, to = from) {
  [stage, stageFrom, stageTo] = [name, from, to];
  transferStage();
  reportProgress(true);
}

/** @param {boolean} [now] otherwise at most every 100 ms (a download reports every chunk) */
function reportProgress(now = false) {
  if (!now && performance.now() - progressSent < 100) return;
  progressSent = performance.now();
  const { loaded, total, retries, failing } = transfer;
  const share = total ? Math.min(1, loaded / total) : 0;
  const fraction = stageFrom + (stageTo - stageFrom) * share;
  post(work.PROGRESS, { stage, fraction, loaded, total, retries, failing, load: loadId });
}

installRetryingFetch(() => reportProgress(Boolean(transfer.failing)));

// One interpreter per visit: the first scene boots Pyodide; a later game scene of the same page loads only what it
// adds (its wheels, bundle and models) into the same interpreter. Each scene's bundle lives in its own directory;
// before the next scene loads, the previous env is closed, its directory leaves sys.path and every module of its
// bundle's top-level packages (the env, mug, its policies) leaves sys.modules, so the next scene imports its own
// copy. Installed packages (numpy, gymnasium...) stay imported: they are the same files for every scene.
let boots = 0;
let scenes = 0;
/** @type {Promise<void>} loads run one after the other */
let loading = Promise.resolve();
const SITE = "/home/pyodide/mugsite";

const SCENE_SWAP = `
import importlib, sys
# The previous scene's envs: the one mug.loop booted and, after a group game, the net session's own.
_envs = [getattr(sys.modules.get("mug.loop"), "_loop", None), getattr(sys.modules.get("mug.netplay"), "_net", None)]
for _owner in filter(None, _envs):
    _game = getattr(_owner, "loop", _owner)
    try:
        _game.adapter.close()
    except Exception as error:  # a broken close() must not keep the next scene from loading
        print("closing the previous env failed:", error)
for _path in mug_previous_scene["paths"]:
    while _path in sys.path:
        sys.path.remove(_path)
_tops = set(mug_previous_scene["tops"])
for _name in [name for name in sys.modules if name.split(".")[0] in _tops]:
    del sys.modules[_name]
importlib.invalidate_caches()
`;

/** @type {{paths: string[], tops: string[]} | null} what the previous scene put into the interpreter */
let previousScene = null;

/**
 * Modules still imported from an earlier scene's directory (none, unless the swap above missed some).
 * @param {string} sceneDir this scene's
 * @returns {string[]}
 */
function staleModules(sceneDir) {
  py.globals.set("mug_scene_dir", sceneDir);
  return JSON.parse(
    py.runPython(`
import json, sys
_site = ${JSON.stringify(SITE)} + "/scene"
json.dumps(sorted(
    name for name, module in list(sys.modules.items())
    if (getattr(module, "__file__", None) or "").startswith(_site)
    and not module.__file__.startswith(mug_scene_dir + "/")
))`),
  );
}

/** @param {any} config */
async function bootPython(config) {
  progress("Starting Python", 0.05, 0.5);
  const { loadPyodide } = await importRetrying(config.pyodide_url + "pyodide.mjs", () => reportProgress(true));
  // Pyodide imports pyodide.asm.js itself (a module import, not a fetch): a failed boot is tried again whole.
  const backoff = new Backoff(500, 8000);
  for (;;) {
    try {
      py = await loadPyodide({
        indexURL: config.pyodide_url,
        env: { PYTHONHASHSEED: "0" }, // every browser orders sets and dicts of strings alike
        packages: ["numpy", "micropip"],
      });
      noteFailure("Python", null);
      break;
    } catch (error) {
      transfer.retries += 1;
      noteFailure("Python", errorMessage(error));
      reportProgress(true);
      await sleep(backoff.next());
    }
  }
  boots += 1;
  py.runPython("import numpy, micropip"); // loadPackage fails quietly; an import fails loudly
  py.FS.mkdirTree(SITE);
  py.FS.writeFile(`${SITE}/_multiprocessing.py`, MP_STUB);
  py.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(SITE)})`);
}

/**
 * The scene's packages that only Pyodide builds (opencv-python, scipy...) come from the configured Pyodide's own
 * folder, with their dependencies. One that folder lacks would never install: its integrity-checked download of a
 * 404 is a network error that the retrying fetch tries again until the load deadline, or micropip only warns. Ask
 * for each file first and fail the load at once, naming the package.
 * @param {any} config
 */
async function checkPyodideBuilt(config) {
  const response = await fetch(`${config.pyodide_url}pyodide-lock.json`);
  if (!response.ok) return; // micropip reads the same lock; it reports its own failure
  const entries = (await response.json()).packages || {};
  /** @param {string} name */
  const key = (name) => name.toLowerCase().replace(/[-_.]+/g, "-");
  const built = (/** @type {any} */ entry) => entry && !/-none-any\.whl$/.test(entry.file_name);
  const todo = config.packages.map((/** @type {string} */ text) => key(text.split(/[\s;<>=!~[]/)[0]));
  const seen = new Set();
  const missing = [];
  while (todo.length) {
    const name = todo.pop();
    const entry = entries[name];
    if (seen.has(name) || !built(entry)) continue;
    seen.add(name);
    todo.push(...(entry.depends || []).map(key));
    const head = await fetch(config.pyodide_url + entry.file_name, { method: "HEAD" });
    if (head.status === 404 || head.status === 410) missing.push(`${name} (${entry.file_name}: HTTP ${head.status})`);
  }
  if (missing.length) {
    const names = missing.join(", ");
    throw new Error(`this server's Pyodide does not have these packages, so they cannot be installed: ${names}`);
  }
}

/**
 * @param {any} config
 * @param {number | undefined} id the page's number for this load
 */
function load(config, id) {
  const run = async () => {
    loadId = id;
    try {
      await loadScene(config);
    } catch (error) {
      post(work.ERROR, { stage: "load", message: errorMessage(error), load: id });
    }
  };
  loading = loading.then(run);
  return loading;
}

/** @param {any} config */
async function loadScene(config) {
  if (!py) await bootPython(config);
  else if (previousScene) {
    netLeave(); // a group game's relay link and session end with its scene
    py.globals.set("mug_previous_scene", py.toPy(previousScene));
    py.runPython(SCENE_SWAP);
    previousScene = null;
  }
  progress("Installing packages", 0.55, 0.8);
  py.globals.set("mug_packages", py.toPy(config.packages));
  py.globals.set("mug_index_urls", py.toPy(config.index_urls));
  await checkPyodideBuilt(config);
  await py.runPythonAsync(INSTALL_PACKAGES);
  progress("Loading the game", 0.8, 0.9);
  const response = await fetch(config.bundle_url);
  if (!response.ok) throw new Error(`the game's code could not be downloaded (HTTP ${response.status})`);
  const bundle = await response.json();
  scenes += 1;
  const sceneDir = `${SITE}/scene${scenes}`;
  const paths = Object.keys(bundle.files);
  previousScene = { paths: [sceneDir], tops: [...new Set(paths.map((path) => path.split("/")[0].replace(/\.py$/, "")))] };
  for (const [path, source] of Object.entries(bundle.files)) {
    py.FS.mkdirTree(`${sceneDir}/${path.split("/").slice(0, -1).join("/")}`);
    py.FS.writeFile(`${sceneDir}/${path}`, source);
  }
  py.runPython(`import importlib, sys; sys.path.insert(0, ${JSON.stringify(sceneDir)}); importlib.invalidate_caches()`);
  Object.assign(ctx, { py, config });
  const loop = py.pyimport("mug.loop");
  const booted = JSON.parse(loop.boot(JSON.stringify(config.loop)));
  tickFn = loop.tick;
  agents = config.loop.agents;
  progress("Loading the AI", 0.9, 0.95);
  await loadModels(agents, config.model_url, config.ort_url);
  progress("Loading the images", 0.95, 0.99);
  const images = await loadAssets(config.assets);
  startEpisode = async (episode, seed) => {
    const started = JSON.parse(loop.start(episode, seed));
    inference = await runQueries(started.queries, agents);
    return started;
  };
  const interpreter = { boots, scenes, stale: staleModules(sceneDir) };
  const ready = { agents: booted.agents, assets: booted.assets, images, runtime: runtimeInfo(), interpreter };
  post(work.READY, { ...ready, load: loadId });
}

function runtimeInfo() {
  const info = py.runPython(`
import json, sys, importlib.metadata as md
json.dumps({"python": sys.version.split()[0],
            "packages": {d.metadata["Name"]: d.version for d in md.distributions()}})`);
  return { ...JSON.parse(info), pyodide: py.version, userAgent: self.navigator.userAgent };
}

/**
 * One frame of a single-player episode; false once it is over (or failed).
 * @param {number} now
 * @param {number} late
 */
async function frame(now, late) {
  const presses = input.presses;
  input.presses = [];
  let out;
  const before = performance.now();
  try {
    out = JSON.parse(tickFn(JSON.stringify({ held: input.held, presses, inference })));
  } catch (error) {
    post(work.ERROR, { stage: "step", message: errorMessage(error) });
    return false;
  }
  out.tick_ms = performance.now() - before; // the one JS->Python call of this frame, for the benchmark
  const inferStart = performance.now();
  try {
    inference = out.over ? {} : await runQueries(out.queries, agents);
  } catch (error) {
    post(work.ERROR, { stage: "policy", message: errorMessage(error) });
    return false;
  }
  out.infer_ms = performance.now() - inferStart; // the models' share of this frame, for the benchmark
  out.inferences = Object.keys(out.queries || {}).length;
  delete out.queries;
  out.row.t = now;
  out.row.late_ms = late;
  out.row.focused = input.focused;
  post(work.FRAME, out);
  return !out.over;
}

/**
 * The entry screening's pre-flight: frames back to back (a new episode whenever one ends), each timed.
 * @param {number} frames
 * @param {number} seed
 */
async function benchmark(frames, seed) {
  let episode = 0;
  await startEpisode(episode, seed);
  const times = [];
  for (let i = 0; i < frames; i++) {
    const before = performance.now();
    const out = JSON.parse(tickFn(JSON.stringify({ held: [], presses: [], inference })));
    inference = out.over ? {} : await runQueries(out.queries, agents);
    times.push(performance.now() - before);
    if (out.over) await startEpisode(++episode, seed + episode);
  }
  return times;
}

const handlers = {
  [work.LOAD]: (message) => load(message.config, message.load),
  [work.START]: async (message) => {
    const started = await startEpisode(message.episode, message.seed);
    delete started.queries;
    const go = () => startClock(message.fps, frame);
    post(work.STARTED, started); // the page draws the first frame (under its countdown, with hold)
    if (message.hold) held = go;
    else go();
  },
  [work.PLAY]: () => {
    const go = held;
    held = null;
    go?.();
  },
  [work.BENCHMARK]: async (message) => post(work.BENCHMARK, { step_ms: await benchmark(message.frames, message.seed) }),
  [work.INPUT]: (message) => {
    input.held = message.held;
    input.presses.push(...message.presses);
  },
  [work.FOCUS]: (message) => {
    input.focused = message.focused;
    netPresence(!message.focused);
  },
  [work.NET_JOIN]: (message) => netJoin(message, ctx),
  [work.NET_GO]: () => netGo(ctx),
};

// Where a failure happened, for the participant's record: loading, the env's reset() (an episode's start), or play.
const STAGES = { [work.LOAD]: "load", [work.START]: "reset" };

self.onmessage = async (event) => {
  const message = event.data;
  try {
    await dispatch(handlers, message);
  } catch (error) {
    post(work.ERROR, { stage: STAGES[message.type] || "step", message: errorMessage(error) });
  }
};
