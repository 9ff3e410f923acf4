"""Read-only export API for staff holding the view permissions: experiments, participants, answers, scene visits,
episodes and their steps (filters in api_filters.py; steps page by cursor, so a deep page costs what the first does)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import generics, permissions, serializers
from rest_framework.pagination import CursorPagination

from experiments.control.api_filters import (
    EpisodeFilter,
    ParticipantFilter,
    SceneVisitFilter,
    StepFilter,
    SurveyResponseFilter,
)
from experiments.flow.models import Participant, SceneVisit, SurveyResponse
from experiments.flow.selectors import experiment_list_with_counts
from experiments.gamedata.models import STEP_FIELDS, Episode, Step


class HasViewPermissions(permissions.BasePermission):
    """Active staff holding every one of the view's `view_permissions` (GET included, unlike DjangoModelPermissions,
    which lets any authenticated user read)."""

    message = "You do not have the view permissions this data needs."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_active and user.is_staff and user.has_perms(view.view_permissions))


class HasAnyApiPermission(permissions.BasePermission):
    """The schema: active staff who may read at least one endpoint."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_active and user.is_staff and any(user.has_perm(p) for p in API_PERMISSIONS))


class ExperimentListApi(generics.ListAPIView):
    @extend_schema_serializer(component_name="Experiment")  # one schema component per API
    class OutputSerializer(serializers.Serializer):
        slug = serializers.CharField()
        title = serializers.CharField()
        is_active = serializers.BooleanField()
        in_code = serializers.BooleanField()
        definition_hash = serializers.CharField()
        participants = serializers.IntegerField(source="n_total")
        completed = serializers.IntegerField(source="n_completed")
        in_progress = serializers.IntegerField(source="n_active")

    serializer_class = OutputSerializer
    permission_classes = [HasViewPermissions]
    view_permissions = ["experiments.view_experiment"]

    def get_queryset(self):
        return experiment_list_with_counts().order_by("slug")


class ParticipantListApi(generics.ListAPIView):
    @extend_schema_serializer(component_name="Participant")  # one schema component per API
    class OutputSerializer(serializers.ModelSerializer):
        experiment = serializers.CharField(source="experiment.slug")
        completion_code = serializers.CharField(source="completion_code.code", default=None)
        completion_outcome = serializers.CharField(source="completion_code.outcome", default=None)

        class Meta:
            model = Participant
            fields = [
                "id",
                "experiment",
                "source",
                "external_id",
                "study_id",
                "session_id",
                "assignment_id",
                "hit_id",
                "status",
                "plan",
                "position",
                "completion_code",
                "completion_outcome",
                "created_at",
                "last_seen_at",
                "finished_at",
            ]

    serializer_class = OutputSerializer
    permission_classes = [HasViewPermissions]
    view_permissions = ["experiments.view_participant"]
    queryset = Participant.objects.select_related("experiment", "completion_code").order_by("id")
    filterset_class = ParticipantFilter


class SurveyResponseListApi(generics.ListAPIView):
    @extend_schema_serializer(component_name="SurveyResponse")  # one schema component per API
    class OutputSerializer(serializers.ModelSerializer):
        external_id = serializers.CharField(source="participant.external_id")
        value = serializers.JSONField()

        class Meta:
            model = SurveyResponse
            fields = ["id", "participant", "external_id", "scene_key", "question_id", "value", "answered_at"]

    serializer_class = OutputSerializer
    permission_classes = [HasViewPermissions]
    # Each row names its participant (external id): reading answers needs reading participants too.
    view_permissions = ["experiments.view_surveyresponse", "experiments.view_participant"]
    queryset = SurveyResponse.objects.select_related("participant").order_by("id")
    filterset_class = SurveyResponseFilter


class SceneVisitListApi(generics.ListAPIView):
    @extend_schema_serializer(component_name="SceneVisit")  # one schema component per API
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = SceneVisit
            fields = ["id", "participant", "position", "scene_key", "scene_kind", "entered_at", "completed_at", "loads"]

    serializer_class = OutputSerializer
    permission_classes = [HasViewPermissions]
    view_permissions = ["experiments.view_scenevisit", "experiments.view_participant"]
    queryset = SceneVisit.objects.order_by("id")
    filterset_class = SceneVisitFilter


class EpisodeListApi(generics.ListAPIView):
    @extend_schema_serializer(component_name="Episode")  # one schema component per API
    class OutputSerializer(serializers.ModelSerializer):
        external_id = serializers.CharField(source="participant.external_id")

        class Meta:
            model = Episode
            fields = [
                "id",
                "participant",
                "external_id",
                "scene_key",
                "index",
                "seed",
                "env",
                "code_hash",
                "policies",
                "runtime",
                "status",
                "n_steps",
                "started_at",
                "ended_at",
                "verification",
                "verification_report",
                "verified_at",
                "exactness",
                "exactness_report",
                "provenance",
            ]

    serializer_class = OutputSerializer
    permission_classes = [HasViewPermissions]
    view_permissions = ["experiments.view_episode", "experiments.view_participant"]
    queryset = Episode.objects.select_related("participant").order_by("id")
    filterset_class = EpisodeFilter


class StepCursor(CursorPagination):
    ordering = "id"
    page_size = 1000
    max_page_size = 5000
    page_size_query_param = "page_size"


class StepListApi(generics.ListAPIView):
    @extend_schema_serializer(component_name="Step")  # one schema component per API
    class OutputSerializer(serializers.ModelSerializer):
        actions = serializers.JSONField()
        rewards = serializers.JSONField()
        terminated = serializers.JSONField()
        truncated = serializers.JSONField()
        infos = serializers.JSONField()
        observations = serializers.JSONField()

        class Meta:
            model = Step
            fields = ["id", "episode", *STEP_FIELDS]

    serializer_class = OutputSerializer
    permission_classes = [HasViewPermissions]
    view_permissions = ["experiments.view_step", "experiments.view_episode", "experiments.view_participant"]
    queryset = Step.objects.all()
    pagination_class = StepCursor
    filterset_class = StepFilter


API_PERMISSIONS = sorted(
    {
        p
        for api in (
            ExperimentListApi,
            ParticipantListApi,
            SurveyResponseListApi,
            SceneVisitListApi,
            EpisodeListApi,
            StepListApi,
        )
        for p in api.view_permissions
    }
)
