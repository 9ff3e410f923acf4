"""Participant-facing URLs: a stable entry link per experiment and the flow page."""

from django.urls import path

from experiments import views

app_name = "experiments"

urlpatterns = [
    path("", views.home, name="home"),
    path("x/<slug:slug>/", views.enter, name="enter"),
    path("x/<slug:slug>/flow/", views.flow, name="flow"),
]
