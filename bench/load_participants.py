"""Load: N participants at once through a whole study over loopback HTTP, then a check that every record is whole."""

# Each participant (testkit/participants.py) is a browser-less client speaking the real protocol to one Daphne
# process. Reports each stage's latency p50/p99 and every error, then checks the database: every participant
# completed, every episode complete with each of its steps once, one code each.
# Usage: python bench/load_participants.py [--participants 200] [--arrival-s 5] [--fps 30]

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit.participants import EXPERIMENT, SLUG, STAGES, check_records, percentile, run_load, summarize  # noqa: E402


def measure(env: dict, args, label: str, extra_env: dict[str, str], tag: str) -> dict:
    """One load run on fresh Daphne processes configured by `extra_env`; the report, printed."""
    from bench._server import daphnes
    from bench.long_run import cpu_seconds

    with daphnes(env, args.processes, extra_env) as servers:
        cpu = lambda: sum(cpu_seconds(daphne.process.pid) for daphne in servers)  # noqa: E731
        began, server_cpu, client_cpu = time.monotonic(), cpu(), time.process_time()
        outcomes = run_load([daphne.url for daphne in servers], args.participants, args.arrival_s, args.fps, tag)
        wall = time.monotonic() - began
        server_cpu, client_cpu = cpu() - server_cpu, time.process_time() - client_cpu
    problems = check_records(outcomes)
    delay = verification_delay(tag=tag)
    database = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    report = {
        "label": label,
        **summarize(outcomes),
        "wall_s": round(wall, 1),
        "arrival_s": args.arrival_s,
        "fps": args.fps,
        "processes": args.processes,
        "database": database,
        "settings": extra_env,
        "daphne_cpu_s": round(server_cpu, 1),
        "client_cpu_s": round(client_cpu, 1),
        "record_problems": len(problems),
        "problem_samples": problems[:10],
        "verification_delay": delay,
    }
    print(
        f"\n{label} ({database}, {args.processes} Daphne process(es), {extra_env or 'defaults'}): "
        f"{report['participants']} participants in {wall:.1f} s, {report['requests']} requests, {report['rows']} "
        f"rows stored; CPU: Daphne {server_cpu:.1f} s, these clients {client_cpu:.1f} s"
    )
    print(f"{'stage':<14}{'n':>7}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for stage, figures in report["stages"].items():
        print(f"{stage:<14}{figures['n']:>7}{figures['p50_ms']:>10}{figures['p99_ms']:>10}{figures['max_ms']:>10}")
    print(
        f"verification delay (final chunk stored → verdict stored), {delay['n']} episodes: p50 {delay['p50_ms']} ms, "
        f"p95 {delay['p95_ms']} ms, max {delay['max_ms']} ms; exactness {delay['exactness']}"
    )
    print(f"errors: {report['errors']}  incomplete records: {len(problems)}")
    for line in report["error_samples"] + report["problem_samples"]:
        print("  ", line)
    return report


def verification_delay(slug: str = SLUG, tag: str = "") -> dict:
    """How long single-player episodes waited for their check: from the final chunk stored to the verdict stored."""
    from django.db.models import Count

    from experiments.gamedata.models import Episode

    # this run's participants only (runs side by side share the database; their ids start with the run's tag)
    mine = {"participant__experiment__slug": slug, "participant__external_id__startswith": tag}
    times = Episode.objects.filter(**mine, verified_at__isnull=False)
    pairs = times.values_list("verify_queued_at", "verified_at")
    ms = [(done - queued).total_seconds() * 1000 for queued, done in pairs]
    figures = {f"p{q}_ms": round(percentile(ms, q), 1) for q in (50, 95, 99)}
    # which verifier gave the verdicts: "exact" in Pyodide under Node, "not verifiable" where the native replay did
    kinds = dict(times.values_list("exactness").annotate(n=Count("pk")).values_list("exactness", "n"))
    return {"n": len(ms), **figures, "max_ms": round(max(ms), 1) if ms else None, "exactness": kinds}


def print_ratios(old: dict, new: dict) -> None:
    per = lambda r: r["daphne_cpu_s"] / r["participants"] * 1000  # noqa: E731
    print(
        f"\nside by side: Daphne CPU per participant {per(old):.0f} ms → {per(new):.0f} ms "
        f"({per(new) / per(old):.2f}×); wall {old['wall_s']} s → {new['wall_s']} s"
    )
    for stage in STAGES:
        a, b = old["stages"].get(stage), new["stages"].get(stage)
        if a and b:
            p50, p99 = f"{a['p50_ms']:>8} → {b['p50_ms']:>8}", f"{a['p99_ms']:>8} → {b['p99_ms']:>8}"
            print(f"  {stage:<14} p50 {p50} ms   p99 {p99} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--arrival-s", type=float, default=5.0, help="participants arrive evenly over this time")
    parser.add_argument("--fps", type=float, default=30.0, help="upload pace of the games (0: as fast as possible)")
    parser.add_argument("--processes", type=int, default=1, help="Daphne processes (several share a Redis)")
    parser.add_argument("--http-concurrency", default="", help="MUG_HTTP_CONCURRENCY of each process")
    parser.add_argument("--pool", default="", help="DB_POOL_SIZE of each process (PostgreSQL)")
    parser.add_argument("--verify-workers", default="", help="MUG_VERIFY_WORKERS of each process")
    compare = "run Django's own ASGI handler (MUG_HTTP_CONCURRENCY=0), then ours, side by side"
    parser.add_argument("--compare-handlers", action="store_true", help=compare)
    verifiers = "verify in this server's CPython (MUG_VERIFIER=native), then in Pyodide under Node, side by side"
    parser.add_argument("--compare-verifiers", action="store_true", help=verifiers)
    parser.add_argument("--output", default=str(ROOT / "var" / "bench" / "load_participants.json"))
    args = parser.parse_args()

    from bench._server import django_on_fresh_database

    chosen = {
        "MUG_HTTP_CONCURRENCY": args.http_concurrency,
        "DB_POOL_SIZE": args.pool,
        "MUG_VERIFY_WORKERS": args.verify_workers,
    }
    chosen = {name: value for name, value in chosen.items() if value}
    runs = [("MUG", chosen)]
    if args.compare_handlers:
        runs = [("Django's ASGI handler", {**chosen, "MUG_HTTP_CONCURRENCY": "0"}), ("thread-pool bridge", chosen)]
    if args.compare_verifiers:
        runs = [("native verifier", {**chosen, "MUG_VERIFIER": "native"}), ("Pyodide verifier", chosen)]
    with django_on_fresh_database(EXPERIMENT, redis=args.processes > 1) as env:
        reports = [measure(env, args, label, extra, tag=f"r{n}p") for n, (label, extra) in enumerate(runs)]
    if len(reports) == 2:
        print_ratios(*reports)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(reports, indent=2))
    sys.exit(1 if any(r["errors"] or r["record_problems"] for r in reports) else 0)


if __name__ == "__main__":
    main()
