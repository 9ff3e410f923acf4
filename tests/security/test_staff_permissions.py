"""Staff see and do only what their permissions allow, checked against a production-like Daphne with plain HTTP and
WebSocket clients logged in through the real admin login form: the export API, its schema and the live monitor need
view permissions; every admin action needs its own permission, also when its POST is forged; the live socket closes
once its user is deactivated, loses the permission or logs out."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
import websockets
from asgiref.sync import async_to_sync
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.utils import timezone

from experiments.flow.models import Experiment, Participant
from experiments.gamedata.models import Episode
from matchmaking.models import WAITING, Room, WaitingEntry
from testkit.roomclient import participant_cookie
from testkit.staffclient import StaffBrowser

API = ["/api/v1/experiments/", "/api/v1/participants/", "/api/v1/survey-responses/", "/api/v1/scene-visits/"]
LIVE = ["experiments.view_participant", "netcode.view_game"]
PASSWORD = "pw-staff-member-1"  # noqa: S105 (a test account)
ACTION_CHOICE = re.compile(r'<option value="([a-z_]+)"')


def staff(django_user_model, username: str, permissions=()):
    user = django_user_model.objects.create_user(username, password=PASSWORD, is_staff=True)
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def every_view_permission() -> list[str]:
    rows = Permission.objects.filter(codename__startswith="view_").values_list("content_type__app_label", "codename")
    return [f"{app_label}.{codename}" for app_label, codename in rows]


def logged_in(server, username: str) -> StaffBrowser:
    browser = StaffBrowser(server.url)
    reply = browser.login(username, PASSWORD)
    assert reply.status == 302 and reply.headers["Location"] == "/admin/", reply.status
    return browser


async def _live(browser: StaffBrowser, then=None):
    """("snapshot", first message) when the socket serves; ("refused", status or close code) when it is refused.
    With `then`, after the first snapshot `then()` runs and the socket must close: ("closed", code)."""
    try:
        socket = await browser.live_socket()
    except websockets.InvalidStatus as refused:  # closed before accept: Daphne answers the handshake with 403
        return "refused", refused.response.status_code
    try:
        async with asyncio.timeout(60):
            first = json.loads(await socket.recv())
            if then is None:
                return "snapshot", first
            await asyncio.to_thread(then)
            while True:  # snapshots may still come until the next check
                await socket.recv()
    except websockets.ConnectionClosed as closed:
        return ("refused" if then is None else "closed"), closed.rcvd.code if closed.rcvd else None
    finally:
        await socket.close()


def live(browser: StaffBrowser, then=None):
    return async_to_sync(_live)(browser, then)


def test_staff_without_permissions_read_nothing(prod_server, django_user_model):
    participant_cookie("flow", "alice")  # there is something to read
    staff(django_user_model, "bare")
    browser = logged_in(prod_server, "bare")
    for path in [*API, "/api/schema/"]:
        reply = browser.get(path)
        assert reply.status == 403 and "alice" not in reply.text, (path, reply.status)
    assert browser.get("/admin/live/").status == 403
    assert live(browser) == ("refused", 403)
    for model in admin.site._registry:
        path = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert browser.get(path).status == 403, path


def test_each_view_permission_opens_its_own_endpoints_only(prod_server, django_user_model):
    participant_cookie("flow", "alice")
    staff(django_user_model, "reader", ["experiments.view_participant"])
    browser = logged_in(prod_server, "reader")
    participants = browser.get("/api/v1/participants/")
    assert participants.status == 200 and participants.json()["results"][0]["external_id"] == "alice"
    assert browser.get("/api/schema/").status == 200
    for path in ("/api/v1/experiments/", "/api/v1/survey-responses/", "/api/v1/scene-visits/"):
        assert browser.get(path).status == 403, path  # answers and visits also need their own view permission
    assert browser.get("/admin/live/").status == 403  # the monitor also shows games
    assert live(browser) == ("refused", 403)

    staff(django_user_model, "watcher", LIVE)
    watcher = logged_in(prod_server, "watcher")
    assert watcher.get("/admin/live/").status == 200
    kind, snapshot = live(watcher)
    assert kind == "snapshot" and snapshot["type"] == "snapshot"


@pytest.mark.parametrize("change", ["deactivated", "permission_removed", "logged_out", "password_changed"])
def test_the_live_socket_closes_when_its_user_may_no_longer_watch(change, prod_server, django_user_model):
    user = staff(django_user_model, "watcher", LIVE)
    browser = logged_in(prod_server, "watcher")

    def revoke():
        if change == "deactivated":
            type(user).objects.filter(pk=user.pk).update(is_active=False)
        elif change == "permission_removed":
            user.user_permissions.remove(Permission.objects.get(codename="view_game"))
        elif change == "logged_out":
            assert browser.logout().status in (200, 302)
        else:
            user.set_password("pw-changed-elsewhere-2")
            user.save()

    assert live(browser, then=revoke) == ("closed", 4003)


def setup_rows():
    """A waiting participant in a room, an active one with an episode: what each action would change."""
    participant_cookie("pairs", "ann")
    participant_cookie("game", "ben")
    ann, ben = Participant.objects.get(external_id="ann"), Participant.objects.get(external_id="ben")
    room = Room.objects.create(experiment=ann.experiment, scene_key="pair")
    now = timezone.now()
    WaitingEntry.objects.create(room=room, participant=ann, joined_at=now, last_seen=now)
    episode = Episode.objects.create(participant=ben, scene_key="play", index=0, seed=1, env="x", code_hash="0" * 64)
    return ann, ben, room, episode


def state(ann, ben, room, episode) -> dict:
    return {
        "statuses": sorted(Participant.objects.values_list("external_id", "status", "rebind_allowed")),
        "accepting": sorted(Experiment.objects.values_list("slug", "is_active")),
        "waits": list(WaitingEntry.objects.filter(room=room).values_list("status", flat=True)),
        "replay": Episode.objects.get(pk=episode.pk).replay_status,
    }


FORGED = [  # (changelist, action, extra form fields): each changes `state` when it runs
    ("/admin/experiments/participant/", "end_sessions", {"apply": "1", "outcome": "excluded"}),
    ("/admin/experiments/participant/", "allow_rebind", {}),
    ("/admin/experiments/experiment/", "pause", {}),
    ("/admin/experiments/episode/", "replay", {}),
    ("/admin/matchmaking/room/", "release", {}),
]


def selected(path: str, ann, ben, room, episode) -> list[int]:
    if "participant" in path:
        return [ann.pk, ben.pk]
    if "experiment/" in path:
        return list(Experiment.objects.values_list("pk", flat=True))
    return [episode.pk] if "episode" in path else [room.pk]


def test_view_only_staff_cannot_run_any_action_even_by_forged_post(prod_server, django_user_model):
    rows = setup_rows()
    staff(django_user_model, "viewer", every_view_permission())
    browser = logged_in(prod_server, "viewer")
    before = state(*rows)
    assert before["waits"] == [WAITING] and before["replay"] == "unchecked"
    for path, action, extra in FORGED:
        page = browser.get(path)
        assert page.status == 200 and action not in ACTION_CHOICE.findall(page.text), (path, action)
        data = {"action": action, "_selected_action": selected(path, *rows), "index": "0", **extra}
        reply = browser.post_form(path, data)
        assert reply.status in (200, 302), (action, reply.status)
        assert state(*rows) == before, action
    # Reading is what a viewer may do: the export of the rows it can see works.
    data = {"action": "export_csv", "_selected_action": selected("participant", *rows), "index": "0"}
    export = browser.post_form("/admin/experiments/participant/", data)
    assert export.status == 200 and "ann" in export.text


@pytest.mark.parametrize(
    ("permission", "path", "action", "extra", "changed"),
    [
        ("experiments.end_session", *FORGED[0], "statuses"),
        ("experiments.allow_rebind", *FORGED[1], "statuses"),
        ("experiments.change_experiment", *FORGED[2], "accepting"),
        ("matchmaking.release_room", *FORGED[4], "waits"),
    ],
)
def test_the_actions_own_permission_lets_it_run(
    permission, path, action, extra, changed, prod_server, django_user_model
):
    """The same POSTs do their work once the permission is granted: the refusals above are the permissions'."""
    rows = setup_rows()
    staff(django_user_model, "operator", [*every_view_permission(), permission])
    browser = logged_in(prod_server, "operator")
    before = state(*rows)
    data = {"action": action, "_selected_action": selected(path, *rows), "index": "0", **extra}
    assert browser.post_form(path, data).status in (200, 302)
    assert state(*rows)[changed] != before[changed]


def test_every_admin_action_declares_its_permissions():
    undeclared = [
        f"{model._meta.label}.{name}"
        for model, model_admin in admin.site._registry.items()
        for function, name, _ in model_admin._get_base_actions()
        if not getattr(function, "allowed_permissions", None)
    ]
    assert undeclared == []
