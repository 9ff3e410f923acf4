"""Export an experiment's data as CSV or JSON from the command line."""

from django.core.management.base import BaseCommand, CommandError

from experiments.control import exports, step_exports
from experiments.control.document_export import experiment_document
from experiments.flow.models import Experiment, Participant, SceneVisit, SurveyResponse

TABLES = {
    "participants": lambda slug: exports.participant_rows(
        Participant.objects.filter(experiment__slug=slug).select_related("experiment", "completion_code")
    ),
    "responses": lambda slug: exports.response_rows(
        SurveyResponse.objects.filter(participant__experiment__slug=slug).select_related("participant__experiment")
    ),
    "steps": lambda slug: step_exports.step_rows(Participant.objects.filter(experiment__slug=slug)),
    "visits": lambda slug: exports.visit_rows(
        SceneVisit.objects.filter(participant__experiment__slug=slug).select_related("participant__experiment")
    ),
}


class Command(BaseCommand):
    help = "Write one table of an experiment's data as CSV, JSON or Parquet, or the whole experiment as JSON."

    def add_arguments(self, parser):
        parser.add_argument("experiment", help="experiment slug")
        parser.add_argument(
            "--table",
            choices=[*sorted(TABLES), "all"],
            default="participants",
            help="all: the whole experiment as one JSON document, streamed, with progress",
        )
        parser.add_argument("--format", choices=["csv", "json", "parquet"], default="csv")
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args, experiment, table, format, output, **options):
        if not Experiment.objects.filter(slug=experiment).exists():
            raise CommandError(f"no experiment with slug {experiment!r}")
        if table == "all":
            return self.write_document(Experiment.objects.get(slug=experiment), format, output)
        columns, rows = TABLES[table](experiment)
        if format == "parquet":
            if not output:
                raise CommandError("--format parquet needs --output")
            with open(output, "wb") as handle:
                if table == "steps":  # written a row group at a time: memory stays flat
                    for piece in step_exports.step_parquet(Participant.objects.filter(experiment__slug=experiment)):
                        handle.write(piece)
                else:
                    handle.write(step_exports.to_parquet(columns, rows))
            self.stdout.write(f"wrote {output}")
            return
        rows = list(rows)
        text = exports.to_csv(columns, rows) if format == "csv" else exports.to_json(columns, rows)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            self.stdout.write(f"wrote {len(rows)} rows to {output}")
        else:
            self.stdout.write(text, ending="")

    def write_document(self, experiment, format, output) -> None:
        if format != "json" or not output:
            raise CommandError("--table all writes JSON: give --format json and --output")

        def progress(done: int, total: int) -> None:
            if done == total or done % 50 == 0:
                self.stderr.write(f"{done}/{total} participants")

        with open(output, "w", encoding="utf-8") as handle:
            for piece in experiment_document(experiment, progress):
                handle.write(piece)
        self.stdout.write(f"wrote {output}")
