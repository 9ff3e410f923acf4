"""Runtime files for the browser: the wheel index and wheels."""

from django.urls import path

from experiments.gamedata import runtime_views

app_name = "runtime"

urlpatterns = [
    path("simple/", runtime_views.wheel_index, name="wheel-index"),
    path("simple/<str:name>/", runtime_views.wheel_project, name="wheel-project"),
    path("wheels/<str:filename>", runtime_views.wheel_file, name="wheel-file"),
]
