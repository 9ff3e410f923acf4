"""The exact verifier: single-player browser episodes replayed in the participants' own interpreter (the
self-hosted Pyodide under Node.js, offline, with the episode's recorded bundle and packages) and compared bit for bit.

A pool of warm Node processes per verification process (MUG_VERIFIER_NODES): each boots Pyodide once and keeps it
while the package set stays the same, so an episode does not pay the boot. An episode that runs past
MUG_VERIFY_EPISODE_TIMEOUT_S (an endless loop) has its process killed and is reported; a process that dies mid-episode
is replaced and the episode tried again, once. After MUG_VERIFIER_RECYCLE_EPISODES episodes a process is replaced by a
fresh one before its next episode: Pyodide's wasm memory only grows, so recycling is what keeps a worker's memory flat.

ONNX agents are run there too, with the onnxruntime-web build and wasm binary the browser is served (verify.mjs), on
the model files the server serves by sha256; a model whose file is gone or whose bytes changed cannot be replayed."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import queue
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from experiments.definition import pyodide_preflight
from experiments.flow import hooks
from experiments.gamedata.exact_compare import compare_episode
from experiments.gamedata.models import Episode, RecordedBundle
from experiments.gamedata.provenance import runtime_files
from experiments.gamedata.replay import episode_scene

logger = logging.getLogger(__name__)
NODE_SCRIPT = pyodide_preflight.NODE_SCRIPT.parent / "verify.mjs"
REPLAYER = (Path(__file__).resolve().parent / "exact_replay.py").read_text(encoding="utf-8")
BOOT_ALLOWANCE_S = 180.0  # booting Pyodide (~2.4 s here) and installing a package set, on top of the episode's time
MODES = ("pyodide", "native")


class NotVerifiable(Exception):
    """The episode cannot be replayed in Pyodide here (the reason is stored); the native check decides instead."""


@dataclass
class Verdict:
    status: str  # "exact", "differs" or "error"
    report: dict[str, Any]


def ort_dir() -> Path:
    """onnxruntime-web's files, as the site serves them to browsers (settings.STATICFILES_DIRS)."""
    return Path(settings.BASE_DIR) / "node_modules" / "onnxruntime-web" / "dist"


def runtime_available() -> tuple[str, Path] | str:
    """(node, Pyodide's folder), or why the exact verifier cannot run here (MUG_VERIFIER=native says so too)."""
    if getattr(settings, "MUG_VERIFIER", "pyodide") != "pyodide":
        return "MUG_VERIFIER is native: episodes are replayed in this server's CPython only"
    return pyodide_preflight.runtime()


class NodeWorker:
    """One Node process with a warm Pyodide, restarted when it dies or is killed for running too long."""

    def __init__(self, node: str, pyodide_dir: Path) -> None:
        self.node, self.pyodide_dir = node, pyodide_dir
        self.process: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()
        self.starts = 0  # Node processes started
        self.boots = 0  # Pyodide interpreters booted, over every process of this worker
        self._boots_here = 0
        self.package_set: str | None = None
        self.in_flight = False  # a job was sent and its answer not read yet
        self.episodes_here = 0  # jobs answered by the current process
        self.ids = itertools.count(1)

    def _start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (our own script; the job comes from our database)
            [self.node, str(NODE_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # Pyodide's and the env's prints
            text=True,
            env={**os.environ, "NODE_NO_WARNINGS": "1"},
        )
        self.starts += 1
        self._boots_here, self.package_set, self.episodes_here = 0, None, 0
        self.lines = queue.Queue()
        threading.Thread(target=_read_lines, args=(self.process.stdout, self.lines), daemon=True).start()
        setup = {
            "pyodide_dir": str(self.pyodide_dir),
            "wheelhouse": str(settings.MUG_RUNTIME["WHEELHOUSE_DIR"]),
            "multiprocessing_stub": pyodide_preflight._multiprocessing_stub(),
            "replayer": REPLAYER,
            "ort_dir": str(ort_dir()),
        }
        try:
            self._send(setup)
            if "ready" not in self._receive(BOOT_ALLOWANCE_S):
                raise RuntimeError("the verifier's Node process did not start")
        except BaseException:
            self.stop()  # never leave a process that has not taken its setup: the next job would be read as one
            raise

    def _send(self, message: dict) -> None:
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def _receive(self, timeout: float) -> dict:
        line = self.lines.get(timeout=timeout)  # queue.Empty: too long
        if line is None:
            raise EOFError("the verifier's Node process ended")
        return json.loads(line)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def run(self, job: dict, timeout: float) -> dict:
        """The Node answer to one job; raises TimeoutError (the process was killed) or EOFError (it died)."""
        if self.episodes_here >= max(1, settings.MUG_VERIFIER_RECYCLE_EPISODES):
            self.stop()
        if self.process is None or self.process.poll() is not None:
            self._start()
        package_set = json.dumps(sorted(job["packages"]))
        allowance = BOOT_ALLOWANCE_S if package_set != self.package_set else 0.0
        job = {**job, "id": next(self.ids)}
        try:
            self.in_flight = True
            self._send(job)
            answer = self._receive(timeout + allowance)
        except queue.Empty:
            self.stop()
            raise TimeoutError(f"the replay did not finish within {timeout:g} s") from None
        except (EOFError, BrokenPipeError, OSError) as error:
            self.stop()
            raise EOFError(str(error)) from None
        finally:
            self.in_flight = False
        self.episodes_here += 1
        self.boots += answer.get("boots", 0) - self._boots_here
        self._boots_here = answer.get("boots", 0)
        self.package_set = package_set
        return answer


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


class VerifierPool:
    """A bounded set of warm Node workers; a job takes an idle one (preferring one with its package set booted)."""

    def __init__(self, size: int, node: str, pyodide_dir: Path) -> None:
        self.workers = [NodeWorker(node, pyodide_dir) for _ in range(max(1, size))]
        self.idle = list(self.workers)
        self.free = threading.Condition()

    def run(self, job: dict, timeout: float) -> dict:
        package_set = json.dumps(sorted(job["packages"]))
        with self.free:
            self.free.wait_for(lambda: self.idle)
            worker = next((w for w in self.idle if w.package_set == package_set), self.idle[0])
            self.idle.remove(worker)
        try:
            try:
                return worker.run(job, timeout)
            except EOFError:  # the process died mid-episode (killed, out of memory): a fresh one tries once more
                logger.warning("a verifier process died mid-episode; trying the episode again")
                return worker.run(job, timeout)
        finally:
            with self.free:
                self.idle.append(worker)
                self.free.notify()

    def stats(self) -> dict[str, int]:
        return {"workers": len(self.workers), "starts": sum(w.starts for w in self.workers), "boots": self.boots()}

    def boots(self) -> int:
        return sum(w.boots for w in self.workers)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()


_pool: VerifierPool | None = None
_pool_key: tuple = ()
_pool_lock = threading.Lock()


def verifier_pool() -> VerifierPool:
    """This process's pool, started with its first episode (again if its settings changed)."""
    global _pool, _pool_key
    found = runtime_available()
    if isinstance(found, str):
        raise NotVerifiable(found)
    # the wheelhouse too: each worker reads its packages from the one it was set up with
    key = (settings.MUG_VERIFIER_NODES, str(settings.MUG_RUNTIME["WHEELHOUSE_DIR"]), *found)
    with _pool_lock:
        if _pool is None or _pool_key != key:
            if _pool is not None:
                _pool.close()
            _pool, _pool_key = VerifierPool(settings.MUG_VERIFIER_NODES, *found), key
        return _pool


def episode_job(episode: Episode) -> dict[str, Any]:
    """What the verifier needs: the recorded bundle (files, loop, packages), the seed and the recorded actions."""
    key = episode.provenance.get("bundle") if isinstance(episode.provenance, dict) else None
    bundle = RecordedBundle.objects.filter(pk=key).first() if key else None
    if bundle is None:
        raise NotVerifiable("no recorded bundle (the episode began before bundles were recorded)")
    recorded = episode.provenance
    current = runtime_files(list(bundle.packages))
    if recorded.get("pyodide") and recorded["pyodide"] != current["pyodide"]:
        raise NotVerifiable(f"played in Pyodide {recorded['pyodide']}; this server has {current['pyodide']}")
    changed = sorted(
        name
        for name, digest in recorded.get("package_hashes", {}).items()
        if current["package_hashes"].get(name) != digest
    )
    if changed:
        raise NotVerifiable(f"package files changed since the episode was played: {', '.join(changed)}")
    agents = bundle.loop.get("agents", {})
    # ONNX agents of a group game are relayed (mug.relayed): their moves are in the relay's log, like a seat's
    relayed = set(bundle.loop.get("relayed") or [])
    onnx = {
        agent: spec
        for agent, spec in agents.items()
        if isinstance(spec, dict) and spec.get("kind") == "onnx" and agent not in relayed
    }
    models = episode_models(episode, onnx) if onnx else {}
    group = None
    if recorded.get("group"):
        group = hooks.group_log(episode)
        if group is None:
            raise NotVerifiable("no relay input log for this group episode")
        actions = []
    else:
        actions = list(episode.steps.order_by("frame").values_list("actions", flat=True).iterator(chunk_size=1000))
    return {
        "group": group,
        "packages": bundle.packages,
        "files": bundle.files,
        "code_hash": bundle.code_hash,
        "loop": bundle.loop,
        "index": episode.index,
        "seed": episode.seed,
        "actions": actions,
        "models": models,
    }


def episode_models(episode: Episode, onnx: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The files of the episode's ONNX models by sha256, the ones the server serves to browsers; NotVerifiable if one
    is gone or its bytes are no longer those the episode was played with."""
    if not (ort_dir() / "ort.wasm.min.mjs").is_file():
        raise NotVerifiable(f"onnxruntime-web is not installed here ({ort_dir()}): npm ci")
    try:
        files = episode_scene(episode).model_files()
    except LookupError as error:
        raise NotVerifiable(str(error)) from error
    models = {}
    for agent, spec in onnx.items():
        path = files.get(spec["sha256"])
        if path is None or not path.is_file():
            missing = f"agent {agent}: the model {spec['model']} (sha256 {spec['sha256']}) is not on this server"
            raise NotVerifiable(missing)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != spec["sha256"]:
            raise NotVerifiable(
                f"agent {agent}: the model file {path} no longer matches the sha256 the episode was played with "
                f"({spec['sha256']}; the file has {digest})"
            )
        models[spec["sha256"]] = str(path)
    return models


def episode_verify_exact(episode: Episode, pool: VerifierPool | None = None) -> Verdict:
    """Replay the episode in Pyodide under Node and compare every stored value bit for bit. Raises NotVerifiable."""
    job = episode_job(episode)
    pool = pool or verifier_pool()
    timeout = float(settings.MUG_VERIFY_EPISODE_TIMEOUT_S)
    try:
        answer = pool.run(job, timeout)
    except TimeoutError as error:
        return Verdict("error", {"error": str(error), "verifier": "pyodide"})
    except EOFError as error:
        return Verdict("error", {"error": f"the verifier's process died twice: {error}", "verifier": "pyodide"})
    if "error" in answer:
        return Verdict("error", {"error": f"{answer['stage']}: {answer['error']}", "verifier": "pyodide"})
    columns = ["frame", "actions", "rewards", "terminated", "truncated", "infos", "observations"]
    rows = episode.steps.order_by("frame").values_list(*columns).iterator(chunk_size=500)
    steps = (dict(zip([*columns[:-1], "obs"], values, strict=True)) for values in rows)
    found, compared = compare_episode(episode.reset_data, steps, answer["result"], episode.n_steps)
    report = {
        "verifier": "pyodide",
        "pyodide": answer.get("pyodide"),
        "browser_pyodide": (episode.runtime or {}).get("pyodide"),
        "bundle": episode.provenance.get("bundle"),
        "frames_compared": compared,
        "difference": found,
    }
    return Verdict("differs" if found else "exact", report)
