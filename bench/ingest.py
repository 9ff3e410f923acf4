"""Ingest and export throughput: step rows per second through the upload endpoint vs a bare bulk insert of the
same rows; then the step exports (CSV, Parquet, the whole-experiment JSON document) vs a bare read of the rows.

Run: .venv/bin/python bench/ingest.py [--chunks 200]. Uses a throwaway SQLite file (or DATABASE_URL if set).
Writes var/bench/ingest.json.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=200)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="mug-ingest-")
    os.environ.setdefault("SQLITE_PATH", f"{work}/db.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mugsite.settings")
    os.environ["MUG_EXPERIMENTS"] = "testkit.fixture_experiments:ingest"
    os.environ["DEBUG"] = "1"
    os.environ["ALLOWED_HOSTS"] = "testserver"  # the in-process test client
    os.environ["MUG_ENTRY_LIMIT"] = "0"  # every synthetic participant enters from one address
    os.environ["MUG_STRICT_RECRUITMENT_IDS"] = "0"  # with made-up recruitment ids
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from experiments.gamedata.models import Episode, Step
    from testkit.flowhelpers import enter
    from testkit.gameclient import begin_episode, episode_chunks, post_chunk, runtime_config

    client = Client()
    enter(client, "ingest")  # a plain link: the landing page, then Start
    config = runtime_config(client, "ingest")
    template = episode_chunks(config, 0, 11)[0]  # 60 real rows of the Tag env
    rows_per_chunk = len(template["rows"])
    begun = begin_episode(client, "ingest", "play")
    endpoint = _timed(lambda i: _post(client, post_chunk, template, begun["episode"], i), args.chunks)
    episode = Episode.objects.get(index=begun["episode"])
    bare = _timed(lambda i: _bulk(Step, episode, template["rows"], i), args.chunks)
    total = args.chunks * rows_per_chunk
    print(
        f"{args.chunks} chunks x {rows_per_chunk} rows, {os.environ.get('DATABASE_URL') and 'PostgreSQL' or 'SQLite'}"
    )
    print(f"upload endpoint (parse, validate, store, ack): {total / endpoint:,.0f} rows/s")
    print(f"bare bulk_create of the same rows: {total / bare:,.0f} rows/s; endpoint/bare ratio {bare / endpoint:.2f}")
    results = {"rows": total, "ingest_rows_per_s": total / endpoint, "bulk_rows_per_s": total / bare}
    results |= _exports(Step.objects.count())
    out = Path(__file__).resolve().parent.parent / "var" / "bench" / "ingest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out}")


def _exports(steps: int) -> dict:
    """Steps per second through each step export (every byte produced; a row per agent) vs reading them bare."""
    from experiments.control import exports, step_exports
    from experiments.control.document_export import experiment_document
    from experiments.flow.models import Experiment, Participant
    from experiments.gamedata.models import Step

    participants = Participant.objects.filter(experiment__slug="ingest")
    bare = _once(lambda: sum(1 for _ in Step.objects.values_list("actions", "observations").iterator(2000)))
    csv_s = _once(lambda: sum(len(line) for line in exports.csv_lines(*step_exports.step_rows(participants))))
    parquet_s = _once(lambda: sum(len(piece) for piece in step_exports.step_parquet(participants)))
    document_s = _once(lambda: sum(len(piece) for piece in experiment_document(Experiment.objects.get(slug="ingest"))))
    figures = {"bare_read": bare, "csv": csv_s, "parquet": parquet_s, "json_document": document_s}
    for name, seconds in figures.items():
        ratio = "" if name == "bare_read" else f" ({seconds / bare:.1f}x the bare read's time)"
        print(f"export {name}: {steps / seconds:,.0f} steps/s{ratio}")
    return {f"export_{name}_steps_per_s": steps / seconds for name, seconds in figures.items()}


def _once(action) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def _post(client, post_chunk, template, episode, number):
    rows = [{**row, "frame": number * len(template["rows"]) + i} for i, row in enumerate(template["rows"])]
    chunk = {**template, "episode": episode, "number": number, "first_frame": rows[0]["frame"], "rows": rows}
    response = post_chunk(client, "ingest", json.dumps(chunk))
    assert response.status_code == 200, response.content


def _bulk(step_model, episode, rows, number):
    base = 10_000_000 + number * len(rows)
    step_model.objects.bulk_create(
        step_model(
            episode=episode,
            frame=base + i,
            client_time=row["t"],
            actions=row["actions"],
            rewards=row["rewards"],
            terminated=row["terminated"],
            truncated=row["truncated"],
            infos=row["infos"],
            observations=row["obs"],
        )
        for i, row in enumerate(rows)
    )


def _timed(action, count: int) -> float:
    began = time.perf_counter()
    for i in range(count):
        action(i)
    return time.perf_counter() - began


if __name__ == "__main__":
    main()
