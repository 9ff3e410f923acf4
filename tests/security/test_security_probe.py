"""Every HTTP, API and WebSocket endpoint probed as each kind of visitor: only the owner touches participant data."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from experiments.definition import registry
from experiments.flow.models import (
    ClientError,
    CompletionCode,
    Experiment,
    MonitorState,
    Participant,
    SceneVisit,
    ScreeningResult,
    SurveyResponse,
)
from experiments.gamedata.models import Episode, Step, StepChunk
from matchmaking.models import WaitingEntry
from mugsite.asgi import application
from mugsite.routing import websocket_urlpatterns
from netcode.models import Game, GameSeat
from testkit.flowhelpers import enter, submit
from testkit.gameclient import begin_episode
from testkit.probe import PARTICIPANT, send, totals
from testkit.uploads import CHUNK, ROW

pytestmark = pytest.mark.django_db

# staff last: some tests let each role act in turn, and staff actions change rows
# bare_staff: an active staff account holding no permission (reads and does nothing but the admin's empty index)
ROLES = [
    "anonymous",
    "participant",
    "same_experiment",
    "other_experiment",
    "user",
    "inactive_staff",
    "bare_staff",
    "staff",
]
STRANGERS = ["anonymous", "other_experiment", "user", "inactive_staff", "bare_staff", "staff"]  # not in the experiment

# Every URL pattern of the site ("admin/" stands for the whole admin site) and who may use it. A new pattern must be
# added here (and so probed) or test_every_url_pattern_is_probed fails.
PUBLIC = {
    "": "/",
    "x/<slug:slug>/": "/x/flow/",  # the entry link: anyone may start
    "runtime/simple/": "/runtime/simple/",
    "runtime/simple/<str:name>/": "/runtime/simple/gymnasium/",
    "runtime/wheels/<str:filename>": "/runtime/wheels/gymnasium-1.4.0-py3-none-any.whl",
    "healthz": "/healthz",  # the process manager's and proxy's health check: no detail of any failure
}
# Files a participant whose plan holds the (in-browser) game may read, and nobody else: route -> (experiment, path)
PARTICIPANT_READS = {
    "x/<slug:slug>/bundle/<slug:scene_id>.json": ("game", "/x/game/bundle/play.json"),
    "x/<slug:slug>/models/<str:sha256>.onnx": ("tagai", None),  # filled in below: the flee scene's model
    "x/<slug:slug>/assets/<str:sha256>/<str:filename>": ("sprite-assets", None),  # below: the play scene's sprite
}
# Valid only for a participant holding a seat in a running group game: probed where such a game is set up (strangers,
# participants without a seat, other scenes and bad bodies refused, nothing changed).
SEATED = {
    "x/<slug:slug>/game/unloading/": "tests/netcode/test_relay_unload.py::"
    "test_the_notice_is_refused_without_a_seat_in_a_running_game_and_changes_nothing",
}
STAFF = {
    "admin/": "/admin/",
    "admin/live/": "/admin/live/",
    "api/v1/experiments/": "/api/v1/experiments/",
    "api/v1/participants/": "/api/v1/participants/",
    "api/v1/survey-responses/": "/api/v1/survey-responses/",
    "api/v1/scene-visits/": "/api/v1/scene-visits/",
    "api/v1/episodes/": "/api/v1/episodes/",
    "api/v1/steps/": "/api/v1/steps/",
    "api/schema/": "/api/schema/?format=json",
}
SOCKETS = {
    "x/<slug:slug>/ws/room/": ("pairs", "join"),
    "x/<slug:slug>/ws/game/": ("net-relay", "hello"),
    "x/<slug:slug>/ws/play/": ("server-solo", "hello"),
    "admin/live/ws/": (None, None),
}


def url_routes(patterns=None, prefix: str = "") -> list[str]:
    routes = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver) and pattern.app_name == "admin":
            routes.append(prefix + str(pattern.pattern))
        elif isinstance(pattern, URLResolver):
            routes += url_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            routes.append(prefix + str(pattern.pattern))
    return routes


def test_every_url_pattern_is_probed():
    assert sorted(url_routes()) == sorted([*PUBLIC, *PARTICIPANT_READS, *PARTICIPANT, *SEATED, *STAFF])


def test_every_websocket_route_is_probed():
    assert sorted(str(route.pattern) for route in websocket_urlpatterns) == sorted(SOCKETS)


def visitors(slug: str, researcher, outsider) -> dict[str, Client]:
    """A browser per role; the participant and another of the same experiment have entered `slug`."""
    clients = {role: Client() for role in ROLES}
    enter(clients["participant"], slug, PROLIFIC_PID="alice")
    enter(clients["same_experiment"], slug, PROLIFIC_PID="bob")
    enter(clients["other_experiment"], "fixed-codes" if slug != "fixed-codes" else "flow", PROLIFIC_PID="carol")
    clients["user"].force_login(outsider)
    former = type(researcher).objects.create_user("former", password="pw-former-1", is_staff=True, is_superuser=True)
    clients["inactive_staff"].force_login(former)
    type(researcher).objects.filter(pk=former.pk).update(is_active=False)  # deactivated after logging in
    clients["bare_staff"].force_login(type(researcher).objects.create_user("bare", password="pw-bare-1", is_staff=True))
    clients["staff"].force_login(researcher)
    return clients


def owner_ready(slug: str, client: Client) -> None:
    """Bring the participant to where the probe's request is valid for them."""
    if slug == "flow":
        submit(client, "flow", "welcome")
    elif slug == "game":
        client.get("/x/game/flow/")  # the game page shown (its visit: what a milestone report updates)
        begin_episode(client, "game", "play")


def footprint(participant: Participant) -> dict:
    """Everything stored about one participant."""
    participant.refresh_from_db()
    models = (SurveyResponse, CompletionCode, Episode, ClientError, MonitorState, ScreeningResult)
    rows = {
        model.__name__: sorted(map(str, model.objects.filter(participant=participant).values_list()))
        for model in models
    }
    rows["visits"] = sorted(
        SceneVisit.objects.filter(participant=participant).values_list(
            "scene_key", "loads", "runtime_ready_at", "start_pressed_at"
        )
    )
    rows["steps"] = Step.objects.filter(episode__participant=participant).count()
    rows["chunks"] = StepChunk.objects.filter(episode__participant=participant).count()
    return {
        "status": participant.status,
        "position": participant.position,
        "errors": participant.runtime_errors,
        **rows,
    }


@pytest.mark.parametrize("route", sorted(PARTICIPANT))
def test_participant_endpoints_act_for_the_cookie_owner_only(route, researcher, outsider):
    slug, kind, body = PARTICIPANT[route]
    path = "/" + route.replace("<slug:slug>", slug)
    clients = visitors(slug, researcher, outsider)
    owner_ready(slug, clients["participant"])
    owner = Participant.objects.get(external_id="alice")
    before, counts = footprint(owner), totals()
    for role in STRANGERS:
        response = send(clients[role], path, kind, body)
        assert 400 <= response.status_code < 500, (role, response.status_code)
        assert totals() == counts, role  # nothing stored for a stranger
    send(clients["same_experiment"], path, kind, body)  # may act for bob himself, never for alice
    assert footprint(owner) == before
    response = send(clients["participant"], path, kind, body)
    assert response.status_code in (200, 302) and footprint(owner) != before  # the probe's request works for alice


@pytest.mark.parametrize("route", sorted(STAFF))
def test_staff_endpoints_serve_active_staff_only(route, researcher, outsider):
    clients = visitors("flow", researcher, outsider)
    for role in ROLES:
        response = clients[role].get(STAFF[route])
        if role == "staff" or (role, route) == ("bare_staff", "admin/"):  # the index: "nothing you may view"
            assert response.status_code == 200
        elif role == "bare_staff":
            assert response.status_code == 403, route  # no view permission: no data
        elif route.startswith("admin/"):
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), role
        else:
            assert response.status_code in (401, 403), role


def test_every_admin_page_and_action_is_behind_the_staff_login(researcher, outsider):
    clients = visitors("flow", researcher, outsider)
    submit(clients["participant"], "flow", "welcome")
    Experiment.objects.update(is_active=True)
    for role in ROLES:
        for model, model_admin in admin.site._registry.items():
            path = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            expected = {"staff": 200, "bare_staff": 403}.get(role, 302)
            assert clients[role].get(path).status_code == expected, (role, path)
            pks = list(model.objects.values_list("pk", flat=True))
            for action in [*(model_admin.actions or ()), "delete_selected"] if role != "staff" else []:
                data = {"action": action, "_selected_action": pks, "apply": "1", "outcome": "excluded", "post": "yes"}
                response = clients[role].post(path, data)
                if role == "bare_staff":
                    assert response.status_code == 403, action
                    continue
                assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), action
    pks = list(Participant.objects.values_list("pk", flat=True))
    for action in ("export_csv", "export_steps_parquet", "allow_rebind", "end_sessions"):  # what staff can do
        data = {"action": action, "_selected_action": pks, "apply": "1", "outcome": "excluded"}
        assert clients["staff"].post("/admin/experiments/participant/", data).status_code in (200, 302)
    assert Participant.objects.filter(rebind_allowed=True).exists() and Participant.objects.filter(status="excluded")
    assert Experiment.objects.filter(is_active=True).count() == Experiment.objects.count()  # nobody paused any


def test_api_tokens_serve_active_staff_only(researcher, outsider):
    for user, status in ((outsider, 403), (researcher, 200)):
        key = Token.objects.create(user=user).key
        assert Client().get("/api/v1/participants/", HTTP_AUTHORIZATION=f"Token {key}").status_code == status
    type(researcher).objects.filter(pk=researcher.pk).update(is_active=False)
    assert Client().get("/api/v1/participants/", HTTP_AUTHORIZATION=f"Token {key}").status_code in (401, 403)


@pytest.mark.parametrize("route", sorted(PARTICIPANT_READS))
def test_game_files_are_read_by_the_experiments_participants_only(route, researcher, outsider):
    slug, path = PARTICIPANT_READS[route]
    if path is None and slug == "tagai":
        path = f"/x/tagai/models/{next(iter(registry.get_experiment('tagai').scene('flee').model_files()))}.onnx"
    elif path is None:
        chef = registry.get_experiment(slug).scene("play").scene_assets()["chef"].image
        path = f"/x/{slug}/assets/{chef.sha256}/{chef.path.name}"
    clients = visitors(slug, researcher, outsider)
    for role in ROLES:
        response = clients[role].get(path)
        if role in ("participant", "same_experiment"):  # both plans hold the game
            assert response.status_code == 200, role
            assert response["Cache-Control"].startswith("private")
        else:
            assert response.status_code == 403, (role, response.status_code)


CSRF_FIELD = re.compile(rb'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')


@pytest.mark.parametrize("route", sorted(PUBLIC))
def test_public_endpoints_answer_everyone_alike(route, researcher, outsider):
    clients = visitors("game", researcher, outsider)
    bodies = set()
    for role in ROLES:
        response = clients[role].get(PUBLIC[route])
        assert response.status_code in (200, 302), (role, response.status_code)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        content = CSRF_FIELD.sub(b"", content)  # the entry page's form token is masked anew on every response
        bodies.add((response.status_code, content))
    assert len(bodies) == 1  # nothing in them depends on who asks


@pytest.mark.parametrize(
    "path",
    [
        "/runtime/wheels/..%2F..%2Fmanage.py",
        "/runtime/simple/..%2F..%2Fmugsite/",
        "/x/game/bundle/..%2F..%2Fsettings.json",
        "/x/tagai/models/..%2Fmodel.onnx",
        "/x/sprite-assets/assets/..%2F..%2Fasset_experiments.py",
    ],
)
def test_file_endpoints_serve_nothing_outside_their_folder(path):
    assert Client().get(path).status_code == 404


def test_flow_pages_show_each_participant_their_own_state(researcher, outsider):
    clients = visitors("flow", researcher, outsider)
    submit(clients["participant"], "flow", "welcome")
    submit(clients["participant"], "flow", "consent", consent="yes")
    alice = clients["participant"].get("/x/flow/flow/").content.decode()
    bob = clients["same_experiment"].get("/x/flow/flow/").content.decode()
    assert 'data-scene="instructions"' in alice and 'data-scene="welcome"' in bob
    for role in STRANGERS:
        response = clients[role].get("/x/flow/flow/")
        assert response.status_code == 403 and b"data-scene" not in response.content


def test_uploads_go_to_the_cookie_owner_only(researcher, outsider):
    clients = visitors("game", researcher, outsider)
    for role in ("participant", "same_experiment"):
        begin_episode(clients[role], "game", "play")
    chunk = {**CHUNK, "rows": [{**ROW, "infos": {"chaser": {"who": "bob"}}}]}
    assert send(clients["same_experiment"], "/x/game/data/", "json", chunk).status_code == 200
    assert send(clients["participant"], "/x/game/data/", "json", {**chunk, "rows": [ROW]}).status_code == 200
    owners = dict(Step.objects.values_list("episode__participant__external_id", "infos"))
    assert owners == {"bob": {"chaser": {"who": "bob"}}, "alice": ROW["infos"]}


def test_a_tampered_cookie_is_a_stranger():
    browser = Client()
    enter(browser, "game", PROLIFIC_PID="alice")
    begin_episode(browser, "game", "play")
    value = browser.cookies["mug_game"].value
    counts = totals()
    for forged in (value[:-1] + ("A" if value[-1] != "A" else "B"), value.split(":")[0], "x" + value):
        browser.cookies["mug_game"] = forged
        assert browser.get("/x/game/flow/").status_code == 403
        assert send(browser, "/x/game/data/", "json", CHUNK).status_code == 403
        assert totals() == counts


def test_a_cookie_from_another_experiment_is_a_stranger_there():
    browser = Client()
    enter(browser, "flow", PROLIFIC_PID="alice")
    enter(browser, "game", PROLIFIC_PID="alice")
    begin_episode(browser, "game", "play")
    replay = Client()
    replay.cookies["mug_game"] = browser.cookies["mug_flow"].value  # signed for mug_flow, sent as mug_game
    counts = totals()
    assert replay.get("/x/game/flow/").status_code == 403
    for path, body in (
        ("/x/game/episodes/", {"scene_key": "play"}),
        ("/x/game/client-error/", {"kind": "error", "message": "x"}),
        ("/x/game/runtime-error/", {"scene_key": "play", "stage": "load", "message": "x"}),
    ):
        assert 400 <= send(replay, path, "json", body).status_code < 500
    assert totals() == counts


def test_the_participant_cookie_is_signed_http_only_and_scoped_to_its_experiment(settings):
    settings.SESSION_COOKIE_SECURE = True  # SECURE_COOKIES=true behind HTTPS
    cookie = enter(Client(), "flow").cookies["mug_flow"]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax" and cookie["path"] == "/x/flow/"
    assert ":" in cookie.value  # token:signature


def socket(path: str, cookie: str | None = None, origin: bytes = b"http://127.0.0.1") -> WebsocketCommunicator:
    headers = [(b"origin", origin)] + ([(b"cookie", cookie.encode())] if cookie else [])
    return WebsocketCommunicator(application, path, headers=headers)


async def first_reply(path: str, cookie: str | None, message: dict | None) -> tuple[bool, object]:
    """Connect, send `message`, return (accepted, the first non-ping reply or the close code)."""
    communicator = socket(path, cookie)
    connected, code = await communicator.connect()
    if not connected:
        return False, code
    await communicator.send_json_to(message)
    while (reply := await communicator.receive_json_from(timeout=5))["type"] in ("ping", "probe", "player"):
        pass
    await communicator.disconnect()
    return True, reply


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", sorted(r for r in SOCKETS if r.startswith("x/")))
def test_participant_sockets_seat_nobody_without_the_experiments_cookie(route, researcher, outsider):
    slug, kind = SOCKETS[route]
    path = "/" + route.replace("<slug:slug>", slug)
    key = registry.get_experiment(slug).stager[0].scene_id
    clients = visitors(slug, researcher, outsider)
    own = clients["participant"].cookies[f"mug_{slug}"].value
    name, other = next((k, v.value) for k, v in clients["other_experiment"].cookies.items() if k.startswith("mug_"))
    cookies = {
        "anonymous": None,
        "other_experiment": f"{name}={other}",
        "replayed": f"mug_{slug}={other}",
        "tampered": f"mug_{slug}={own[:-2]}zz",
        "user": f"sessionid={clients['user'].cookies['sessionid'].value}",
        "staff": f"sessionid={clients['staff'].cookies['sessionid'].value}",
    }
    for role, cookie in cookies.items():
        accepted, reply = async_to_sync(first_reply)(path, cookie, {"type": kind, "scene_key": key})
        assert accepted and reply["type"] == "error" and "no place in this study" in reply["message"], role
    assert not WaitingEntry.objects.exists() and not GameSeat.objects.exists() and not Game.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
def test_the_live_socket_accepts_active_staff_only(role, researcher, outsider):
    clients = visitors("flow", researcher, outsider)
    cookie = "; ".join(f"{k}={v.value}" for k, v in clients[role].cookies.items()) or None

    async def scenario():
        communicator = socket("/admin/live/ws/", cookie)
        connected, code = await communicator.connect()
        snapshot = await communicator.receive_json_from(timeout=5) if connected else None
        await communicator.disconnect()
        return connected, code, snapshot

    connected, code, snapshot = async_to_sync(scenario)()
    if role == "staff":
        assert connected and snapshot["type"] == "snapshot" and "experiments" in snapshot
    else:
        assert (connected, code, snapshot) == (False, 4003, None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", sorted(SOCKETS))
def test_sockets_refuse_pages_of_other_sites(route, researcher):
    """Cross-site WebSocket hijacking: a page elsewhere cannot open a socket with the visitor's cookies."""
    client = Client()
    client.force_login(researcher)
    path = "/" + route.replace("<slug:slug>", SOCKETS[route][0] or "")

    async def scenario():
        communicator = socket(path, f"sessionid={client.cookies['sessionid'].value}", origin=b"https://evil.example")
        connected, _ = await communicator.connect()
        return connected

    assert async_to_sync(scenario)() is False
