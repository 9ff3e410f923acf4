// The pre-flight in the participant's interpreter: the self-hosted Pyodide under Node.js, offline. Reads a job (JSON)
// on stdin, loads each scene's bundle with exactly its packages (micropip from the wheelhouse, served here as a PEP 503
// index on loopback, the way the site serves it to browsers), runs the env probe there and writes one result per
// scene (JSON) to the job's output file. Pyodide's own prints go to stderr, never into the results.
/* global process, URL -- Node.js globals (the ESLint config knows browser and worker globals only) */
import { createReadStream, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

const SITE = "/home/pyodide/mugsite";
const job = JSON.parse(readFileSync(0, "utf8"));

/** @param {string} name */
const normalize = (name) => name.replace(/[-_.]+/g, "-").toLowerCase();
const wheels = readdirSync(job.wheelhouse).filter((name) => name.endsWith(".whl"));

const index = createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  const project = url.pathname.match(/^\/simple\/([^/]+)\/$/);
  if (project) {
    const files = wheels.filter((name) => normalize(name.split("-")[0]) === normalize(project[1]));
    if (!files.length) return void response.writeHead(404).end();
    const links = files.map((name) => `<a href="/wheels/${encodeURIComponent(name)}">${name}</a><br>`);
    response.writeHead(200, { "content-type": "text/html" }).end(`<html><body>${links.join("\n")}</body></html>`);
    return;
  }
  const wheel = url.pathname.match(/^\/wheels\/([^/]+)$/);
  const name = wheel ? decodeURIComponent(wheel[1]) : "";
  if (!wheels.includes(name)) return void response.writeHead(404).end();
  response.writeHead(200, { "content-type": "application/octet-stream" });
  createReadStream(path.join(job.wheelhouse, name)).pipe(response);
});
await new Promise((resolve) => index.listen(0, "127.0.0.1", () => resolve(undefined)));
const address = index.address();
const port = typeof address === "object" && address ? address.port : 0;
const indexUrls = [`http://127.0.0.1:${port}/simple/{package_name}/`];

const SWAP = `
import importlib, sys
for _path in mug_previous["paths"]:
    while _path in sys.path:
        sys.path.remove(_path)
_tops = set(mug_previous["tops"])
for _name in [name for name in sys.modules if name.split(".")[0] in _tops]:
    del sys.modules[_name]
importlib.invalidate_caches()
`;

/** @param {unknown} error */
const describe = (error) => {
  const text = String(error instanceof Error ? error.message : error);
  // A PythonError's message is the traceback: keep its last line (the exception type and message).
  const lines = text.trim().split("\n");
  return lines[lines.length - 1].slice(0, 500);
};

const { loadPyodide } = await import(pathToFileURL(path.join(job.pyodide_dir, "pyodide.mjs")).href);

/** A fresh interpreter as the game worker boots it (numpy, micropip, the _multiprocessing stub). */
async function boot() {
  const fresh = await loadPyodide({
    indexURL: job.pyodide_dir + path.sep,
    env: { PYTHONHASHSEED: "0" },
    packages: ["numpy", "micropip"],
    stdout: (/** @type {string} */ line) => process.stderr.write(line + "\n"),
    stderr: (/** @type {string} */ line) => process.stderr.write(line + "\n"),
  });
  fresh.runPython("import numpy, micropip");
  fresh.FS.mkdirTree(SITE);
  fresh.FS.writeFile(`${SITE}/_multiprocessing.py`, job.multiprocessing_stub);
  fresh.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(SITE)})`);
  return fresh;
}

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
  const sceneDir = `${SITE}/scene${number}`;
  const files = { ...scene.files, "_mug_env_probe.py": job.probe };
  previous = {
    paths: [sceneDir],
    tops: [...new Set(Object.keys(files).map((name) => name.split("/")[0].replace(/\.py$/, "")))],
  };
  for (const [name, source] of Object.entries(files)) {
    py.FS.mkdirTree(`${sceneDir}/${name.split("/").slice(0, -1).join("/")}`);
    py.FS.writeFile(`${sceneDir}/${name}`, source);
  }
  try {
    py.runPython(`import importlib, sys; sys.path.insert(0, ${JSON.stringify(sceneDir)}); importlib.invalidate_caches()`);
    const probe = py.pyimport("_mug_env_probe");
    results[scene.key] = JSON.parse(probe.probe_json(JSON.stringify(scene.spec)));
  } catch (error) {
    results[scene.key] = { stage: "load", error_type: "PythonError", message: describe(error) };
  }
}
writeFileSync(job.output, JSON.stringify({ pyodide: py?.version, results }));
index.close();
process.exit(0);
