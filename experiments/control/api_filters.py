"""The export API's query filters (`?experiment=<slug>&status=completed` …), declared once per endpoint; an unknown
value of a choice is refused with a 400 rather than ignored."""

from __future__ import annotations

import django_filters

from experiments.flow.models import Participant, SceneVisit, SurveyResponse
from experiments.gamedata.models import Episode, Step


class ParticipantFilter(django_filters.FilterSet):
    experiment = django_filters.CharFilter(field_name="experiment__slug", help_text="The experiment's slug.")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Participant
        fields = ["experiment", "status", "source", "external_id", "study_id"]


class SurveyResponseFilter(django_filters.FilterSet):
    experiment = django_filters.CharFilter(field_name="participant__experiment__slug")

    class Meta:
        model = SurveyResponse
        fields = ["experiment", "participant", "scene_key", "question_id"]


class SceneVisitFilter(django_filters.FilterSet):
    experiment = django_filters.CharFilter(field_name="participant__experiment__slug")

    class Meta:
        model = SceneVisit
        fields = ["experiment", "participant", "scene_key"]


class EpisodeFilter(django_filters.FilterSet):
    experiment = django_filters.CharFilter(field_name="participant__experiment__slug")
    external_id = django_filters.CharFilter(field_name="participant__external_id")

    class Meta:
        model = Episode
        fields = ["experiment", "participant", "external_id", "scene_key", "status", "verification"]


class StepFilter(django_filters.FilterSet):
    experiment = django_filters.CharFilter(field_name="episode__participant__experiment__slug")
    participant = django_filters.NumberFilter(field_name="episode__participant")

    class Meta:
        model = Step
        fields = ["experiment", "participant", "episode"]
