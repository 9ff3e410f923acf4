"""Replay recorded episodes on the server and report whether they are the browser's, bit for bit."""

from django.core.management.base import BaseCommand, CommandError

from experiments.definition.runtime_bundle import scene_bundle
from experiments.gamedata.exact_verifier import NotVerifiable, episode_verify_exact
from experiments.gamedata.models import COMPLETE, Episode, Exactness
from experiments.gamedata.native_diff import episode_native_differences
from experiments.gamedata.replay import episode_replay, episode_scene


class Command(BaseCommand):
    help = (
        "Replay an experiment's complete episodes from seed and actions. In Pyodide under Node.js (the participants' "
        "interpreter) when it is available: 'exact' or the first value that differs, bit for bit. An episode whose "
        "code changed since it was played is never called a match (--recorded replays the bundle it ran). --native: "
        "this server's CPython as a second opinion, the largest float difference per field."
    )

    def add_arguments(self, parser):
        parser.add_argument("experiment", help="experiment slug")
        parser.add_argument("--episode", type=int, action="append", help="only these episode ids")
        parser.add_argument("--native", action="store_true", help="replay in CPython; report float differences")
        parser.add_argument("--recorded", action="store_true", help="replay the recorded bundle even if code changed")

    def handle(self, *args, experiment, episode, native, recorded, **options):
        episodes = Episode.objects.filter(participant__experiment__slug=experiment, status=COMPLETE)
        if episode:
            episodes = episodes.filter(pk__in=episode)
        if not episodes.exists():
            raise CommandError(f"no complete episodes for {experiment!r}")
        problems = 0
        for item in episodes.select_related("participant__experiment").order_by("pk"):
            changed = self._changed(item)
            if changed and not (recorded and not native):
                problems += 1
                self.stdout.write(f"episode {item.pk} ({item}): not a match: {changed}")
                continue
            line, ok = self._native(item) if native else self._replay(item, changed)
            problems += not ok
            self.stdout.write(f"episode {item.pk} ({item}): {line}")
        if problems:
            raise CommandError(f"{problems} episode(s) differ from the server replay or their code changed")

    def _changed(self, item: Episode) -> str | None:
        """Why today's code is not the code the episode ran (None: the same bundle)."""
        try:
            current = scene_bundle(episode_scene(item)).code_hash
        except Exception as error:  # noqa: BLE001 (an experiment that no longer loads is reported, not a crash)
            return f"its scene cannot be loaded now ({error})"
        if current != item.code_hash:
            return (
                f"code changed since it was played (recorded {item.code_hash[:12]}, now {current[:12]}); "
                "--recorded replays the recorded bundle in Pyodide"
            )
        return None

    def _replay(self, item: Episode, changed: str | None) -> tuple[str, bool]:
        try:
            verdict = episode_verify_exact(item)
        except NotVerifiable as reason:
            if changed:  # the native replay runs today's code: never a verdict on an episode that ran other code
                return f"not a match: {changed}; the recorded bundle cannot be replayed here: {reason}", False
            report = episode_replay(episode=item)
            detail = f" at {report['mismatch']}" if report["mismatch"] else ""
            where = f"native CPython within 1e-9; not verifiable in Pyodide: {reason}"
            ok = report["status"] == "match"
            return f"{report['status']}, {report['frames_checked']} frames ({where}){detail}", ok
        exact = {"exact": Exactness.EXACT, "differs": Exactness.DIFFERS}.get(verdict.status, Exactness.NOT_VERIFIABLE)
        Episode.objects.filter(pk=item.pk).update(exactness=exact, exactness_report=verdict.report)
        if verdict.status == "exact":
            frames = verdict.report["frames_compared"]
            return f"exact, {frames} frames bit for bit in Pyodide {verdict.report.get('pyodide')}", True
        if verdict.status == "differs":
            return f"differs at {verdict.report['difference']}", False
        return f"error: {verdict.report['error']}", False

    def _native(self, item: Episode) -> tuple[str, bool]:
        found = episode_native_differences(item)
        largest = ", ".join(
            f"{field} {value:.3g}" + (f" (frame {frame})" if value else "")
            for field, (value, frame) in found["largest"].items()
        )
        line = f"native CPython, {found['frames']} frames; largest float difference per field: {largest}"
        if found["structural"]:
            return f"{line}; differs at {found['structural']}", False
        return line, True
