// Boots the game worker (Pyodide, packages, the scene's Python code) and remembers its progress, so the
// boot can start on an earlier page of the flow and the game page can pick it up where it is.

export function bootRuntime(config) {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  const runtime = { sceneKey: config.scene_key, worker, progress: { stage: "Preparing the game", fraction: 0.02 } };
  const listeners = new Set();
  runtime.onProgress = (listener) => {
    listeners.add(listener);
    listener(runtime.progress);
  };
  runtime.ready = new Promise((resolve, reject) => {
    worker.addEventListener("message", (event) => {
      const message = event.data;
      if (message.type === "progress") {
        runtime.progress = message;
        listeners.forEach((listener) => listener(message));
      } else if (message.type === "ready") {
        resolve(message);
      } else if (message.type === "error") {
        reject(Object.assign(new Error(message.message), { stage: message.stage }));
      }
    });
    worker.addEventListener("error", (event) =>
      reject(Object.assign(new Error(event.message || "the game worker failed"), { stage: "load" })),
    );
  });
  runtime.ready.catch(() => {}); // reported by the game page when it mounts
  worker.postMessage({ type: "load", config });
  return runtime;
}
