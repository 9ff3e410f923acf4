"""Read-only export API for staff holding the view permissions: experiments, participants, answers, scene visits."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import generics, permissions, serializers

from experiments.flow.models import Participant, SceneVisit, SurveyResponse
from experiments.flow.selectors import experiment_list_with_counts

EXPERIMENT_FILTER = OpenApiParameter("experiment", str, description="Only rows of the experiment with this slug.")


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


class ExperimentFilterMixin:
    """Filter by `?experiment=<slug>`; `experiment_path` is the lookup from the row to the experiment slug."""

    experiment_path = "experiment__slug"

    def get_queryset(self):
        queryset = super().get_queryset()
        slug = self.request.query_params.get("experiment")
        return queryset.filter(**{self.experiment_path: slug}) if slug else queryset


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


class ParticipantListApi(ExperimentFilterMixin, generics.ListAPIView):
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

    @extend_schema(parameters=[EXPERIMENT_FILTER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SurveyResponseListApi(ExperimentFilterMixin, generics.ListAPIView):
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
    experiment_path = "participant__experiment__slug"
    queryset = SurveyResponse.objects.select_related("participant").order_by("id")

    @extend_schema(parameters=[EXPERIMENT_FILTER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SceneVisitListApi(ExperimentFilterMixin, generics.ListAPIView):
    @extend_schema_serializer(component_name="SceneVisit")  # one schema component per API
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = SceneVisit
            fields = ["id", "participant", "position", "scene_key", "scene_kind", "entered_at", "completed_at", "loads"]

    serializer_class = OutputSerializer
    permission_classes = [HasViewPermissions]
    view_permissions = ["experiments.view_scenevisit", "experiments.view_participant"]
    experiment_path = "participant__experiment__slug"
    queryset = SceneVisit.objects.order_by("id")

    @extend_schema(parameters=[EXPERIMENT_FILTER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


API_PERMISSIONS = sorted(
    {
        p
        for api in (ExperimentListApi, ParticipantListApi, SurveyResponseListApi, SceneVisitListApi)
        for p in api.view_permissions
    }
)
