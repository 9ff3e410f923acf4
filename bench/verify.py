"""Verification throughput: single-player browser episodes (CartPole, 500 steps, observations recorded) verified per
second by one process (one core), and by N worker processes; side by side with playing the same episode in CPython.

Run: .venv/bin/python bench/verify.py [--episodes 40] [--workers 2]. Uses a throwaway SQLite file (or DATABASE_URL).
Writes var/bench/verify.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SLUG = "cartpole-long"
STEPS = 500


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="mug-verify-")
    os.environ.setdefault("SQLITE_PATH", f"{work}/db.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mugsite.settings")
    os.environ["MUG_EXPERIMENTS"] = f"testkit.fixture_experiments:{SLUG.replace('-', '_')}"
    os.environ["DEBUG"] = "1"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["MUG_ENTRY_LIMIT"] = "0"  # every synthetic participant enters from one address
    os.environ["MUG_STRICT_RECRUITMENT_IDS"] = "0"  # with made-up recruitment ids
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench.long_run import cpu_seconds
    from experiments.gamedata.models import PENDING, VERIFIED, Episode
    from experiments.gamedata.verification import verification_drain
    from experiments.gamedata.verification_workers import workers_spawn

    play_s = upload_batch(args.episodes, "a")
    began, cpu = time.perf_counter(), time.process_time()
    checked = verification_drain(worker="bench")
    one, one_cpu = time.perf_counter() - began, time.process_time() - cpu
    assert checked == args.episodes and Episode.objects.filter(verification=VERIFIED).count() == args.episodes

    upload_batch(args.episodes, "b")
    held = list(Episode.objects.filter(verification=PENDING).values_list("pk", flat=True))
    Episode.objects.filter(pk__in=held).update(verification="held")  # out of the queue while the workers start
    processes = workers_spawn(args.workers)
    upload_batch(1, "warm")
    while Episode.objects.filter(verification=PENDING).exists():  # the workers are up once they checked this one
        time.sleep(0.01)
    began, cpu = time.perf_counter(), sum(cpu_seconds(process.pid) for process in processes)
    Episode.objects.filter(pk__in=held).update(verification=PENDING)
    while Episode.objects.filter(verification=PENDING).exists():
        time.sleep(0.05)
    pool = time.perf_counter() - began
    pool_cpu = sum(cpu_seconds(process.pid) for process in processes) - cpu  # idle polling included
    for process in processes:
        process.terminate()
    assert Episode.objects.filter(verification=VERIFIED).count() == 2 * args.episodes + 1

    results = {
        "episodes": args.episodes,
        "steps_per_episode": STEPS,
        "play_in_cpython_s_per_episode": round(play_s / args.episodes, 4),
        "verify_episodes_per_cpu_s": round(args.episodes / one_cpu, 1),
        "verify_pool_episodes_per_cpu_s": round(args.episodes / pool_cpu, 1),
        "verify_one_process_episodes_per_s": round(args.episodes / one, 1),
        "verify_one_process_s_per_episode": round(one / args.episodes, 4),
        "workers": args.workers,
        "verify_pool_episodes_per_s": round(args.episodes / pool, 1),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg()[0],
    }
    print(f"CartPole, {STEPS} steps with observations, {args.episodes} episodes:")
    print(f"  playing one in CPython (what the browser does, no drawing): {results['play_in_cpython_s_per_episode']} s")
    print(
        f"  per core (episodes per CPU second of the verifier): {results['verify_episodes_per_cpu_s']} in one "
        f"process, {results['verify_pool_episodes_per_cpu_s']} in the worker pool (its idle polling included)"
    )
    print(
        f"  verifying, one process (wall): {results['verify_one_process_episodes_per_s']} episodes/s "
        f"({results['verify_one_process_s_per_episode']} s each; "
        f"{one / play_s:.2f}x the time it takes to play them)"
    )
    scale = results["verify_pool_episodes_per_s"] / results["verify_one_process_episodes_per_s"]
    print(
        f"  verifying, {args.workers} worker processes: {results['verify_pool_episodes_per_s']} episodes/s "
        f"({scale:.2f}x one process)"
    )
    out = Path(__file__).resolve().parent.parent / "var" / "bench" / "verify.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"  (load average of the machine at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"wrote {out}")


def upload_batch(count: int, tag: str) -> float:
    """`count` participants each play one 500-step episode (a controller keeps the pole up) and upload it through
    the real endpoints; returns the seconds spent playing."""
    from django.test import Client

    from testkit.flowhelpers import enter
    from testkit.gameclient import begin_episode, post_chunk, runtime_config

    played = 0.0
    for n in range(count):
        client = Client()
        enter(client, SLUG, PROLIFIC_PID=f"{tag}{n}")  # the landing page, then Start
        config = runtime_config(client, SLUG)
        begun = begin_episode(client, SLUG, "play")
        began = time.perf_counter()
        chunks = balanced_chunks(config, begun["episode"], begun["seed"])
        played += time.perf_counter() - began
        for chunk in chunks:
            response = post_chunk(client, SLUG, chunk)
            assert response.status_code == 200, response.content
    return played


def balanced_chunks(config: dict, episode: int, seed: int) -> list[dict]:
    """One episode as the page would upload it, the cart pushed towards where the pole leans (it lasts 500 steps)."""
    from mug.adapters import SINGLE_AGENT
    from mug.loop import GameLoop, LoopConfig

    loop = GameLoop(LoopConfig.from_dict({**config["loop"], "render_mode": None}))
    started = loop.start_episode(episode, seed)
    rows = []
    while not loop.over:
        _, _, angle, spin = loop.observations[SINGLE_AGENT]
        row = loop.step_frame(loop.actions_for(["ArrowRight" if angle + 0.5 * spin > 0 else "ArrowLeft"], []))
        rows.append({**row, "t": loop.frame * 33.3, "late_ms": 0.0, "focused": True})
    loop.adapter.close()
    assert len(rows) == STEPS, f"the controller dropped the pole at frame {len(rows)}"
    chunks = []
    for number, first in enumerate(range(0, len(rows), 60)):
        chunk = {
            "scene_key": config["scene_key"],
            "episode": episode,
            "number": number,
            "first_frame": first,
            "final": first + 60 >= len(rows),
            "rows": rows[first : first + 60],
        }
        if number == 0:
            chunk["meta"] = {"runtime": {"python": "bench"}, "reset": started["reset"]}
        chunks.append(chunk)
    return chunks


if __name__ == "__main__":
    main()
