"""What the security probe sends: a valid request for each participant endpoint, and the stored rows' totals."""

from __future__ import annotations

import json

from django.test import Client

from experiments.flow.models import (
    ClientError,
    CompletionCode,
    MonitorState,
    Participant,
    SceneVisit,
    ScreeningResult,
    SurveyResponse,
)
from experiments.gamedata.models import Episode, Step
from matchmaking.models import WaitingEntry
from netcode.models import GameSeat
from testkit.uploads import CHUNK

# route: (experiment, body kind, body) of a request that is valid for the participant set up by `owner_ready`
PARTICIPANT = {
    "x/<slug:slug>/flow/": ("flow", "form", {"scene_key": "consent", "consent": "yes"}),
    "x/<slug:slug>/screening/ping/": ("screen", "json", {}),
    "x/<slug:slug>/screening/": ("screen", "json", {"width": 1280, "height": 800, "webassembly": True}),
    "x/<slug:slug>/monitor/": ("watched", "json", {"event": "hidden"}),
    "x/<slug:slug>/client-error/": ("flow", "json", {"kind": "error", "message": "boom"}),
    "x/<slug:slug>/milestone/": ("game", "json", {"scene_key": "play", "milestone": "start"}),
    "x/<slug:slug>/data/": ("game", "json", CHUNK),
    "x/<slug:slug>/episodes/": ("game", "json", {"scene_key": "play"}),
    "x/<slug:slug>/runtime-error/": ("game", "json", {"scene_key": "play", "stage": "load", "message": "no wasm"}),
}


def totals() -> list[int]:
    models = (
        Participant,
        SceneVisit,
        SurveyResponse,
        CompletionCode,
        Episode,
        Step,
        ClientError,
        MonitorState,
        ScreeningResult,
        WaitingEntry,
        GameSeat,
    )
    return [model.objects.count() for model in models]


def send(client: Client, path: str, kind: str, body: dict):
    if kind == "form":
        return client.post(path, body)
    return client.post(path, json.dumps(body), content_type="application/json")
