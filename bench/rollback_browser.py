"""Rollback in real browsers: two headless Chromium participants play Gather (20 s at 30 fps) through the relay,
each behind a delay proxy, at 0, 100 and 250 ms round trip; the pages report every rollback (depth and time in
Pyodide) and each tick's Python time. Beside: the same game's figures from the native simulator (bench/rollback.py).

Run: .venv/bin/python bench/rollback_browser.py. Needs bin/setup --dev (Chromium, var/pyodide). Writes
var/bench/rollback_browser.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._server import daphne_servers  # noqa: E402
from bench.browser_runtime import FLAGS, start_in_page  # noqa: E402
from bench.netgames import EXPERIMENTS  # noqa: E402
from testkit.netproxy import RANDOM_KEYS, DelayProxy  # noqa: E402

FRAME_MS = 1000 / 30
CONDITIONS = [(0, 0), (100, 20), (250, 40)]  # RTT and jitter, ms


def play_pair(playwright, base: str, slug: str, rtt_ms: float, jitter_ms: float, run: int) -> list[dict]:
    port = int(base.rsplit(":", 1)[1])
    with ExitStack() as stack:
        pages = []
        for index in range(2):
            proxy = DelayProxy(port, delay_ms=rtt_ms / 2, jitter_ms=jitter_ms, seed=index)
            stack.callback(proxy.stop)
            profile = stack.enter_context(tempfile.TemporaryDirectory())
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path="/usr/bin/chromium", headless=True, args=FLAGS
            )
            stack.callback(context.close)
            page = context.new_page()
            start_in_page(page, f"{proxy.url}/x/{slug}/?PROLIFIC_PID=bench{run}-{index}")
            page.evaluate(RANDOM_KEYS, 11 + index)
            pages.append(page)
        for page in pages:
            page.wait_for_selector(".scene-end", timeout=180_000)
        return [json.loads(page.evaluate("sessionStorage.getItem('mugNetStats')")) for page in pages]


def summary(views: list[dict]) -> dict:
    replays = [r for view in views for r in view["replays"]]
    depths, costs = [d for d, _ in replays], [ms for _, ms in replays]
    ticks = [t for view in views for t in view["tickMs"]]
    frames = sum(view["rows"] for view in views) / len(views)
    stats = [view["stats"] for view in views]
    pct = lambda values, q: float(np.percentile(values, q)) if values else 0.0  # noqa: E731
    return {
        "frames": frames,
        "rollbacks_per_min": len(replays) / len(views) / (frames / 30 / 60),
        "depth_p50": pct(depths, 50),
        "depth_p95": pct(depths, 95),
        "depth_max": max(depths or [0]),
        "replay_ms_p50": pct(costs, 50),
        "replay_ms_p95": pct(costs, 95),
        "replay_ms_max": max(costs or [0]),
        "replay_p95_of_frame": pct(costs, 95) / FRAME_MS,
        "tick_ms_p50": pct(ticks, 50),
        "tick_ms_p95": pct(ticks, 95),
        "mispredicted_pct": 100 * sum(s["mispredicted"] for s in stats) / (frames * len(views)),
        "stall_pct": 100 * sum(s["stalls"] for s in stats) / max(len(ticks), 1),
        "window": [s["window"] for s in stats],
        "frame_ms": [s["frame_ms"] for s in stats],
    }


def main() -> None:
    from playwright.sync_api import sync_playwright

    results = []
    with daphne_servers({"MUG_EXPERIMENTS": EXPERIMENTS}) as (base,), sync_playwright() as playwright:
        run = 0
        for slug, label in (("bench-gather", "gather"), ("bench-gather-slow", "gather +0.5 ms")):
            for rtt_ms, jitter_ms in CONDITIONS:
                run += 1
                views = play_pair(playwright, base, slug, rtt_ms, jitter_ms, run)
                results.append({"env": label, "rtt_ms": rtt_ms, "jitter_ms": jitter_ms, **summary(views)})
    print("Rollback in the browser (Pyodide, two Chromium participants, 20 s at 30 fps, input delay 2, window 8)")
    print(
        f"{'env':16} {'RTT':>9} {'rb/min':>7} {'depth p50/p95/max':>18} {'replay p50/p95/max ms':>22} "
        f"{'p95 of frame':>12} {'tick p50/p95 ms':>16} {'stall%':>7} {'window':>8}"
    )
    for r in results:
        depth = f"{r['depth_p50']:.0f}/{r['depth_p95']:.0f}/{r['depth_max']}"
        replay = f"{r['replay_ms_p50']:.2f}/{r['replay_ms_p95']:.2f}/{r['replay_ms_max']:.2f}"
        ticks = f"{r['tick_ms_p50']:.2f}/{r['tick_ms_p95']:.2f}"
        print(
            f"{r['env']:16} {r['rtt_ms']:>4}±{r['jitter_ms']:<3} {r['rollbacks_per_min']:7.0f} {depth:>18} "
            f"{replay:>22} {r['replay_p95_of_frame']:12.1%} {ticks:>16} {r['stall_pct']:7.1f} "
            f"{str(r['window']):>8}"
        )
    out = ROOT / "var" / "bench" / "rollback_browser.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
