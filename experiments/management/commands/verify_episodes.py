"""Run verification workers on their own (e.g. on another machine, with MUG_VERIFY_WORKERS=0 in the web processes)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from experiments.gamedata.verification import verification_drain
from experiments.gamedata.verification_workers import workers_spawn


class Command(BaseCommand):
    help = "Replay pending single-player browser episodes on the server: --workers processes, or --once inline."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--once", action="store_true", help="check what is pending now, in this process, and exit")

    def handle(self, *args, workers: int, once: bool, **options):
        if once:
            self.stdout.write(f"{verification_drain(worker='verify_episodes --once')} episodes checked")
            return
        processes = workers_spawn(workers)
        self.stdout.write(f"{len(processes)} verification workers running; Ctrl-C stops them")
        try:
            while all(process.is_alive() for process in processes):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
