"""The live monitor shows verification: per experiment, the episodes that differ bit for bit from their replay in
Pyodide, those the deciding check found different, those still waiting (single-player pending, group episodes not
yet replayed from the relay's log), and the latest differing episodes with their first difference and a link to the
episode's admin page, read with a bounded number of queries. (Who may open the socket: test_live_monitor.py.)"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from experiments.control.live import live_snapshot
from experiments.control.live_verification import LATEST, latest_mismatches, verification_counts
from experiments.flow.models import Participant
from experiments.gamedata.exact_compare import difference
from experiments.gamedata.models import COMPLETE, MISMATCH, PENDING, VERIFIED, Episode, Exactness
from testkit.flowhelpers import enter
from testkit.staffclient import StaffBrowser

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-watcher-1"  # noqa: S105 (a test account)
NOTHING = {"differs": 0, "mismatch": 0, "pending": 0, "group_unchecked": 0}


def participant(slug: str, pid: str) -> Participant:
    enter(Client(), slug, PROLIFIC_PID=pid)
    return Participant.objects.get(external_id=pid)


def episode(who: Participant, index: int, *, minutes_ago: int = 0, **fields) -> Episode:
    return Episode.objects.create(
        participant=who,
        scene_key="play",
        index=index,
        seed=index,
        env="e:make",
        code_hash="h",
        status=COMPLETE,
        n_steps=10,
        ended_at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


def exact_difference(frame, field, browser, server) -> dict:
    """A report as the exact verifier stores it (its own comparison builds the difference)."""
    return {"verifier": "pyodide", "frames_compared": frame, "difference": difference(frame, field, browser, server)}


@pytest.fixture
def stored():
    ann, ben, cat = participant("game", "ann"), participant("game", "ben"), participant("flow", "cat")
    rows = {
        # a reward changed in its last bit: exact says it differs (the native check passed it)
        "last_bit": episode(
            ann,
            0,
            minutes_ago=3,
            verification=VERIFIED,
            exactness=Exactness.DIFFERS,
            exactness_report=exact_difference(7, "rewards", {"p": 1.0000000000000002}, {"p": 1.0}),
        ),
        # the deciding check found another observation (and so did the exact one)
        "both": episode(
            ann,
            1,
            minutes_ago=2,
            verification=MISMATCH,
            verification_report={"status": "mismatch", "mismatch": {"frame": 4, "field": "observations"}},
            exactness=Exactness.DIFFERS,
            exactness_report=exact_difference(4, "obs", {"p": [0.5, 1.0]}, {"p": [0.5, 2.0]}),
        ),
        # native only (no Pyodide here): a mismatch the exact verifier could not judge
        "native": episode(
            ben,
            0,
            minutes_ago=1,
            verification=MISMATCH,
            verification_report={"status": "mismatch", "mismatch": {"frame": 2, "field": "actions"}},
            exactness=Exactness.NOT_VERIFIABLE,
            exactness_report={"reason": "no node"},
        ),
        "exact": episode(ben, 1, verification=VERIFIED, exactness=Exactness.EXACT),
        "pending": episode(ben, 2, verification=PENDING),
        "group_waiting": episode(cat, 0, verification=VERIFIED, provenance={"group": True}),
        "group_exact": episode(cat, 1, verification=VERIFIED, exactness=Exactness.EXACT, provenance={"group": True}),
        "solo_verified_unchecked": episode(cat, 2, verification=VERIFIED, provenance={"group": False}),
    }
    return rows


def watcher(server, django_user_model) -> StaffBrowser:
    """Staff who may watch the monitor and open episodes, logged in through the admin's login form."""
    user = django_user_model.objects.create_user("watcher", password=PASSWORD, is_staff=True)
    for codename in ("view_participant", "view_game", "view_episode"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    browser = StaffBrowser(server.url)
    assert browser.login("watcher", PASSWORD).status == 302
    return browser


def first_snapshot(browser: StaffBrowser) -> dict:
    async def scenario():
        socket = await browser.live_socket()
        try:
            async with asyncio.timeout(60):
                return json.loads(await socket.recv())
        finally:
            await socket.close()

    return async_to_sync(scenario)()


def test_staff_see_counts_per_experiment_and_the_latest_differences_with_links(prod_server, django_user_model, stored):
    browser = watcher(prod_server, django_user_model)
    snapshot = first_snapshot(browser)
    experiments = {e["slug"]: e for e in snapshot["experiments"]}
    assert experiments["game"]["verification"] == {"differs": 2, "mismatch": 2, "pending": 1, "group_unchecked": 0}
    assert experiments["flow"]["verification"] == {**NOTHING, "group_unchecked": 1}
    assert experiments["cartpole"]["verification"] == NOTHING
    listed = [(row["participant"], row["episode"]) for row in snapshot["mismatches"]]
    assert listed == [("ben", 0), ("ann", 1), ("ann", 0)]  # newest ended first; exact and pending ones are absent
    native, both, last_bit = snapshot["mismatches"]
    assert (last_bit["check"], last_bit["frame"], last_bit["agent"], last_bit["field"]) == ("exact", 7, "p", "rewards")
    assert (both["check"], both["frame"], both["agent"], both["field"]) == ("exact", 4, "p", "obs")
    assert (native["check"], native["frame"], native["agent"], native["field"]) == ("verification", 2, None, "actions")
    assert (native["experiment"], native["scene_key"], native["verification"]) == ("game", "play", "mismatch")
    for row, key in ((last_bit, "last_bit"), (native, "native")):
        page = browser.get(row["admin_url"])
        assert page.status == 200 and f"/{stored[key].pk}/" in row["admin_url"]
        assert str(stored[key]) in page.text and "differs" in page.text.lower()


def test_the_counts_follow_the_stored_verdicts(stored):
    group = stored["group_waiting"]
    Episode.objects.filter(pk=group.pk).update(
        exactness=Exactness.DIFFERS,
        exactness_report=exact_difference(12, "actions", {"p": 3}, {"p": 1}),
        ended_at=timezone.now(),
    )
    Episode.objects.filter(pk=stored["pending"].pk).update(verification=VERIFIED, exactness=Exactness.EXACT)
    snapshot = live_snapshot()
    experiments = {e["slug"]: e for e in snapshot["experiments"]}
    assert experiments["flow"]["verification"] == {**NOTHING, "differs": 1}
    assert experiments["game"]["verification"]["pending"] == 0
    newest = snapshot["mismatches"][0]
    assert (newest["participant"], newest["frame"], newest["field"], newest["agent"]) == ("cat", 12, "actions", "p")


def read_verification() -> tuple[dict, list]:
    return verification_counts(), latest_mismatches()


def test_the_list_is_bounded_and_its_queries_do_not_grow_with_it(stored):
    with CaptureQueriesContext(connection) as few:
        counts, shown = read_verification()
    assert len(shown) == 3 and counts["game"]["differs"] == 2
    dan = participant("game", "dan")
    for index in range(30):
        episode(dan, index, verification=VERIFIED, exactness=Exactness.DIFFERS, exactness_report={"difference": None})
    with CaptureQueriesContext(connection) as many:
        counts, shown = read_verification()
    assert len(shown) == LATEST and {row["participant"] for row in shown} == {"dan"}
    assert counts["game"]["differs"] == 32
    assert len(many.captured_queries) == len(few.captured_queries) == 2
