"""Sync experiment definitions from settings into the database."""

from django.core.management.base import BaseCommand, CommandError

from experiments.definition import registry
from experiments.definition.errors import DefinitionError
from experiments.flow.services import experiment_sync_all


class Command(BaseCommand):
    help = "Load every experiment in MUG_EXPERIMENTS, validate it and store it for the admin."

    def handle(self, *args, **options):
        try:
            synced = experiment_sync_all()
        except DefinitionError as error:
            raise CommandError(str(error)) from error
        for experiment in synced:
            self.stdout.write(f"synced {experiment.slug}: {experiment.title}")
        broken = registry.load_errors()  # the others are synced; each broken one is named
        if broken:
            raise CommandError("\n".join(str(error) for _path, error in broken))
