// The episode verifier's worker: one long-lived Node.js process holding the self-hosted Pyodide (offline, booted as
// the game worker boots it), reused for episode after episode. The first line on stdin configures it; each further
// line is one episode (its recorded bundle, packages, loop configuration, seed and actions); each answer is one line
// on stdout. What the replay returns crosses the same wire as a browser's rows: Python's JSON, parsed by JavaScript,
// serialised again by JSON.stringify (the page's upload), so both sides are compared as the server receives them.
/* global process -- Node.js globals (the ESLint config knows browser and worker globals only) */
import { createInterface } from "node:readline";

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
    stage = "replay";
    const replayer = python.pyimport("_mug_exact_replay");
    // The loop configuration reaches the browser's Python through JSON.stringify too.
    const text = replayer.replay_json(JSON.stringify({ ...job, files: undefined }));
    answer({ id: job.id, result: JSON.parse(text), pyodide: python.version });
  } catch (error) {
    answer({ id: job.id, error: describe(error), stage });
  }
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
