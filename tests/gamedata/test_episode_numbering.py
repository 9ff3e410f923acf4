"""The server numbers a single-player game's rounds: a reload replays the round cut short (reload_policy "replay",
the default) or counts it as played ("skip"), the round never passes num_episodes, and a second tab of the same
participant takes the game over: the older tab's attempt is interrupted, stays interrupted even when its end
arrives, and its next begin is refused with "superseded" instead of taking the game back."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode
from experiments.gamedata.verification import verification_drain
from testkit.flowhelpers import enter, scene_key, submit
from testkit.gameclient import episode_chunks, post_chunk, runtime_config
from testkit.plainhttp import Browser

pytestmark = pytest.mark.django_db


def begin(client, slug: str, tab: str | None = None):
    body = {"scene_key": "play", **({"tab": tab} if tab else {})}
    return client.post(f"/x/{slug}/episodes/", json.dumps(body), content_type="application/json")


def player(slug: str, pid: str = "p1") -> Client:
    client = Client()
    enter(client, slug, PROLIFIC_PID=pid)
    return client


def play(client, slug: str, begun: dict) -> None:
    """Upload the whole episode the server began, then let the verifier check it (this process has no workers)."""
    for chunk in episode_chunks(runtime_config(client, slug), begun["episode"], begun["seed"]):
        assert post_chunk(client, slug, chunk).status_code == 200
    verification_drain(worker="numbering")


def statuses() -> list[tuple[int, int, str]]:
    return list(Episode.objects.order_by("index").values_list("index", "seed", "status"))


def test_replay_policy_plays_the_interrupted_round_again_and_never_passes_the_last_round():
    client = player("game")
    rounds = []
    for _ in range(4):  # four reloads in round 1: always round 1, same seed
        rounds.append(begin(client, "game").json())
    assert [(b["episode"], b["round"], b["seed"]) for b in rounds] == [(0, 1, 11), (1, 1, 11), (2, 1, 11), (3, 1, 11)]
    play(client, "game", rounds[-1])
    second = begin(client, "game").json()
    assert (second["round"], second["seed"]) == (2, 12)
    play(client, "game", second)
    assert begin(client, "game").json() == {"done": True, "verified": 2, "checking": 0}
    assert [status for _, _, status in statuses()] == ["interrupted"] * 3 + ["complete"] * 2
    submit(client, "game", "play")
    assert Participant.objects.get().current_key == "end"


def test_replay_policy_caps_the_tries_of_a_round():
    client = player("game")
    answers = [begin(client, "game").json() for _ in range(12)]  # 2 rounds x 5 tries
    assert [a["round"] for a in answers[:10]] == [1] * 10 and answers[10]["done"] and answers[11]["done"]
    assert Episode.objects.count() == 10


def test_skip_policy_counts_the_interrupted_round_as_played():
    client = player("game-skip")
    first = begin(client, "game-skip").json()
    chunks = episode_chunks(runtime_config(client, "game-skip"), first["episode"], first["seed"])
    assert post_chunk(client, "game-skip", chunks[0]).status_code == 200
    reloaded = begin(client, "game-skip").json()  # the page was reloaded mid-round 1
    assert (reloaded["episode"], reloaded["round"], reloaded["seed"]) == (1, 2, 12)
    play(client, "game-skip", reloaded)
    assert begin(client, "game-skip").json()["done"]  # two rounds used: never a round 3
    assert statuses() == [(0, 11, "interrupted"), (1, 12, "complete")]
    submit(client, "game-skip", "play")
    assert Participant.objects.get().current_key == "end"  # the scene counts the skipped round as played


def test_a_skip_scene_is_not_complete_while_a_round_is_unplayed():
    client = player("game-skip")
    begin(client, "game-skip")
    begin(client, "game-skip")  # round 1 interrupted, round 2 open
    submit(client, "game-skip", "play")
    assert Participant.objects.get().current_key == "play" and scene_key(client, "game-skip") == "play"


def test_the_newer_tab_wins_and_the_older_tab_is_told():
    client = player("game")
    older = begin(client, "game", tab="tab-a").json()
    chunks = episode_chunks(runtime_config(client, "game"), older["episode"], older["seed"])
    assert post_chunk(client, "game", chunks[0]).json()["episode_status"] == "open"
    newer = begin(client, "game", tab="tab-b").json()
    assert (newer["episode"], newer["round"]) == (1, 1)
    # The older tab plays on for a moment: its rows are kept, its acks say it was interrupted, its end changes
    # nothing (no second complete copy of round 1).
    for chunk in chunks[1:]:
        ack = post_chunk(client, "game", chunk).json()
        assert ack["episode_status"] == "interrupted" and ack["episode"] == 0
    refused = begin(client, "game", tab="tab-a")
    assert refused.status_code == 409 and refused.json()["superseded"] is True
    assert "open in another tab" in refused.json()["error"]
    play(client, "game", newer)
    assert statuses() == [(0, 11, "interrupted"), (1, 11, "complete")]
    taken_over = Episode.objects.get(index=0)
    assert taken_over.n_steps == 130 and taken_over.verification not in ("pending", "verified")
    third = begin(client, "game", tab="tab-b").json()  # the newer tab goes on
    assert (third["episode"], third["round"]) == (2, 2)
    assert Episode.objects.get(index=1).runtime["tab"] == "tab-b"  # kept past the first chunk's runtime report


def test_a_reload_is_a_new_tab_and_wins_even_over_a_tab_that_began_later():
    client = player("game")
    begin(client, "game", tab="a")
    begin(client, "game", tab="b")
    assert begin(client, "game", tab="a").status_code == 409
    assert begin(client, "game", tab="c").status_code == 200  # a new page load (a reload of a or b)
    assert begin(client, "game", tab="b").status_code == 409
    assert Episode.objects.filter(status="open").count() == 1


def test_a_tab_refused_as_superseded_stores_nothing():
    client = player("game")
    begin(client, "game", tab="a")
    begin(client, "game", tab="b")
    before = statuses()
    assert begin(client, "game", tab="a").status_code == 409
    assert statuses() == before and Episode.objects.filter(status="open", index=1).exists()


@pytest.mark.django_db(transaction=True)
def test_two_tabs_against_a_real_server(prod_server):
    """Plain HTTP, one cookie jar (the same browser), two page loads racing: one open episode at a time, the
    older tab refused, rounds never past the scene's two."""
    browser = Browser(prod_server.url)
    browser.enter("game", PROLIFIC_PID="twotabs")
    browser.get("/x/game/flow/")

    def begin_as(tab: str):
        return browser.post_json("/x/game/episodes/", {"scene_key": "play", "tab": tab})

    assert begin_as("a").json()["round"] == 1
    assert begin_as("b").json()["round"] == 1
    again = begin_as("a")
    assert again.status == 409 and again.json()["superseded"] is True
    forged = browser.post_json("/x/game/episodes/", {"scene_key": "play", "tab": ["not", "text"]})
    assert forged.status == 200 and forged.json()["round"] == 1  # no usable tab: treated as a page of its own
    assert Participant.objects.get(external_id="twotabs").status == "active"
    assert Episode.objects.filter(status="open").count() == 1
