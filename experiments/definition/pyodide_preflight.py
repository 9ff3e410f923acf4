"""The env pre-flight in the participants' own interpreter: every browser game scene's exact bundle, with exactly its
packages, loaded into the self-hosted Pyodide under Node.js (offline: Pyodide's files from PYODIDE_DIR, wheels from
the wheelhouse), where the env probe (env_probe.py) builds, resets, draws and steps the env, compares two fresh envs
and, for group games, runs the rollback self-test. One Node process serves every scene of a check; a scene that
passed is remembered in var/preflight/ by its code hash, package set and the runtime's files, so later checks and
server starts skip it. MUG_PREFLIGHT chooses "pyodide" (this), "native" or "off" (see settings.py)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning

from experiments.definition import env_probe
from experiments.definition.gym_scene import GymScene
from experiments.definition.preflight import env_failure, probe_spec
from experiments.definition.runtime_bundle import ClosureError, scene_bundle, scene_packages

MODES = ("pyodide", "native", "off")
NODE_SCRIPT = Path(__file__).resolve().parent / "node" / "preflight.mjs"
PROBE_SOURCE = Path(env_probe.__file__).read_text(encoding="utf-8")
# The worker's own _multiprocessing stub (gymnasium 1.x imports it), read from the worker so both stay one text.
WORKER_MAIN = Path(settings.BASE_DIR) / "frontend" / "static" / "frontend" / "js" / "worker" / "main.js"
TIMEOUT_S = 240  # the Node process as a whole (booting Pyodide takes ~2.4 s here; each scene's install and probe more)


@dataclass
class SceneJob:
    key: str  # "slug:scene_id" (":solo" for a PlayWithAI variant)
    scene: GymScene
    files: dict[str, str]
    packages: list[str]
    spec: dict
    cache_key: str = ""


@dataclass
class Outcome:
    failures: dict[str, dict] = field(default_factory=dict)  # job key -> the probe's failure
    cached: set[str] = field(default_factory=set)  # job keys answered from the cache
    ran: set[str] = field(default_factory=set)  # job keys tried in Node this time
    boot_error: str | None = None


def cache_dir() -> Path:
    return Path(settings.BASE_DIR) / "var" / "preflight"


def runtime() -> tuple[str, Path] | str:
    """(node, the self-hosted Pyodide's folder), or why the pre-flight cannot run in Pyodide here."""
    url = settings.MUG_RUNTIME["PYODIDE_URL"]
    if urlsplit(url).scheme in ("http", "https") or url.startswith("//"):
        return (
            f"browsers load Pyodide from {url} (MUG_PYODIDE_URL), not from this server, so there is no local copy of "
            "what they run; serve it yourself (MUG_PYODIDE_URL=/static/pyodide/ after bin/setup) to pre-flight in it"
        )
    pyodide_dir = Path(settings.MUG_RUNTIME["PYODIDE_DIR"])
    if not (pyodide_dir / "pyodide.mjs").is_file():
        return f"no self-hosted Pyodide in {pyodide_dir} (bin/setup fetches it)"
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        return "Node.js is not installed (Debian: apt-get install nodejs)"
    return node, pyodide_dir


def scene_jobs(experiments: dict) -> list[SceneJob]:
    """Every browser game scene (and PlayWithAI variant) whose bundle resolves (E002 reports those that do not)."""
    jobs = []
    for slug, definition in experiments.items():
        for scene in definition.scenes():
            if not isinstance(scene, GymScene) or scene.on_server:
                continue
            for suffix, variant in (("", scene), (":solo", scene.solo_variant())):
                if variant is None:
                    continue
                try:
                    bundle = scene_bundle(variant)
                    # what browsers install: the declared packages and the automatic pins (gamedata/views.py)
                    packages = list(scene_packages(variant).requirements)
                except ClosureError:
                    continue
                spec = probe_spec(variant, variant.chosen_render_mode)
                jobs.append(SceneJob(f"{slug}:{scene.scene_id}{suffix}", variant, bundle.files, packages, spec))
    return jobs


def run(jobs: list[SceneJob], node: str, pyodide_dir: Path, directory: Path | None = None) -> Outcome:
    """Each job's result: from the cache if it passed before with the same code, packages and runtime, else from one
    Node process for all the others. Only passes are cached (a failure is tried again next time)."""
    directory = directory or cache_dir()
    runtime_hash = _runtime_hash(pyodide_dir)
    outcome = Outcome()
    pending: dict[str, list[SceneJob]] = {}
    for job in jobs:
        job.cache_key = _cache_key(job, runtime_hash)
        if (directory / f"{job.cache_key}.json").is_file():
            outcome.cached.add(job.key)
        else:
            pending.setdefault(job.cache_key, []).append(job)
    if not pending:
        return outcome
    results, outcome.boot_error = _run_node(node, pyodide_dir, [group[0] for group in pending.values()])
    directory.mkdir(parents=True, exist_ok=True)
    for cache_key, group in pending.items():
        result = results.get(cache_key, {"stage": "load", "message": outcome.boot_error or "no result from Node"})
        for job in group:
            outcome.ran.add(job.key)
            if result is not None:
                outcome.failures[job.key] = result
        if result is None:
            _write_atomic(directory / f"{cache_key}.json", json.dumps({"passed": sorted(j.key for j in group)}))
    return outcome


def preflight_messages(experiments: dict) -> list:
    """The system check's messages: E193 per scene that fails in Pyodide; W193 when it fell back to native."""
    mode = getattr(settings, "MUG_PREFLIGHT", "pyodide")
    if mode not in MODES:
        return [Error(f"MUG_PREFLIGHT is {mode!r}; use one of {', '.join(MODES)}", id="experiments.E194")]
    jobs = scene_jobs(experiments) if mode == "pyodide" else []
    if not jobs:
        return []
    found = runtime()
    if isinstance(found, str):
        return [
            Warning(
                f"the env pre-flight fell back to native (this server's Python, not the participants' Pyodide): "
                f"{found}",
                hint="Set MUG_PREFLIGHT=native to say so explicitly, or provide Node.js and the self-hosted Pyodide.",
                id="experiments.W193",
            )
        ]
    outcome = run(jobs, *found)
    messages = []
    for job in jobs:
        failure = outcome.failures.get(job.key)
        if failure is not None:
            slug = job.key.split(":")[0]
            error = env_failure(job.scene, failure, where=" in Pyodide (the participants' interpreter)")
            messages.append(
                Error(
                    f"experiment {slug!r}, {error}",
                    hint="Only this experiment's scene is refused; the message names the fix. "
                    "It passed natively: the difference is the browser's Python.",
                    id="experiments.E193",
                )
            )
    return messages


def _run_node(node: str, pyodide_dir: Path, jobs: list[SceneJob]) -> tuple[dict[str, dict | None], str | None]:
    with tempfile.TemporaryDirectory(prefix="mug-preflight-") as scratch:
        output = Path(scratch) / "results.json"
        job = {
            "pyodide_dir": str(pyodide_dir),
            "wheelhouse": str(settings.MUG_RUNTIME["WHEELHOUSE_DIR"]),
            "output": str(output),
            "probe": PROBE_SOURCE,
            "multiprocessing_stub": _multiprocessing_stub(),
            "scenes": [{"key": j.cache_key, "files": j.files, "packages": j.packages, "spec": j.spec} for j in jobs],
        }
        try:
            completed = subprocess.run(  # noqa: S603 (our own script, arguments not from a client)
                [node, str(NODE_SCRIPT)],
                input=json.dumps(job),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                env={**os.environ, "NODE_NO_WARNINGS": "1"},
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {}, f"the pre-flight in Pyodide did not finish within {TIMEOUT_S} s"
        if not output.is_file():
            tail = (completed.stderr or "").strip().splitlines()[-3:]
            return {}, f"Node exited with {completed.returncode}: {' | '.join(tail)}"
        report = json.loads(output.read_text(encoding="utf-8"))
    if report.get("boot"):
        return {}, f"Pyodide could not start under Node: {report['boot']}"
    return report["results"], None


def _multiprocessing_stub() -> str:
    match = re.search(r"const MP_STUB = `(.*?)`;", WORKER_MAIN.read_text(encoding="utf-8"), re.S)
    return match.group(1) if match else "SEM_VALUE_MAX = 2**31 - 1\n"


def _runtime_hash(pyodide_dir: Path) -> str:
    """What a cached pass depends on besides the scene: Pyodide's lock, the wheelhouse, the probe and Node runner."""
    digest = hashlib.sha256()
    lock = pyodide_dir / "pyodide-lock.json"
    digest.update(lock.read_bytes() if lock.is_file() else b"")
    wheelhouse = Path(settings.MUG_RUNTIME["WHEELHOUSE_DIR"])
    for wheel in sorted(wheelhouse.glob("*.whl")) if wheelhouse.is_dir() else []:
        digest.update(f"{wheel.name}:{wheel.stat().st_size}\0".encode())
    digest.update(PROBE_SOURCE.encode())
    digest.update(NODE_SCRIPT.read_bytes())
    digest.update(_multiprocessing_stub().encode())
    return digest.hexdigest()


def _cache_key(job: SceneJob, runtime_hash: str) -> str:
    content = {"files": job.files, "packages": sorted(job.packages), "spec": job.spec, "runtime": runtime_hash}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=repr).encode()).hexdigest()


def _write_atomic(path: Path, text: str) -> None:
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
