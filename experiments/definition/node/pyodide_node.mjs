// What the pre-flight and the episode verifier share: the self-hosted Pyodide under Node.js, offline, booted as the
// game worker boots it (numpy, micropip, the _multiprocessing stub, PYTHONHASHSEED=0), and the wheelhouse served as a
// PEP 503 index on loopback (the way the site serves it to browsers). Pyodide's own prints go to stderr.
/* global process, URL -- Node.js globals (the ESLint config knows browser and worker globals only) */
import { createReadStream, readdirSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

export const SITE = "/home/pyodide/mugsite";

/** @param {string} name */
const normalize = (name) => name.replace(/[-_.]+/g, "-").toLowerCase();

/**
 * Serve the wheelhouse as a PEP 503 index on 127.0.0.1; resolves to { indexUrls, close }.
 * @param {string} wheelhouse
 */
export async function serveWheelhouse(wheelhouse) {
  const wheels = readdirSync(wheelhouse).filter((name) => name.endsWith(".whl"));
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
    createReadStream(path.join(wheelhouse, name)).pipe(response);
  });
  await new Promise((resolve) => index.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = index.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { indexUrls: [`http://127.0.0.1:${port}/simple/{package_name}/`], close: () => index.close() };
}

/** @param {unknown} error */
export const describe = (error) => {
  const text = String(error instanceof Error ? error.message : error);
  // A PythonError's message is the traceback: keep its last line (the exception type and message).
  const lines = text.trim().split("\n");
  return lines[lines.length - 1].slice(0, 500);
};

/**
 * A fresh interpreter as the game worker boots it (numpy, micropip, the _multiprocessing stub).
 * @param {string} pyodideDir
 * @param {string} multiprocessingStub
 */
export async function bootPyodide(pyodideDir, multiprocessingStub) {
  const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
  const fresh = await loadPyodide({
    indexURL: pyodideDir + path.sep,
    env: { PYTHONHASHSEED: "0" },
    packages: ["numpy", "micropip"],
    stdout: (/** @type {string} */ line) => process.stderr.write(line + "\n"),
    stderr: (/** @type {string} */ line) => process.stderr.write(line + "\n"),
  });
  fresh.runPython("import numpy, micropip");
  fresh.FS.mkdirTree(SITE);
  fresh.FS.writeFile(`${SITE}/_multiprocessing.py`, multiprocessingStub);
  fresh.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(SITE)})`);
  return fresh;
}

// Forget the previous scene's directory and modules (installed packages stay imported, as in the game worker).
export const SWAP = `
import importlib, sys
for _path in mug_previous["paths"]:
    while _path in sys.path:
        sys.path.remove(_path)
_tops = set(mug_previous["tops"])
for _name in [name for name in sys.modules if name.split(".")[0] in _tops]:
    del sys.modules[_name]
importlib.invalidate_caches()
`;

/**
 * Write a scene's files into its own directory and put it first on sys.path; what SWAP needs to remove it again.
 * @param {any} py
 * @param {string} sceneDir
 * @param {Record<string, string>} files
 */
export function writeScene(py, sceneDir, files) {
  for (const [name, source] of Object.entries(files)) {
    py.FS.mkdirTree(`${sceneDir}/${name.split("/").slice(0, -1).join("/")}`);
    py.FS.writeFile(`${sceneDir}/${name}`, source);
  }
  py.runPython(`import importlib, sys; sys.path.insert(0, ${JSON.stringify(sceneDir)}); importlib.invalidate_caches()`);
  return {
    paths: [sceneDir],
    tops: [...new Set(Object.keys(files).map((name) => name.split("/")[0].replace(/\.py$/, "")))],
  };
}
