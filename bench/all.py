"""Every benchmark in one command, one after another (never side by side: they share the two cores); each
script's printed figures are kept in var/bench/<name>.txt beside the JSON the scripts write themselves.

Run: .venv/bin/python bench/all.py [--quick] [--only relay_load,ingest]   (or bin/bench). --quick: smaller runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
# name: (full arguments, --quick arguments, timeout in minutes)
BENCHES = {
    "rollback": (["--frames", "900"], ["--frames", "300", "--repeat", "300"], 20),
    "ingest": (["--chunks", "200"], ["--chunks", "50"], 20),
    "verify": (["--episodes", "200"], ["--episodes", "20"], 20),
    "relay_load": ([], ["--quick"], 60),
    "matchmaking": (["--participants", "500"], ["--participants", "100", "--seconds", "5"], 30),
    "servergame": ([], ["--max", "16", "--seconds", "4"], 30),
    "browser_runtime": (["--runs", "3"], ["--runs", "1"], 30),
    "ai_inference": (["--runs", "3"], ["--runs", "1"], 30),
    "rollback_browser": ([], [], 30),
    "load_participants": (["--participants", "200", "--compare-handlers"], ["--participants", "50"], 30),
    "long_run": (["--minutes", "30"], ["--minutes", "2"], 40),
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help="comma-separated names: " + ", ".join(BENCHES))
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHES)
    unknown = set(names) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    OUT.mkdir(parents=True, exist_ok=True)
    outcomes = {name: run(name, *BENCHES[name], quick=args.quick) for name in names}
    print("\n== summary")
    for name, (code, seconds) in outcomes.items():
        print(f"{name:18} {'ok' if code == 0 else f'FAILED ({code})':12} {seconds:7.0f} s  var/bench/{name}.txt")
    return 0 if all(code == 0 for code, _ in outcomes.values()) else 1


def run(name: str, full: list[str], quick_args: list[str], minutes: int, quick: bool) -> tuple:
    arguments = quick_args if quick else full
    print(f"\n== {name} {' '.join(arguments)}", flush=True)
    began = time.monotonic()
    with open(OUT / f"{name}.txt", "w") as log:
        try:
            command = [sys.executable, f"bench/{name}.py", *arguments]
            process = subprocess.run(
                command, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=minutes * 60
            )
            code, output = process.returncode, process.stdout
        except subprocess.TimeoutExpired as expired:
            code, output = "timeout", (expired.stdout or b"").decode(errors="replace")
        log.write(output)
    print(output[-4000:], end="")
    return code, time.monotonic() - began


if __name__ == "__main__":
    sys.exit(main())
