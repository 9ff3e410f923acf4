// The episode verifier's worker: one long-lived Node.js process holding the self-hosted Pyodide (offline, booted as
// the game worker boots it), reused for episode after episode. The first line on stdin configures it; each further
// line is one episode (its recorded bundle, packages, loop configuration, seed and actions); each answer is one line
// on stdout. What the replay returns crosses the same wire as a browser's rows: Python's JSON, parsed by JavaScript,
// serialised again by JSON.stringify (the page's upload), so both sides are compared as the server receives them.
// ONNX agents run in the game worker's own module (policies.js) with the onnxruntime-web build the browser imports,
// ort.wasm.min.mjs, from the project's node_modules: the same package and the same ort-wasm-simd-threaded.wasm the
// site serves under /static/vendor/onnxruntime-web/, on one thread, one session per model sha256 kept across episodes.
/* global process -- Node.js globals (the ESLint config knows browser and worker globals only) */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

import { loadModels, runQueries } from "../../../frontend/static/frontend/js/worker/policies.js";
import { SITE, SWAP, bootPyodide, describe, serveWheelhouse, writeScene } from "./pyodide_node.mjs";

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
/** @type {any} */
let setup = null;
/** @type {any} */
let index = null;
/** @type {any} */
let py = null;
let boots = 0;
let scenes = 0;
let packageSet = "";
let codeHash = "";
/** @type {{paths: string[], tops: string[]} | null} */
let previous = null;

/** @param {object} message */
const answer = (message) => process.stdout.write(JSON.stringify({ boots, ...message }) + "\n");

/** An interpreter with exactly these packages installed: the current one, or a fresh one for another set. */
async function interpreter(/** @type {string[]} */ packages) {
  const wanted = JSON.stringify([...packages].sort());
  if (py && wanted === packageSet) return py;
  py = null;
  py = await bootPyodide(setup.pyodide_dir, setup.multiprocessing_stub);
  boots += 1;
  [packageSet, codeHash, previous] = ["", "", null];
  py.globals.set("mug_packages", py.toPy(packages));
  py.globals.set("mug_index_urls", py.toPy(index.indexUrls));
  await py.runPythonAsync("import micropip\nawait micropip.install(mug_packages, index_urls=mug_index_urls)");
  packageSet = wanted;
  return py;
}

/** @param {any} job */
async function verify(job) {
  let stage = "boot";
  try {
    const python = await interpreter(job.packages);
    stage = "load";
    if (job.code_hash !== codeHash) {
      if (previous) {
        python.globals.set("mug_previous", python.toPy(previous));
        python.runPython(SWAP);
      }
      codeHash = "";
      scenes += 1;
      previous = writeScene(python, `${SITE}/scene${scenes}`, { ...job.files, "_mug_exact_replay.py": setup.replayer });
      codeHash = job.code_hash;
    }
    const models = job.models || {};
    if (Object.keys(models).length) {
      stage = "models";
      const ortUrl = pathToFileURL(setup.ort_dir + path.sep).href;
      await loadModels(job.loop.agents, "", ortUrl, (spec) => modelBytes(spec, models[spec.sha256]));
    }
    stage = "replay";
    const replayer = python.pyimport("_mug_exact_replay");
    // The loop configuration reaches the browser's Python through JSON.stringify too.
    const text = Object.keys(models).length
      ? await replayWithModels(replayer, job)
      : replayer.replay_json(JSON.stringify({ ...job, files: undefined }));
    answer({ id: job.id, result: JSON.parse(text), pyodide: python.version });
  } catch (error) {
    answer({ id: job.id, error: describe(error), stage });
  }
}

/**
 * A model's bytes from the server's file, refused unless they are the ones the episode's bundle names.
 * @param {any} spec
 * @param {string} file
 */
async function modelBytes(spec, file) {
  if (!file) throw new Error(`no file for the model ${spec.model}`);
  const bytes = await readFile(file);
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (digest !== spec.sha256) throw new Error(`the model file ${file} no longer has sha256 ${spec.sha256}`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Frame by frame, as the game worker plays (main.js): the queries after reset are run before the first frame, and
 * each frame's queries before the next; their outputs cross into Python as JSON, as in the worker's tick.
 * @param {any} replayer
 * @param {any} job
 */
async function replayWithModels(replayer, job) {
  const agents = job.loop.agents;
  let progress = JSON.parse(replayer.begin(JSON.stringify({ ...job, files: undefined, models: undefined })));
  let failure = null;
  try {
    while (!progress.done) {
      const inference = await runQueries(progress.queries, agents);
      progress = JSON.parse(replayer.step(JSON.stringify(inference)));
    }
  } catch (error) {
    failure = error;
  }
  const text = replayer.finish(); // closes the env whatever happened
  if (failure) throw failure;
  return text;
}

for await (const line of lines) {
  if (!line.trim()) continue;
  const message = JSON.parse(line);
  if (!setup) {
    setup = message;
    index = await serveWheelhouse(setup.wheelhouse);
    answer({ ready: true });
    continue;
  }
  await verify(message);
}
index?.close();
process.exit(0);
