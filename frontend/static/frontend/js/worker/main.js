// The game worker: boots Pyodide, installs the scene's packages, runs the Python loop on a fixed clock.
// It owns the clock so the game keeps its pace when the tab is in the background; one Python call per frame.
// AI agents with ONNX models are inferred between frames (policies.js); their outputs enter the next call.
// Messages from the page are handled by one handler map (their names: shared/protocol/worker.js).

import { dispatch } from "../shared/dispatch.js";
import { errorMessage } from "../shared/errors.js";
import * as work from "../shared/protocol/worker.js";
import { startClock } from "./clock.js";
import { netGo, netJoin, netPresence } from "./netloop.js";
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

/**
 * @param {string} stage
 * @param {number} fraction
 */
function progress(stage, fraction) {
  post(work.PROGRESS, { stage, fraction });
}

/** @param {any} config */
async function load(config) {
  progress("Starting Python", 0.05);
  const { loadPyodide } = await import(config.pyodide_url + "pyodide.mjs");
  py = await loadPyodide({
    indexURL: config.pyodide_url,
    env: { PYTHONHASHSEED: "0" }, // every browser orders sets and dicts of strings alike
    packages: ["numpy", "micropip"],
  });
  py.runPython("import numpy, micropip"); // loadPackage fails quietly; an import fails loudly
  progress("Installing packages", 0.55);
  const siteDir = "/home/pyodide/mugsite";
  py.FS.mkdirTree(siteDir);
  py.FS.writeFile(`${siteDir}/_multiprocessing.py`, MP_STUB);
  py.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(siteDir)})`);
  py.globals.set("mug_packages", py.toPy(config.packages));
  py.globals.set("mug_index_urls", py.toPy(config.index_urls));
  await py.runPythonAsync("import micropip\nawait micropip.install(mug_packages, index_urls=mug_index_urls)");
  progress("Loading the game", 0.8);
  const bundle = await (await fetch(config.bundle_url)).json();
  for (const [path, source] of Object.entries(bundle.files)) {
    py.FS.mkdirTree(`${siteDir}/${path.split("/").slice(0, -1).join("/")}`);
    py.FS.writeFile(`${siteDir}/${path}`, source);
  }
  Object.assign(ctx, { py, config });
  const loop = py.pyimport("mug.loop");
  const booted = JSON.parse(loop.boot(JSON.stringify(config.loop)));
  tickFn = loop.tick;
  agents = config.loop.agents;
  progress("Loading the AI", 0.9);
  await loadModels(agents, config.model_url, config.ort_url);
  startEpisode = async (episode, seed) => {
    const started = JSON.parse(loop.start(episode, seed));
    inference = await runQueries(started.queries, agents);
    return started;
  };
  post(work.READY, { agents: booted.agents, assets: booted.assets, runtime: runtimeInfo() });
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
  [work.LOAD]: (message) => load(message.config),
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

self.onmessage = async (event) => {
  const message = event.data;
  try {
    await dispatch(handlers, message);
  } catch (error) {
    post(work.ERROR, { stage: message.type === work.LOAD ? "load" : "step", message: errorMessage(error) });
  }
};
