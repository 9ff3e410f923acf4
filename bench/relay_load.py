"""Relay load benchmark: N two-player games at 30 inputs/s per client; the anchor, our relay and a bare relay."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `bench.relay` importable

from bench._server import free_port  # noqa: E402
from bench.relay import anchor_venv  # noqa: E402
from bench.relay.loadgen import WINDOW_MARK  # noqa: E402

PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
RELAY = ROOT / "bench" / "relay"
OUT = ROOT / "var" / "bench" / "relay_load.json"
P99_LIMIT_MS = 33.0  # one frame at 30 Hz
LADDER = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 320, 384, 512, 768, 1024]
QUICK_LADDER = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
BISECT_STEPS = 2
GENERATOR_LATE_MS = 5.0  # send lateness p99 above this: the generator, not the server, is short of CPU
TICK = os.sysconf("SC_CLK_TCK")


class Spawned:
    """A server process started here and stopped by its PID; `with` yields its URL, `.pids` lists its process."""

    def __init__(self, command: list[str], url: str, port: int) -> None:
        self.command, self.url, self.port = command, url, port
        self.pids: list[int] = []

    def __enter__(self) -> str:
        # A throwaway cwd: the anchor writes its log and data files into it.
        self.work = tempfile.TemporaryDirectory(prefix="relay-bench-")
        self.log = open(Path(self.work.name) / "server.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(self.command, cwd=self.work.name, stdout=self.log, stderr=subprocess.STDOUT)
        self.pids = [self.proc.pid]
        try:
            self._wait_for_port(60)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self.url

    def _wait_for_port(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            time.sleep(0.1)
        tail = (Path(self.work.name) / "server.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"server {self.command[1]} did not come up on port {self.port}:\n{tail}")

    def __exit__(self, *_exc) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        self.work.cleanup()


def anchor_server(_games: int) -> Spawned:
    port = free_port()
    command = [str(anchor_venv.PYTHON), str(RELAY / "anchor_server.py"), "--port", str(port)]
    return Spawned(command, f"http://127.0.0.1:{port}", port)


def echo_server(_games: int) -> Spawned:
    port = free_port()
    command = [str(PROJECT_PYTHON), str(RELAY / "echo_server.py"), "--port", str(port)]
    return Spawned(command, f"ws://127.0.0.1:{port}", port)


def mug_server(games: int):
    return importlib.import_module("bench.relay.mug_target").serving(games)


def mug_redis2_server(games: int):
    """Two Daphne processes sharing a Redis channel layer (each game's players on one of them)."""
    return importlib.import_module("bench.relay.mug_target").serving(games, processes=2, redis=True)


def mug_redis2_split_server(games: int):
    """Two Daphne processes sharing Redis, each game's two players on different ones (every input through Redis)."""
    return importlib.import_module("bench.relay.mug_target").serving(games, processes=2, redis=True, split=True)


def nginx_server(workers: int):
    """nginx in front of `workers` Daphne workers and Redis, as deploy/ runs them (each game on its host)."""
    return lambda _games: importlib.import_module("bench.relay.mug_target").behind_nginx(workers)


SERVERS = {
    "anchor": anchor_server,
    "echo": echo_server,
    "mug": mug_server,
    "mug-redis2": mug_redis2_server,
    "mug-redis2-split": mug_redis2_split_server,
    **{f"mug-nginx{n}": nginx_server(n) for n in (1, 2, 3)},
}
GENERATOR_PYTHON = {
    "anchor": anchor_venv.PYTHON,
    "echo": PROJECT_PYTHON,
    "mug": PROJECT_PYTHON,
    "mug-redis2": PROJECT_PYTHON,
    "mug-redis2-split": PROJECT_PYTHON,
    **{f"mug-nginx{n}": PROJECT_PYTHON for n in (1, 2, 3)},
}
# the generator's module, where it differs from the name
CLIENTS = {"mug-redis2": "mug", "mug-redis2-split": "mug", **{f"mug-nginx{n}": "mug" for n in (1, 2, 3)}}


def process_tree(pids: list[int]) -> set[int]:
    """The given processes and all their descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
    tree, grew = set(pids), True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return tree


def cpu_ticks(pids: set[int]) -> dict[int, int]:
    ticks = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class WindowSampler:
    """Samples the server's and the machine's CPU when the generator marks its measured window."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.marks = pids, {}

    def on_mark(self, what: str) -> None:
        self.marks[what] = (time.monotonic(), cpu_ticks(process_tree(self.pids)), machine_ticks())

    def result(self) -> dict:
        if {"start", "end"} - self.marks.keys():
            return {}
        (t0, server0, machine0), (t1, server1, machine1) = self.marks["start"], self.marks["end"]
        used = sum(ticks - server0.get(pid, 0) for pid, ticks in server1.items())
        busy, total = machine1[0] - machine0[0], machine1[1] - machine0[1]
        return {
            # No PIDs (a target that doesn't expose them): unknown, not zero.
            "server_cpu_pct": round(used / TICK / (t1 - t0) * 100, 1) if self.pids else None,
            "machine_cpu_pct": round(busy / max(total, 1) * os.cpu_count() * 100, 1),
        }


def generate(target: str, url: str, games: int, pids: list[int], timing: dict) -> dict:
    """Run the load generator as a subprocess against a running server; return its figures plus server CPU."""
    client = CLIENTS.get(target, target)
    command = [str(GENERATOR_PYTHON[target]), "-m", "bench.relay.loadgen", "--target", client, "--url", url]
    command += ["--games", str(games)] + [f"--{key}={value}" for key, value in timing.items()]
    sampler, errors = WindowSampler(pids), []
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def read_stderr() -> None:
        for line in proc.stderr:
            if line.startswith(WINDOW_MARK):
                sampler.on_mark(line.split()[1])
            else:
                errors.append(line.rstrip())

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    # Setup is bounded per pair inside the generator; this bounds the whole run.
    limit = 120 + 2 * games + sum(timing.values())
    try:
        proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        return {"error": f"generator timed out after {limit:.0f} s", "stderr": errors[-20:]}
    reader.join(timeout=5)
    lines = [line for line in proc.stdout.read().splitlines() if line.strip()]
    try:
        record = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": f"generator exited {proc.returncode} without figures", "stderr": errors[-20:]}
    record |= sampler.result()
    if record.get("machine_cpu_pct") is not None and record.get("server_cpu_pct") is not None:
        record["other_cpu_pct"] = round(record["machine_cpu_pct"] - record["server_cpu_pct"] - record["gen_cpu_pct"], 1)
    return record


def verdict(record: dict) -> str:
    if record.get("error"):
        return "FAIL(error)"
    problems = []
    if record["p99_ms"] is None or record["p99_ms"] > P99_LIMIT_MS:
        problems.append("p99")
    if record["lost"]:
        problems.append("loss")
    return f"FAIL({'+'.join(problems)})" if problems else "PASS"


def run_once(target: str, games: int, timing: dict) -> dict:
    """A fresh server, one generator run against it, then the server stopped."""
    base = {"target": target, "games": games, "at": datetime.datetime.now().isoformat(timespec="seconds")}
    try:
        server = SERVERS[target](games)
        with server as served:
            # `served` is the URL, or an object with .url and .pids; the PIDs may also be on the context manager.
            url = getattr(served, "url", served)
            pids = list(getattr(served, "pids", None) or getattr(server, "pids", None) or [])
            record = base | generate(target, str(url), games, pids, timing) | {"target": target}
    except Exception as error:  # a server that won't start fails this N, not the whole sweep
        record = base | {"error": f"{type(error).__name__}: {error}"}
    record["verdict"] = verdict(record)
    print(f"  {target} N={games}: {record['verdict']} {brief(record)}", flush=True)
    return record


def brief(record: dict) -> str:
    if record.get("error"):
        return record["error"].splitlines()[0][:200]
    keys = ("p50_ms", "p99_ms", "max_ms", "lost", "server_cpu_pct", "late_p99_ms", "other_cpu_pct")
    return " ".join(f"{key}={record.get(key)}" for key in keys)


def sweep(target: str, ladder: list[int], timing: dict, runs: list[dict], save) -> dict:
    """Climb the ladder to the first failing N, then bisect; a failing N gets one retry and passes if either does."""

    def passes(games: int) -> bool:
        for attempt in (1, 2):
            record = run_once(target, games, timing) | {"attempt": attempt}
            runs.append(record)
            save()
            if record["verdict"] == "PASS":
                return True
        return False

    last_pass, first_fail = 0, None
    for games in ladder:
        if not passes(games):
            first_fail = games
            break
        last_pass = games
    for _ in range(BISECT_STEPS):
        if first_fail is None or first_fail - last_pass <= 1:
            break
        middle = (last_pass + first_fail) // 2
        if passes(middle):
            last_pass = middle
        else:
            first_fail = middle
    return {"capacity": last_pass, "first_fail": first_fail, "capped": first_fail is None}


COLUMNS = [  # header, record key, format
    ("N", "games", "{}"),
    ("verdict", "verdict", "{}"),
    ("p50", "p50_ms", "{:.1f}"),
    ("p95", "p95_ms", "{:.1f}"),
    ("p99", "p99_ms", "{:.1f}"),
    ("max", "max_ms", "{:.1f}"),
    ("delivered/s", "delivered_per_s", "{:.0f}"),
    ("lost", "lost", "{}"),
    ("server CPU %", "server_cpu_pct", "{:.1f}"),
    ("gen CPU %", "gen_cpu_pct", "{:.1f}"),
    ("other CPU %", "other_cpu_pct", "{:.1f}"),
    ("gen late p99", "late_p99_ms", "{:.1f}"),
]


def table(target: str, runs: list[dict]) -> str:
    rows = [[name for name, _, _ in COLUMNS]]
    for record in sorted((r for r in runs if r["target"] == target), key=lambda r: (r["games"], r["attempt"])):
        cells = [fmt.format(record[key]) if record.get(key) is not None else "-" for _, key, fmt in COLUMNS]
        if record["attempt"] == 2:
            cells[1] += " (retry)"
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [" | ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([f"\n{target} (latency in ms; CPU in % of one core)", lines[0], "-" * len(lines[0]), *lines[1:]])


def ratios(capacity: dict) -> dict:
    pairs = {
        "mug/anchor": ("mug", "anchor"),
        "echo/anchor": ("echo", "anchor"),
        "mug/echo": ("mug", "echo"),
        "mug-redis2/mug": ("mug-redis2", "mug"),
        "mug-redis2/anchor": ("mug-redis2", "anchor"),
        "mug-redis2-split/mug-redis2": ("mug-redis2-split", "mug-redis2"),
    }
    out = {}
    for name, (top, bottom) in pairs.items():
        if top in capacity and capacity.get(bottom, {}).get("capacity"):
            out[name] = round(capacity[top]["capacity"] / capacity[bottom]["capacity"], 2)
    return out


def generator_bound(target: str, games: int | None, runs: list[dict]) -> bool:
    """Whether the generator itself sent late at that N: then the limit may be the generator's, not the server's."""
    late = [r.get("late_p99_ms") or 0 for r in runs if r["target"] == target and r["games"] == games]
    return bool(late) and min(late) > GENERATOR_LATE_MS


def summary(capacity: dict, runs: list[dict]) -> str:
    lines = ["\nCapacity (largest N games with p99 <= 33 ms and no loss):"]
    for target, found in capacity.items():
        edge = "not reached: ladder top" if found["capped"] else f"first failing N {found['first_fail']}"
        if generator_bound(target, found["first_fail"], runs):
            edge += f"; there the generator sent > {GENERATOR_LATE_MS} ms late (p99): a bound of the generator"
        lines.append(f"  {target:7} {found['capacity']:5} games ({edge})")
    for name, value in ratios(capacity).items():
        top, bottom = name.split("/")
        # A target that never failed has only a lower bound, and so has any ratio it is part of.
        bound = {(True, False): "at least ", (False, True): "at most ", (True, True): "unknown: "}.get(
            (capacity[top]["capped"], capacity[bottom]["capped"]), ""
        )
        lines.append(f"  {name:12} {bound}{value}x")
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    targets = "comma-separated: anchor, mug, echo, mug-redis2, mug-redis2-split, mug-nginx1, mug-nginx2, mug-nginx3"
    parser.add_argument("--targets", default="anchor,mug,echo", help=targets)
    parser.add_argument("--quick", action="store_true", help="smoke run: warm-up 2 s, measure 5 s, doubling ladder")
    parser.add_argument("--max-games", type=int, default=None, help="cut the ladder at this N")
    parser.add_argument("--games", default="", help="no sweep: run just these N (comma-separated), once each")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(targets) - SERVERS.keys()
    if unknown:
        sys.exit(f"unknown targets: {', '.join(sorted(unknown))}")
    if "mug" in targets and not (RELAY / "mug_target.py").exists():
        print("mug: SKIPPED: bench/relay/mug_target.py does not exist yet (it provides make_pair and serving)")
        targets.remove("mug")
    if "anchor" in targets:
        anchor_venv.ensure()
    timing = {"warmup": 2, "measure": 5, "drain": 2} if args.quick else {"warmup": 5, "measure": 15, "drain": 2}
    ladder = [n for n in (QUICK_LADDER if args.quick else LADDER) if args.max_games is None or n <= args.max_games]
    runs: list[dict] = []
    capacity: dict[str, dict] = {}
    report = {"started": datetime.datetime.now().isoformat(timespec="seconds"), "args": vars(args), "timing": timing}
    report |= {"host": {"cpus": os.cpu_count(), "python": platform.python_version(), "p99_limit_ms": P99_LIMIT_MS}}

    def save() -> None:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        data = report | {"capacity": capacity, "ratios": ratios(capacity), "runs": runs}
        OUT.write_text(json.dumps(data, indent=1))

    for target in targets:
        print(f"{target}: N = {args.games or ladder}", flush=True)
        if args.games:  # fixed N, e.g. repeats at the edge: figures only, no capacity
            for games in (int(n) for n in args.games.split(",")):
                runs.append(run_once(target, games, timing) | {"attempt": 1})
                save()
        else:
            capacity[target] = sweep(target, ladder, timing, runs, save)
            save()
    for target in targets:
        print(table(target, runs))
    if capacity:
        print(summary(capacity, runs))
    print(f"\nraw runs: {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
