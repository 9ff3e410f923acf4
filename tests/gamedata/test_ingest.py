"""Step-data ingest: stored rows, idempotent re-sends, ordering, bad chunks, and completion gating."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from experiments.flow.models import CompletionCode, Participant
from experiments.gamedata.models import Episode, Step, StepChunk
from testkit.flowhelpers import enter, page, scene_key, submit
from testkit.gameclient import begin_episode, episode_chunks, play_scene, post_chunk, runtime_config

pytestmark = pytest.mark.django_db


@pytest.fixture
def player():
    client = Client()
    enter(client, "game", PROLIFIC_PID="gamer1")
    return client


@pytest.fixture
def first_episode(player):
    config = runtime_config(player, "game")
    begun = begin_episode(player, "game", "play")
    assert begun == {"done": False, "episode": 0, "round": 1, "seed": 11}
    return config, episode_chunks(config, 0, begun["seed"])


def test_a_played_scene_stores_every_step_and_then_advances(player):
    config = play_scene(player, "game")
    episodes = list(Episode.objects.order_by("index"))
    assert [(e.index, e.seed, e.status) for e in episodes] == [(0, 11, "complete"), (1, 12, "complete")]
    assert all(e.code_hash == config["code_hash"] and e.env == "examples.tag.env:make" for e in episodes)
    for episode in episodes:
        frames = list(episode.steps.values_list("frame", flat=True))
        assert frames == list(range(episode.n_steps)) and episode.n_steps > 0
    step = Step.objects.filter(episode=episodes[0]).first()
    assert step.actions["chaser"] == 3 and set(step.actions) == {"chaser", "runner"}
    assert set(step.rewards) == {"chaser", "runner"} and len(step.observations["chaser"]) == 4
    assert "reset" not in step.infos and "obs" in episodes[0].reset_data
    assert submit(player, "game", "play").status_code == 302
    html = page(player, "game").content.decode()
    assert Participant.objects.get().status == "completed"
    assert Participant.objects.get().completion_code.code in html


def test_the_scene_cannot_be_left_before_all_data_arrived(player, first_episode):
    _, chunks = first_episode
    for chunk in chunks[:-1]:
        assert post_chunk(player, "game", chunk).status_code == 200
    response = submit(player, "game", "play")
    assert response.status_code == 400 and "has not all reached the server" in response.content.decode()
    assert scene_key(player, "game") == "play" and not Participant.objects.get().is_finished


def test_a_resent_chunk_is_acknowledged_once_and_stored_once(player, first_episode):
    _, chunks = first_episode
    first = post_chunk(player, "game", chunks[0]).json()
    again = post_chunk(player, "game", chunks[0]).json()
    assert (first["duplicate"], again["duplicate"]) == (False, True) and first["ack"] == again["ack"] == 0
    assert Step.objects.count() == len(chunks[0]["rows"]) and StepChunk.objects.count() == 1
    for chunk in chunks[1:]:
        post_chunk(player, "game", chunk)
    assert post_chunk(player, "game", chunks[-1]).json()["duplicate"] is True  # even after the episode is complete


def test_a_replayed_chunk_id_with_other_content_is_refused_and_changes_nothing(player, first_episode):
    _, chunks = first_episode
    post_chunk(player, "game", chunks[0])
    before = list(Step.objects.order_by("frame").values_list("frame", "rewards"))
    forged = {**chunks[0], "rows": [{**chunks[0]["rows"][0], "rewards": {"chaser": 99, "runner": 0}}]}
    response = post_chunk(player, "game", forged)
    assert response.status_code == 409 and "other content" in response.json()["error"]
    assert list(Step.objects.order_by("frame").values_list("frame", "rewards")) == before


def test_out_of_order_chunks_are_refused(player, first_episode):
    _, chunks = first_episode
    response = post_chunk(player, "game", chunks[1])
    assert response.status_code == 409 and "expected 0" in response.json()["error"]
    never_begun = {**chunks[0], "episode": 3}
    response = post_chunk(player, "game", never_begun)
    assert response.status_code == 409 and "never begun" in response.json()["error"]
    assert not Step.objects.exists()


@pytest.mark.parametrize(
    ("mutate", "status", "message"),
    [
        (lambda c: json.dumps(c).replace('"chaser": -0.01', '"chaser": NaN', 1), 400, "NaN is not a valid number"),
        (lambda c: json.dumps(c).replace('"chaser": -0.01', '"chaser": Infinity', 1), 400, "Infinity is not a valid"),
        (lambda c: json.dumps(c)[:-5], 400, "not valid JSON"),
        (lambda c: json.dumps({**c, "number": -1}), 400, "number must be an integer"),
        (lambda c: json.dumps({**c, "rows": [{**c["rows"][0], "frame": 5}]}), 400, "consecutive frames"),
        (lambda c: json.dumps({**c, "rows": [{**c["rows"][0], "rewards": {"chaser": "1"}}]}), 400, "finite number"),
        (lambda c: json.dumps({**c, "rows": c["rows"] * 20}), 400, "at most 600 rows"),
        (lambda c: json.dumps({**c, "pad": "x" * 2_100_000}), 413, "the limit is"),
        (lambda c: json.dumps({**c, "scene_key": "end"}), 409, "not at scene"),
    ],
)
def test_bad_chunks_get_a_clear_error_and_store_nothing(player, first_episode, mutate, status, message):
    _, chunks = first_episode
    response = post_chunk(player, "game", mutate(chunks[0]))
    assert response.status_code == status
    assert message in response.json()["error"]
    assert not Step.objects.exists() and not StepChunk.objects.exists()
    assert Episode.objects.get().n_steps == 0


def test_data_goes_to_the_cookie_owner_only(player, first_episode):
    _, chunks = first_episode
    stranger = Client()
    assert post_chunk(stranger, "game", chunks[0]).status_code == 403
    other = Client()
    enter(other, "game", PROLIFIC_PID="gamer2")
    response = post_chunk(other, "game", chunks[0])  # gamer2 has begun no episode: gamer1's is not reachable
    assert response.status_code == 409 and "never begun" in response.json()["error"]
    begin_episode(other, "game", "play")
    assert post_chunk(other, "game", chunks[0]).status_code == 200  # stored as gamer2's own episode 0
    assert post_chunk(player, "game", chunks[0]).json()["duplicate"] is False
    assert sorted(Episode.objects.values_list("participant__external_id", "n_steps")) == [
        ("gamer1", 60),
        ("gamer2", 60),
    ]


def test_a_reload_mid_episode_keeps_the_partial_episode_and_replays_the_seed(player, first_episode):
    config, chunks = first_episode
    post_chunk(player, "game", chunks[0])
    # The reloaded page begins a new attempt; the old page's last chunk arrives after that.
    assert begin_episode(player, "game", "play") == {"done": False, "episode": 1, "round": 1, "seed": 11}
    assert post_chunk(player, "game", chunks[1]).status_code == 200
    for chunk in episode_chunks(config, 1, 11):
        assert post_chunk(player, "game", chunk).status_code == 200
    play_scene(player, "game")
    assert list(Episode.objects.order_by("index").values_list("index", "seed", "status")) == [
        (0, 11, "interrupted"),
        (1, 11, "complete"),
        (2, 12, "complete"),
    ]
    interrupted = Episode.objects.get(index=0)
    assert interrupted.n_steps == 120 and interrupted.steps.count() == 120


def test_no_more_episodes_than_the_scene_has(player):
    play_scene(player, "game")
    assert begin_episode(player, "game", "play") == {"done": True, "verified": 2, "checking": 0}
    assert Episode.objects.count() == 2


def test_runtime_error_ends_the_flow_with_its_own_outcome_and_no_code(player):
    response = player.post(
        "/x/game/runtime-error/",
        json.dumps({"scene_key": "play", "stage": "load", "message": "no WebAssembly"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["next"] == "/x/game/flow/"
    participant = Participant.objects.get()
    assert participant.status == "runtime_error" and participant.runtime_errors[0]["message"] == "no WebAssembly"
    html = page(player, "game").content.decode()
    assert "technical problem" in html and not CompletionCode.objects.exists()  # a browser's word earns no code
    again = player.post("/x/game/runtime-error/", "{}", content_type="application/json")
    assert again.status_code == 400
