"""Participant-facing URLs: a stable entry link per experiment and the flow page."""

from django.urls import path

from experiments.flow import report_views as page_apis
from experiments.flow import views
from experiments.gamedata import views as gym_views
from netcode import views as relay_views

app_name = "experiments"

urlpatterns = [
    path("", views.home, name="home"),
    path("x/<slug:slug>/", views.enter, name="enter"),
    path("x/<slug:slug>/flow/", views.flow, name="flow"),
    path("x/<slug:slug>/screening/ping/", page_apis.ping, name="screening-ping"),
    path("x/<slug:slug>/screening/", page_apis.submit, name="screening-submit"),
    path("x/<slug:slug>/monitor/", page_apis.monitor, name="monitor"),
    path("x/<slug:slug>/client-error/", page_apis.client_error, name="client-error"),
    path("x/<slug:slug>/milestone/", page_apis.milestone, name="milestone"),
    path("x/<slug:slug>/data/", gym_views.gym_data, name="gym-data"),
    path("x/<slug:slug>/episodes/", gym_views.gym_episode, name="gym-episode"),
    path("x/<slug:slug>/runtime-error/", gym_views.gym_error, name="gym-error"),
    path("x/<slug:slug>/bundle/<slug:scene_id>.json", gym_views.gym_bundle, name="gym-bundle"),
    path("x/<slug:slug>/models/<str:sha256>.onnx", gym_views.gym_model, name="gym-model"),
    path("x/<slug:slug>/assets/<str:sha256>/<str:filename>", gym_views.gym_asset, name="gym-asset"),
    path("x/<slug:slug>/game/unloading/", relay_views.game_unloading, name="game-unloading"),
]
