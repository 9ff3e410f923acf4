"""Single-player browser episodes count only once the server verified them: strict per-row checks at upload, the
storage bounds, a replay by worker processes (durable queue, no double checks) and the mismatch policies. Attacks
over plain HTTP on production-like Daphne processes."""

from __future__ import annotations

import copy
from io import StringIO

import pytest
from django.core.management import call_command

from experiments.flow.models import ACTIVE, CompletionCode, Participant
from experiments.gamedata.models import MISMATCH, PENDING, VERIFIED, Episode, Step
from experiments.study import COMPLETED, EXCLUDED
from testkit.attackers import Attacker, at_game, submit_scene
from testkit.fixture_experiments import PATHS
from testkit.gameclient import begin_episode, episode_chunks, post_chunk
from testkit.servers import poll_until, production_daphne

pytestmark = pytest.mark.django_db(transaction=True)


def upload(browser: Attacker, slug: str, chunks: list[dict]) -> None:
    for chunk in chunks:
        response = post_chunk(browser, slug, chunk)
        assert response.status_code == 200, response.content


def honest_episode(browser: Attacker, config: dict, slug: str = "game") -> list[dict]:
    begun = begin_episode(browser, slug, "play")
    keys = lambda frame: [["ArrowLeft", "ArrowUp"][frame % 2]]  # noqa: E731
    return episode_chunks(config, begun["episode"], begun["seed"], keys=keys)


def verdict(pid: str, index: int) -> str:
    return poll_until(
        lambda: (
            Episode.objects.filter(participant__external_id=pid, index=index)
            .exclude(verification=PENDING)
            .values_list("verification", flat=True)
            .first()
        )
    )


def test_honest_episodes_are_verified_by_a_worker_and_the_page_waits_for_them(prod_server):
    browser, config = at_game(prod_server, "game", "honest")
    for _ in range(2):
        upload(browser, "game", honest_episode(browser, config))
    # The page asks until nothing is being checked any more ("Checking your game data…"), then posts the scene.
    progress = poll_until(lambda: (p := begin_episode(browser, "game", "play"))["checking"] == 0 and p)
    assert progress == {"done": True, "verified": 2, "checking": 0}
    assert submit_scene(browser, "game", "play").status_code == 302
    assert "completion-code" in browser.get("/x/game/flow/").text
    assert Participant.objects.get(external_id="honest").status == COMPLETED
    episodes = Episode.objects.filter(participant__external_id="honest")
    assert all(e.verification == VERIFIED and e.verification_report["status"] == "match" for e in episodes)


def test_a_forged_reward_of_1e9_is_caught_by_the_replay_and_earns_no_code(prod_server):
    browser, config = at_game(prod_server, "game", "forger")
    chunks = honest_episode(browser, config)
    chunks[1]["rows"][5]["rewards"]["chaser"] = 1e9
    upload(browser, "game", chunks)  # plausible on its face: a finite number for a real agent
    assert verdict("forger", 0) == MISMATCH
    report = Episode.objects.get(participant__external_id="forger").verification_report
    assert report["mismatch"]["frame"] == 65 and report["mismatch"]["field"] == "rewards"
    poll_until(lambda: Participant.objects.get(external_id="forger").status != ACTIVE)
    assert Participant.objects.get(external_id="forger").status == EXCLUDED  # the default policy
    submit_scene(browser, "game", "play")
    assert "completion-code" not in browser.get("/x/game/flow/").text
    assert not CompletionCode.objects.filter(participant__external_id="forger", outcome=COMPLETED).exists()


BAD_ACTIONS = [
    (1.0, "must be an integer"),
    (True, "must be an integer"),
    ({"nested": 1}, "must be an integer"),
    ("x" * 1_900_000, "must be an integer"),
    (7, "outside 0..4"),
    (-1, "outside 0..4"),
    ([1], "must be an integer"),
    (None, "must be an integer"),
]


def test_actions_outside_the_action_space_or_of_the_wrong_type_are_refused_and_store_nothing(prod_server):
    browser, config = at_game(prod_server, "game", "fuzzer")
    chunk = honest_episode(browser, config)[0]
    for action, message in BAD_ACTIONS:
        bad = copy.deepcopy(chunk)
        bad["rows"][3]["actions"]["chaser"] = action
        response = post_chunk(browser, "game", bad)
        assert response.status_code in (400, 413) and message in response.json()["error"], (action, response.text)
    for name, value, message in [
        ("actions", {"chaser": 0, "ghost": 0}, "does not have"),
        ("actions", {}, "no agent acted"),
        ("rewards", {"ghost": 1.0}, "does not have"),
        ("infos", {"chaser": {"pad": "x" * 70_000}}, "bytes; at most"),
    ]:
        bad = copy.deepcopy(chunk)
        bad["rows"][3][name] = value
        response = post_chunk(browser, "game", bad)
        assert response.status_code in (400, 413) and message in response.json()["error"], (name, response.text)
    assert not Step.objects.exists() and Episode.objects.get().n_steps == 0
    assert post_chunk(browser, "game", chunk).status_code == 200  # the honest chunk still goes in


def test_no_row_past_max_steps(prod_server):
    browser, config = at_game(prod_server, "game", "stuffer")
    chunk = honest_episode(browser, config)[0]
    rows = [
        {
            **chunk["rows"][0],
            "frame": frame,
            "terminated": {"chaser": False, "runner": False},
            "truncated": {"chaser": False, "runner": False},
        }
        for frame in range(131)
    ]
    for number, first in enumerate(range(0, 131, 60)):
        part = {**chunk, "number": number, "first_frame": first, "rows": rows[first : first + 60], "final": False}
        response = post_chunk(browser, "game", part)
        if first + 60 <= 130:
            assert response.status_code == 200, response.text
    assert response.status_code == 409 and "past the scene's last step" in response.json()["error"]
    assert Episode.objects.get().n_steps == 120


def test_one_participant_cannot_store_more_than_the_bound(tmp_path):
    with production_daphne(tmp_path, PATHS, MUG_MAX_PARTICIPANT_BYTES="30000") as server:
        browser, config = at_game(server, "game", "hoarder")
        chunks = honest_episode(browser, config)  # about 20 kB a chunk
        assert post_chunk(browser, "game", chunks[0]).status_code == 200
        refused = post_chunk(browser, "game", chunks[1])
        assert refused.status_code == 413 and "the limit is 30000" in refused.json()["error"]
        stored = Episode.objects.get()
        assert stored.n_bytes <= 30000 and stored.n_steps == 60 == Step.objects.count()


def test_the_replay_policy_has_the_round_played_again(tmp_path):
    with production_daphne(tmp_path, PATHS) as server:
        browser, config = at_game(server, "game-replay", "sloppy")
        chunks = honest_episode(browser, config, "game-replay")
        chunks[0]["rows"][0]["rewards"]["chaser"] += 1.0  # a reward the env never gave
        upload(browser, "game-replay", chunks)
        assert verdict("sloppy", 0) == MISMATCH
        assert Participant.objects.get(external_id="sloppy").status == ACTIVE
        again = begin_episode(browser, "game-replay", "play")
        assert again == {"done": False, "episode": 1, "round": 1, "seed": 11}  # the same round, again
        upload(browser, "game-replay", episode_chunks(config, 1, 11))
        upload(browser, "game-replay", honest_episode(browser, config, "game-replay"))
        poll_until(lambda: begin_episode(browser, "game-replay", "play")["checking"] == 0)
        assert begin_episode(browser, "game-replay", "play") == {"done": True, "verified": 2, "checking": 0}
        assert submit_scene(browser, "game-replay", "play").status_code == 302
        counted = Episode.objects.filter(verification=VERIFIED).values_list("index", "seed")
        assert sorted(counted) == [(1, 11), (2, 12)]


def test_a_restarted_server_picks_up_pending_episodes(tmp_path):
    with production_daphne(tmp_path, PATHS, MUG_VERIFY_WORKERS="0") as server:
        browser, config = at_game(server, "game", "patient")
        upload(browser, "game", honest_episode(browser, config))
        assert Episode.objects.get().verification == PENDING  # stored, queued, and nobody to check it
    with production_daphne(tmp_path, PATHS, MUG_VERIFY_WORKERS="1") as server:
        Attacker(server.url).get("/")  # the first request starts the workers
        assert verdict("patient", 0) == VERIFIED


def test_two_servers_with_two_workers_each_never_verify_an_episode_twice(tmp_path):
    with production_daphne(tmp_path, PATHS, MUG_VERIFY_WORKERS="0") as server:
        for n in range(5):
            browser, config = at_game(server, "game", f"p{n}")
            for _ in range(2):
                upload(browser, "game", honest_episode(browser, config))
    assert Episode.objects.filter(verification=PENDING).count() == 10
    with (
        production_daphne(tmp_path, PATHS, MUG_VERIFY_WORKERS="2") as one,
        production_daphne(tmp_path, PATHS, MUG_VERIFY_WORKERS="2") as two,
    ):
        Attacker(one.url).get("/")
        Attacker(two.url).get("/")
        poll_until(lambda: not Episode.objects.filter(verification=PENDING).exists())
    assert list(Episode.objects.values_list("verify_runs", flat=True)) == [1] * 10
    assert set(Episode.objects.values_list("verification", flat=True)) == {VERIFIED}
    workers = {e.verification_report["worker"] for e in Episode.objects.all()}
    assert workers == set(Episode.objects.values_list("verify_claimed_by", flat=True))


def test_staff_see_the_verification_in_the_episode_admin(prod_server, django_user_model):
    browser, config = at_game(prod_server, "game", "seen")
    chunks = honest_episode(browser, config)
    chunks[0]["rows"][2]["rewards"]["chaser"] = 1e9
    upload(browser, "game", chunks)
    verdict("seen", 0)
    django_user_model.objects.create_superuser("staff", "staff@example.org", "pw-staff-123")
    staff = Attacker(prod_server.url)
    login = staff.get("/admin/login/")
    assert login.status_code == 200
    staff.post("/admin/login/?next=/admin/", {"username": "staff", "password": "pw-staff-123"})
    page = staff.get("/admin/experiments/episode/?verification=mismatch")
    assert page.status_code == 200 and "Differs from the replay" in page.text
    detail = staff.get(f"/admin/experiments/episode/{Episode.objects.get().pk}/change/")
    assert detail.status_code == 200 and "rewards" in detail.text and "Differs from the replay" in detail.text


def test_the_management_command_checks_what_is_pending(tmp_path):
    """Operators may run the workers apart from the web processes (MUG_VERIFY_WORKERS=0 there)."""
    with production_daphne(tmp_path, PATHS, MUG_VERIFY_WORKERS="0") as server:
        browser, config = at_game(server, "game", "later")
        upload(browser, "game", honest_episode(browser, config))
    out = StringIO()
    call_command("verify_episodes", "--once", stdout=out)
    assert "1 episodes checked" in out.getvalue() and Episode.objects.get().verification == VERIFIED
