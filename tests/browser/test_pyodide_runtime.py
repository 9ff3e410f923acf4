"""Smoke test: the self-hosted Pyodide and wheelhouse, served by Django, run Gymnasium in a real browser's worker."""

from __future__ import annotations

import json
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PACKAGES = ["gymnasium==1.4.0", "pettingzoo==1.25.0"]
STEPS = 200
TIMEOUT_MS = 240_000

# gymnasium 1.x imports multiprocessing.synchronize, which needs _multiprocessing; Pyodide has none.
MP_STUB = """
import sys, types
stub = types.ModuleType("_multiprocessing")
stub.SEM_VALUE_MAX = 2**31 - 1
class SemLock:
    SEM_VALUE_MAX = 2**31 - 1
    def __init__(self, *args, **kwargs):
        raise OSError("no multiprocessing in the browser")
def sem_unlink(name):
    raise OSError("no multiprocessing in the browser")
stub.SemLock, stub.sem_unlink = SemLock, sem_unlink
sys.modules["_multiprocessing"] = stub
"""

# The same function runs natively (in this process) and in Pyodide; it returns JSON text.
ROLLOUT = f"""
import json
import gymnasium
def rollout():
    env = gymnasium.make("CartPole-v1")
    obs, _ = env.reset(seed=1)
    trajectory = [obs.tolist()]
    for i in range({STEPS}):
        obs, reward, terminated, truncated, _ = env.step(i % 2)
        trajectory.append([*obs.tolist(), float(reward), bool(terminated), bool(truncated)])
        if terminated or truncated:
            obs, _ = env.reset()  # the episode's RNG stream goes on: still deterministic
            trajectory.append(obs.tolist())
    return json.dumps({{"final": obs.tolist(), "trajectory": trajectory}})
"""

# A module worker (from a Blob URL, so it is same-origin) boots Pyodide from /static/pyodide/ and
# installs from the wheel index at /runtime/simple/. Its messages are {ok, result|error, timings}.
WORKER = """
self.onmessage = async ({ data: { origin, packages, stub, rollout } }) => {
  const timings = {}, t0 = performance.now();
  try {
    const { loadPyodide } = await import(`${origin}/static/pyodide/pyodide.mjs`);
    const py = await loadPyodide({
      indexURL: `${origin}/static/pyodide/`, env: { PYTHONHASHSEED: "0" }, packages: ["numpy", "micropip"],
    });
    timings.boot_ms = performance.now() - t0;
    py.runPython(stub);
    py.globals.set("mug_packages", py.toPy(packages));
    py.globals.set("mug_index_urls", py.toPy([`${origin}/runtime/simple/{package_name}/`]));
    await py.runPythonAsync("import micropip\\nawait micropip.install(mug_packages, index_urls=mug_index_urls)");
    timings.install_ms = performance.now() - t0 - timings.boot_ms;
    py.runPython(rollout);
    const t1 = performance.now();
    const result = py.runPython("rollout()");
    timings.rollout_ms = performance.now() - t1;
    const versions = py.runPython(
      "import json, sys, numpy, gymnasium, pettingzoo, micropip\\n" +
      "json.dumps({'python': sys.version.split()[0], 'numpy': numpy.__version__, 'gymnasium': gymnasium.__version__," +
      " 'pettingzoo': pettingzoo.__version__, 'micropip': micropip.__version__})");
    self.postMessage({ ok: true, result, versions, timings });
  } catch (error) {
    self.postMessage({ ok: false, error: String((error && error.stack) || error), timings });
  }
};
"""

RUN_IN_WORKER = """
([code, message, timeoutMs]) => new Promise((resolve) => {
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  const timer = setTimeout(() => resolve({ ok: false, error: "timed out" }), timeoutMs);
  worker.onmessage = ({ data }) => { clearTimeout(timer); worker.terminate(); resolve(data); };
  worker.onerror = (event) => { clearTimeout(timer); resolve({ ok: false, error: "worker error: " + event.message }); };
  worker.postMessage(message);
})
"""


def native_rollout() -> dict:
    namespace: dict = {}
    exec(ROLLOUT, namespace)  # noqa: S102 (our own code)
    return json.loads(namespace["rollout"]())


def test_cartpole_in_pyodide_matches_native_cpython_exactly(server_url, chromium_context, console_errors):
    page = chromium_context.new_page()
    page_url = f"{server_url}/__test__/page.html"
    page.route(page_url, lambda route: route.fulfill(content_type="text/html", body="<!DOCTYPE html><title>t</title>"))
    page.goto(page_url)
    started = time.monotonic()
    message = {"origin": server_url, "packages": PACKAGES, "stub": MP_STUB, "rollout": ROLLOUT}
    reply = page.evaluate(RUN_IN_WORKER, [WORKER, message, TIMEOUT_MS])
    elapsed = time.monotonic() - started
    assert reply["ok"], f"{reply['error']}\n{console_errors}"
    print(f"\nworker {reply['timings']} total {elapsed:.1f}s; {json.loads(reply['versions'])}")

    versions = json.loads(reply["versions"])
    assert versions["gymnasium"] == "1.4.0" and versions["pettingzoo"] == "1.25.0"
    assert versions["numpy"] == "2.0.2" and versions["python"].startswith("3.12.")
    browser, native = json.loads(reply["result"]), native_rollout()
    assert browser["final"] == native["final"]  # bit-identical float32 values (exact JSON round trip)
    assert browser["trajectory"] == native["trajectory"]
    requested = chromium_context.mug_requests
    assert any(url.endswith("/static/pyodide/pyodide.asm.wasm") for url in requested), requested
    assert any("/runtime/wheels/gymnasium-1.4.0-" in url for url in requested), requested
