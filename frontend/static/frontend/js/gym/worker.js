// The game worker: boots Pyodide, installs the scene's packages, runs the Python loop on a fixed clock.
// It owns the clock so the game keeps its pace when the tab is in the background; one Python call per frame.
// AI agents with ONNX models are inferred between frames (policies.js); their outputs enter the next call.

import { netHandle, netPresence } from "./netloop.js";
import { loadModels, runQueries } from "./policies.js";

let py = null;
let tickFn = null;
let clock = null;
let agents = {};
let inference = {}; // model outputs for the next tick
const input = { held: [], presses: [], focused: true };
// What the group game (netloop.js) uses of this worker.
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

function post(type, data = {}) {
  self.postMessage({ type, ...data });
}

function progress(stage, fraction) {
  post("progress", { stage, fraction });
}

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
  post("ready", { agents: booted.agents, assets: booted.assets, runtime: runtimeInfo() });
  self.startEpisode = async (episode, seed) => {
    const started = JSON.parse(loop.start(episode, seed));
    inference = await runQueries(started.queries, agents);
    return started;
  };
}

function runtimeInfo() {
  const info = py.runPython(`
import json, sys, importlib.metadata as md
json.dumps({"python": sys.version.split()[0],
            "packages": {d.metadata["Name"]: d.version for d in md.distributions()}})`);
  return { ...JSON.parse(info), pyodide: py.version, userAgent: self.navigator.userAgent };
}

// A drift-free fixed-rate clock. A late frame still runs (frames are never skipped); its lateness is recorded.
function startClock(fps) {
  const period = 1000 / fps;
  let next = performance.now();
  const run = async () => {
    const now = performance.now();
    const late = Math.max(0, now - next);
    if (!(await frame(now, late))) return;
    next += period;
    // After a long stall (e.g. the machine slept) re-anchor instead of racing through a backlog.
    if (now - next > 5 * period) next = now + period;
    clock = setTimeout(run, Math.max(0, next - performance.now()));
  };
  clock = setTimeout(run, 0);
}

async function frame(now, late) {
  const presses = input.presses;
  input.presses = [];
  let out;
  const before = performance.now();
  try {
    out = JSON.parse(tickFn(JSON.stringify({ held: input.held, presses, inference })));
  } catch (error) {
    post("error", { stage: "step", message: String(error && error.message ? error.message : error) });
    return false;
  }
  out.tick_ms = performance.now() - before; // the one JS->Python call of this frame, for the benchmark
  const inferStart = performance.now();
  try {
    inference = out.over ? {} : await runQueries(out.queries, agents);
  } catch (error) {
    post("error", { stage: "policy", message: String(error && error.message ? error.message : error) });
    return false;
  }
  out.infer_ms = performance.now() - inferStart; // the models' share of this frame, for the benchmark
  out.inferences = Object.keys(out.queries || {}).length;
  delete out.queries;
  out.row.t = now;
  out.row.late_ms = late;
  out.row.focused = input.focused;
  post("frame", out);
  if (out.over) {
    clock = null;
    return false;
  }
  return true;
}

// The entry screening's pre-flight: frames back to back (a new episode whenever one ends), each timed.
async function benchmark(frames, seed) {
  let episode = 0;
  await self.startEpisode(episode, seed);
  const times = [];
  for (let i = 0; i < frames; i++) {
    const before = performance.now();
    const out = JSON.parse(tickFn(JSON.stringify({ held: [], presses: [], inference })));
    inference = out.over ? {} : await runQueries(out.queries, agents);
    times.push(performance.now() - before);
    if (out.over) await self.startEpisode(++episode, seed + episode);
  }
  return times;
}

self.onmessage = async (event) => {
  const message = event.data;
  try {
    if (message.type === "load") {
      await load(message.config);
    } else if (message.type === "start") {
      const started = await self.startEpisode(message.episode, message.seed);
      delete started.queries;
      post("started", started);
      startClock(message.fps);
    } else if (message.type === "benchmark") {
      post("benchmark", { step_ms: await benchmark(message.frames, message.seed) });
    } else if (message.type === "input") {
      input.held = message.held;
      input.presses.push(...message.presses);
    } else if (message.type === "focus") {
      input.focused = message.focused;
      netPresence(!message.focused);
    } else if (message.type.startsWith("net-")) {
      netHandle(message, ctx);
    }
  } catch (error) {
    post("error", { stage: message.type === "load" ? "load" : "step", message: String(error && error.message ? error.message : error) });
  }
};
