"""Export an experiment's data as CSV or JSON from the command line."""

from django.core.management.base import BaseCommand, CommandError

from experiments import exports, step_exports
from experiments.models import Experiment, Participant, SceneVisit, SurveyResponse

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
    help = "Write one table of an experiment's data (participants, responses or visits) as CSV or JSON."

    def add_arguments(self, parser):
        parser.add_argument("experiment", help="experiment slug")
        parser.add_argument("--table", choices=sorted(TABLES), default="participants")
        parser.add_argument("--format", choices=["csv", "json", "parquet"], default="csv")
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args, experiment, table, format, output, **options):
        if not Experiment.objects.filter(slug=experiment).exists():
            raise CommandError(f"no experiment with slug {experiment!r}")
        columns, rows = TABLES[table](experiment)
        if format == "parquet":
            if not output:
                raise CommandError("--format parquet needs --output")
            with open(output, "wb") as handle:
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
