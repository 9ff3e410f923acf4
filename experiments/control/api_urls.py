"""Data export API (read-only, staff with view permissions) and its OpenAPI schema."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from experiments.control import api as apis

app_name = "api"

urlpatterns = [
    path("v1/experiments/", apis.ExperimentListApi.as_view(), name="experiment-list"),
    path("v1/participants/", apis.ParticipantListApi.as_view(), name="participant-list"),
    path("v1/survey-responses/", apis.SurveyResponseListApi.as_view(), name="survey-response-list"),
    path("v1/scene-visits/", apis.SceneVisitListApi.as_view(), name="scene-visit-list"),
    path("v1/episodes/", apis.EpisodeListApi.as_view(), name="episode-list"),
    path("v1/steps/", apis.StepListApi.as_view(), name="step-list"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[apis.HasAnyApiPermission]), name="schema"),
]
