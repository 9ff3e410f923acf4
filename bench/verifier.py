"""Exact verifier throughput: single-player browser episodes replayed in Pyodide under Node.js (one warm worker)
and compared bit for bit, per second, beside the native CPython replay of the same episodes (ratio); the worker's
memory (RSS) before, after each round and after. CartPole episodes of 500 steps (observations recorded, played by
bench/verify.py's balancing controller), Tag episodes (2 agents, a random AI runner, 130 steps) and two-player group
episodes of the demo's Gather for two (examples/pair), 300 frames each, replayed from the relay's input log (the log
and both seats' rows come from netcode/simulator.py's peers over lossy links, stored as the relay and uploads would).

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
GROUP = {"pair": "examples.pair.experiment:experiment"}
GROUP_FRAMES = 300


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
        MUG_EXPERIMENTS=",".join([*STUDIES.values(), *GROUP.values()]),
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
        store_group_episode(number)
    settings.MUG_VERIFIER = "pyodide"
    pool = VerifierPool(1, *pyodide_preflight.runtime())
    results: dict = {"episodes_per_study": args.episodes, "rounds": args.rounds}
    for slug in [*STUDIES, *GROUP]:
        episodes = list(Episode.objects.filter(participant__experiment__slug=slug).select_related("participant"))
        if slug in GROUP:  # both seats hold the same rows: one seat's episode per game
            episodes = [episode for episode in episodes if episode.participant.external_id.endswith("-0")]
        began = time.perf_counter()
        first = episode_verify_exact(episodes[0], pool)  # boots Pyodide and installs the packages
        if first.status != "exact":
            print(slug, "first episode:", json.dumps(first.report)[:1500], flush=True)
        boot_s = time.perf_counter() - began
        rss_before = rss_kib(pool.workers[0].process.pid)
        verdicts, rss_rounds = [], []
        began = time.perf_counter()
        differing = []
        for _ in range(args.rounds):
            round_verdicts = [episode_verify_exact(episode, pool).status for episode in episodes]
            differing.append([episode.pk for episode, v in zip(episodes, round_verdicts, strict=True) if v != "exact"])
            verdicts += round_verdicts
            rss_rounds.append(round(rss_kib(pool.workers[0].process.pid) / 1024, 1))
        exact_s = time.perf_counter() - began
        rss_after = rss_kib(pool.workers[0].process.pid)
        began = time.perf_counter()
        native = [native_verdict(episode) for episode in episodes]
        native_s = time.perf_counter() - began
        steps = sum(episode.n_steps for episode in episodes) / len(episodes)
        results[slug] = {
            "steps_per_episode": steps,
            "first_episode_with_boot_s": round(boot_s, 2),
            "first_verdict": first.status,
            "verdicts": {status: verdicts.count(status) for status in set(verdicts)},
            "not_exact_episodes_per_round": differing,  # the same ones each round: a property of the episode
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


def group_scene():
    """examples/pair's game, its episodes cut to GROUP_FRAMES frames (the episodes record this configuration)."""
    import copy

    from experiments.definition import registry

    scene = copy.copy(registry.get_experiment("pair").scene("gather"))  # keeps what its load-time checks found
    scene.max_steps = GROUP_FRAMES
    return scene


def store_group_episode(number: int) -> None:
    """One two-player game of examples/pair, GROUP_FRAMES frames: two participants through the flow, the game's seats
    and its relay log, and each seat's episode with the confirmed rows its peer produced (netcode/simulator.py)."""
    from django.test import Client

    from experiments.flow.models import Experiment, Participant
    from experiments.gamedata.episodes import episode_open
    from experiments.gamedata.models import COMPLETE, VERIFIED, Step
    from netcode.models import FINISHED, Game, GameInput, GameSeat
    from netcode.simulator import Conditions, simulate
    from testkit.flowhelpers import enter

    scene = group_scene()
    config = {**scene.loop_config(), "render_mode": None}
    seed, delay = 1000 + number, scene.netcode.input_delay
    result = simulate(config, seed, Conditions(delay=3, jitter=2, loss=0.02), input_delay=delay)
    assert result.agreed
    participants = []
    for seat in range(2):
        enter(Client(), "pair", PROLIFIC_PID=f"pair-{number}-{seat}")
        participants.append(Participant.objects.get(external_id=f"pair-{number}-{seat}"))
    game = Game.objects.create(
        experiment=Experiment.objects.get(slug="pair"),
        scene_key="gather",
        seeds=[seed],
        netcode={"input_delay": delay, "relayed": []},
        status=FINISHED,
    )
    agents = list(result.relay.players)
    GameSeat.objects.bulk_create(
        GameSeat(game=game, participant=participant, agent=agent)
        for participant, agent in zip(participants, agents, strict=True)
    )
    GameInput.objects.bulk_create(
        GameInput(game=game, episode=0, frame=frame, agent=agent, action=action)
        for agent, known in result.relay.inputs.items()
        for frame, action in known.items()
    )
    for participant, agent in zip(participants, agents, strict=True):
        episode = episode_open(participant_id=participant.pk, scene=scene, scene_key="gather", index=0, seed=seed)
        rows = result.rows[agent]
        Step.objects.bulk_create(
            Step(
                episode=episode,
                frame=row["frame"],
                client_time=0.0,
                actions=row["actions"],
                rewards=row["rewards"],
                terminated=row["terminated"],
                truncated=row["truncated"],
                infos=row["infos"],
                observations=row.get("obs"),
            )
            for row in rows
        )
        episode.status, episode.verification, episode.n_steps = COMPLETE, VERIFIED, len(rows)
        episode.save(update_fields=["status", "verification", "n_steps"])


def native_verdict(episode) -> str:
    """The native CPython replay's verdict: single-player from seed and actions, group games from the relay's log."""
    from experiments.gamedata.replay import episode_replay
    from netcode.models import GameSeat
    from netcode.replay import game_replay, stored_rows

    if not episode.provenance.get("group"):
        return episode_replay(episode=episode, whole=True, store=False)["status"]
    game = GameSeat.objects.get(participant=episode.participant).game
    replay = game_replay(game=game, episode=episode.index, scene=group_scene())
    return "match" if replay == stored_rows(episode) else "mismatch"


if __name__ == "__main__":
    main()
