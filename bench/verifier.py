"""Exact verifier throughput: single-player browser episodes replayed in Pyodide under Node.js (one warm worker)
and compared bit for bit, per second, beside the native CPython replay of the same episodes (ratio); the worker's
memory (RSS) before, after each round and after. CartPole episodes of 500 steps (observations recorded, played by
bench/verify.py's balancing controller) and Tag episodes (2 agents, a random AI runner, 130 steps).

Run: .venv/bin/python bench/verifier.py [--episodes 20]. Needs Node.js and the self-hosted Pyodide (bin/setup).
Uses a throwaway SQLite file. Writes var/bench/verifier.json. No assertion on time: the figures are reported.
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

STUDIES = {"cartpole-long": "testkit.fixture_experiments:cartpole_long", "game": "testkit.fixture_experiments:game"}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=20, help="episodes per study")
    parser.add_argument("--rounds", type=int, default=1, help="verify each episode this many times (memory)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="mug-verifier-")
    os.environ.update(
        SQLITE_PATH=f"{work}/db.sqlite3",
        DJANGO_SETTINGS_MODULE="mugsite.settings",
        MUG_EXPERIMENTS=",".join(STUDIES.values()),
        MUG_PYODIDE_URL="/static/pyodide/",
        MUG_VERIFIER="native",  # the episodes are played and stored natively; the bench verifies them itself
        DEBUG="1",
        ALLOWED_HOSTS="testserver",
        MUG_ENTRY_LIMIT="0",
        MUG_STRICT_RECRUITMENT_IDS="0",
        MUG_PREFLIGHT="off",
    )
    import django

    from bench.verify import balanced_chunks

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from experiments.definition import pyodide_preflight
    from experiments.gamedata.exact_verifier import VerifierPool, episode_verify_exact
    from experiments.gamedata.models import Episode
    from experiments.gamedata.replay import episode_replay
    from testkit.flowhelpers import enter
    from testkit.gameclient import begin_episode, play_scene, post_chunk, runtime_config

    for number in range(args.episodes):
        client = Client()
        enter(client, "cartpole-long", PROLIFIC_PID=f"cartpole-{number}")
        config = runtime_config(client, "cartpole-long")
        begun = begin_episode(client, "cartpole-long", config["scene_key"])
        for chunk in balanced_chunks(config, begun["episode"], begun["seed"]):
            assert post_chunk(client, "cartpole-long", chunk).status_code == 200
        client = Client()
        enter(client, "game", PROLIFIC_PID=f"game-{number}")
        play_scene(client, "game", keys=lambda frame: [["ArrowUp", "ArrowLeft", "ArrowDown"][frame % 3]])
    settings.MUG_VERIFIER = "pyodide"
    pool = VerifierPool(1, *pyodide_preflight.runtime())
    results: dict = {"episodes_per_study": args.episodes, "rounds": args.rounds}
    for slug in STUDIES:
        episodes = list(Episode.objects.filter(participant__experiment__slug=slug).select_related("participant"))
        began = time.perf_counter()
        first = episode_verify_exact(episodes[0], pool)  # boots Pyodide and installs the packages
        boot_s = time.perf_counter() - began
        rss_before = rss_kib(pool.workers[0].process.pid)
        verdicts, rss_rounds = [], []
        began = time.perf_counter()
        for _ in range(args.rounds):
            verdicts += [episode_verify_exact(episode, pool).status for episode in episodes]
            rss_rounds.append(round(rss_kib(pool.workers[0].process.pid) / 1024, 1))
        exact_s = time.perf_counter() - began
        rss_after = rss_kib(pool.workers[0].process.pid)
        began = time.perf_counter()
        native = [episode_replay(episode=episode, whole=True, store=False)["status"] for episode in episodes]
        native_s = time.perf_counter() - began
        steps = sum(episode.n_steps for episode in episodes) / len(episodes)
        results[slug] = {
            "steps_per_episode": steps,
            "first_episode_with_boot_s": round(boot_s, 2),
            "first_verdict": first.status,
            "verdicts": {status: verdicts.count(status) for status in set(verdicts)},
            "exact_episodes_per_s_per_worker": round(len(verdicts) / exact_s, 1),
            "native_episodes_per_s": round(len(native) / native_s, 1),
            "native_over_exact_ratio": round((len(native) / native_s) / (len(verdicts) / exact_s), 2),
            "native_verdicts": {status: native.count(status) for status in set(native)},
            "worker_rss_mib_before_after": [round(rss_before / 1024, 1), round(rss_after / 1024, 1)],
            "worker_rss_mib_after_each_round": rss_rounds,
        }
        print(slug, json.dumps(results[slug]), flush=True)
    results["pool"] = pool.stats()
    pool.close()
    out = Path(__file__).resolve().parent.parent / "var" / "bench" / "verifier.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
