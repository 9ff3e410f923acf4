"""Write a Minari dataset of a game scene's human episodes (load it back with minari.load_dataset)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from experiments.control.minari_export import MinariExportError, minari_export
from experiments.definition import registry


class Command(BaseCommand):
    help = "Write a Minari dataset (offline RL) of the complete human episodes of one game scene."

    def add_arguments(self, parser):
        parser.add_argument("experiment", help="experiment slug")
        parser.add_argument("scene", help="the game scene's id")
        parser.add_argument("--agent", help="the human agent whose trajectories to write (default: the first)")
        parser.add_argument("--output", required=True, help="Minari's datasets folder (MINARI_DATASETS_PATH)")
        parser.add_argument("--dataset-id", help="default: mug/<experiment>/<scene>-<agent>-v0")

    def handle(self, *args, experiment, scene, agent, output, dataset_id, **options):
        definition = registry.get_experiment(experiment)
        if definition is None:
            raise CommandError(f"no experiment with slug {experiment!r}")
        try:
            result = minari_export(
                definition=definition, scene_id=scene, agent=agent, directory=Path(output), dataset_id=dataset_id
            )
        except (MinariExportError, OSError) as error:  # OSError: the folder cannot be written (nothing is left)
            raise CommandError(f"no dataset written: {error}") from error
        self.stdout.write(f"wrote {result['dataset_id']}: {result['episodes']} episodes, {result['steps']} steps")
