// The pre-flight in the participant's interpreter: the self-hosted Pyodide under Node.js, offline. Reads a job (JSON)
// on stdin, loads each scene's bundle with exactly its packages (micropip from the wheelhouse, served here as a PEP 503
// index on loopback, the way the site serves it to browsers), runs the env probe there and writes one result per
// scene (JSON) to the job's output file. Pyodide's own prints go to stderr, never into the results.
/* global process -- Node.js globals (the ESLint config knows browser and worker globals only) */
import { readFileSync, writeFileSync } from "node:fs";

import { SITE, SWAP, bootPyodide, describe, serveWheelhouse, writeScene } from "./pyodide_node.mjs";

const job = JSON.parse(readFileSync(0, "utf8"));
const index = await serveWheelhouse(job.wheelhouse);
const indexUrls = index.indexUrls;
const boot = () => bootPyodide(job.pyodide_dir, job.multiprocessing_stub);

// Scenes with the same package set share an interpreter (installed packages stay, as in a browser); each other set
// gets a fresh one, so a scene never passes on a package only an earlier scene installed.
const packageSet = (/** @type {{packages: string[]}} */ scene) => JSON.stringify([...scene.packages].sort());
const scenes = [...job.scenes].sort((a, b) => packageSet(a).localeCompare(packageSet(b)));
const results = {};
let py = null;
let booted = null;
let previous = null;
for (const [number, scene] of scenes.entries()) {
  if (booted !== packageSet(scene)) {
    try {
      py = await boot();
    } catch (error) {
      writeFileSync(job.output, JSON.stringify({ boot: describe(error), results }));
      index.close();
      process.exit(0);
    }
    booted = packageSet(scene);
    previous = null;
  } else if (previous) {
    py.globals.set("mug_previous", py.toPy(previous));
    py.runPython(SWAP);
  }
  try {
    py.globals.set("mug_packages", py.toPy(scene.packages));
    py.globals.set("mug_index_urls", py.toPy(indexUrls));
    await py.runPythonAsync("import micropip\nawait micropip.install(mug_packages, index_urls=mug_index_urls)");
  } catch (error) {
    results[scene.key] = { stage: "packages", error_type: "InstallError", message: describe(error) };
    continue;
  }
  try {
    previous = writeScene(py, `${SITE}/scene${number}`, { ...scene.files, "_mug_env_probe.py": job.probe });
    const probe = py.pyimport("_mug_env_probe");
    results[scene.key] = JSON.parse(probe.probe_json(JSON.stringify(scene.spec)));
  } catch (error) {
    results[scene.key] = { stage: "load", error_type: "PythonError", message: describe(error) };
  }
}
writeFileSync(job.output, JSON.stringify({ pyodide: py?.version, results }));
index.close();
process.exit(0);
