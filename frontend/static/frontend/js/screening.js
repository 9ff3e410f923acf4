// Entry screening: measures what only the browser can (window size, WebAssembly, touch), lets the server time
// a few round trips itself, and sends the measurements; the server decides and the page follows its answer.

const config = JSON.parse(document.getElementById("mug-screening").textContent);
const csrf = document.querySelector("#screening-form input[name=csrfmiddlewaretoken]").value;

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
  });
  return response.json();
}

// The runtime pre-flight: the study's game loads in a worker here and steps some frames back to back.
async function preflight({ game, frames, timeout_s }) {
  const status = document.getElementById("screening-status");
  const { bootRuntime } = await import("./gym/runtime.js");
  const runtime = bootRuntime(game);
  runtime.onProgress((p) => (status.textContent = `Checking that the game runs on this computer: ${p.stage}…`));
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("it did not load in time")), timeout_s * 1000));
  try {
    await Promise.race([runtime.ready, timeout]);
    const done = new Promise((resolve) =>
      runtime.worker.addEventListener("message", (e) => e.data.type === "benchmark" && resolve(e.data.step_ms)));
    runtime.worker.postMessage({ type: "benchmark", frames, seed: 1 });
    return { loaded: true, step_ms: await Promise.race([done, timeout]) };
  } catch (error) {
    return { loaded: false, error: String(error && error.message ? error.message : error).slice(0, 300) };
  } finally {
    runtime.worker.terminate();
  }
}

async function measure() {
  // Each ping returns the server's signed timestamp; sending it straight back lets the server time the round trip.
  let nonce = null;
  for (let i = 0; i <= config.pings; i++) nonce = (await post(config.ping_url, { nonce })).nonce ?? null;
  const webassembly = typeof WebAssembly === "object" && typeof WebAssembly.instantiate === "function";
  const runtime = config.runtime && webassembly ? await preflight(config.runtime) : null;
  const verdict = await post(config.submit_url, {
    width: window.innerWidth,
    height: window.innerHeight,
    webassembly,
    touch_points: navigator.maxTouchPoints || 0,
    runtime,
  });
  window.mugScreening = verdict;
  window.location.assign(verdict.next || window.location.href);
}

measure().catch(() => {
  document.getElementById("screening-status").textContent =
    "We could not check your setup. Please reload the page to try again.";
});
