"""Replay recorded episodes on the server and report whether they match the browser's data."""

from django.core.management.base import BaseCommand, CommandError

from experiments.gamedata.models import COMPLETE, Episode
from experiments.gamedata.replay import episode_replay


class Command(BaseCommand):
    help = "Replay an experiment's complete episodes from seed and actions; compare rewards and observations."

    def add_arguments(self, parser):
        parser.add_argument("experiment", help="experiment slug")
        parser.add_argument("--episode", type=int, action="append", help="only these episode ids")

    def handle(self, *args, experiment, episode, **options):
        episodes = Episode.objects.filter(participant__experiment__slug=experiment, status=COMPLETE)
        if episode:
            episodes = episodes.filter(pk__in=episode)
        if not episodes.exists():
            raise CommandError(f"no complete episodes for {experiment!r}")
        mismatches = 0
        for item in episodes.select_related("participant__experiment").order_by("pk"):
            report = episode_replay(episode=item)
            mismatches += report["status"] != "match"
            detail = f" at {report['mismatch']}" if report["mismatch"] else ""
            self.stdout.write(
                f"episode {item.pk} ({item}): {report['status']}, {report['frames_checked']} frames{detail}"
            )
        if mismatches:
            raise CommandError(f"{mismatches} episode(s) differ from the server replay")
