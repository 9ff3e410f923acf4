"""Check a study's multi-human game scenes for rollback readiness: snapshot self-test and SyncTest at every depth."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from experiments.definition.gym_scene import GymScene
from experiments.definition.registry import get_experiment
from mug.synctest import check_rollback


class Command(BaseCommand):
    help = "Self-test snapshots and force rollbacks of every depth up to the window in each multi-human scene."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--frames", type=int, default=120)
        parser.add_argument("--window", type=int, default=8)

    def handle(self, *args, slug: str, frames: int, window: int, **options) -> None:
        definition = get_experiment(slug)
        if definition is None:
            raise CommandError(f"no experiment {slug!r}")
        scenes = [s for s in definition.scenes() if isinstance(s, GymScene) and len(s.human_agents()) >= 2]
        if not scenes:
            raise CommandError(f"{slug!r} has no scene with two or more human agents")
        failed = []
        for scene in scenes:
            report = check_rollback(scene.loop_config(), frames=frames, window=window)
            state = "get_state/set_state" if report.explicit_state else "deep copy (fallback)"
            self.stdout.write(
                f"{scene.scene_id}: {'ready' if report.ok else 'NOT READY'}; snapshots by {state}; "
                f"step {report.step_ms:.3f} ms, save {report.save_ms:.3f} ms, load {report.load_ms:.3f} ms; "
                f"depths checked {report.depths_checked}"
            )
            for problem in report.problems:
                self.stdout.write(f"  - {problem}")
            if not report.ok:
                failed.append(scene.scene_id)
        if failed:
            raise CommandError(f"not ready for rollback: {', '.join(failed)}")
