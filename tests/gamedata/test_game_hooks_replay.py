"""A single-player episode's hook fields count only if the server's replay reproduces them: an honest upload is
verified; a browser that forges a hook field (in a row or in the reset) is caught. Plain HTTP on a production-like
Daphne, verified by its worker processes."""

from __future__ import annotations

import pytest

from experiments.gamedata.models import MISMATCH, PENDING, VERIFIED, Episode
from testkit.attackers import at_game
from testkit.gameclient import begin_episode, episode_chunks, post_chunk
from testkit.servers import poll_until

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "hook-solo"


def played(browser, config) -> list[dict]:
    begun = begin_episode(browser, SLUG, "walk")
    return episode_chunks(config, begun["episode"], begun["seed"], keys=lambda frame: ["ArrowRight"])


def verdict(pid: str) -> Episode:
    poll_until(lambda: not Episode.objects.filter(participant__external_id=pid, verification=PENDING).exists())
    return Episode.objects.get(participant__external_id=pid, index=0)


def upload(browser, chunks) -> None:
    for chunk in chunks:
        response = post_chunk(browser, SLUG, chunk)
        assert response.status_code == 200, response.content


def test_honest_hook_fields_are_verified(prod_server):
    browser, config = at_game(prod_server, SLUG, "honest")
    chunks = played(browser, config)
    assert chunks[0]["rows"][3]["infos"]["1"]["hook.frame"] == 3
    upload(browser, chunks)
    episode = verdict("honest")
    assert episode.verification == VERIFIED and episode.steps.get(frame=3).infos["0"]["hook.frame"] == 3


@pytest.mark.parametrize(
    ("where", "field"),
    [("row", "hooks"), ("end", "hooks"), ("reset", "hooks")],
)
def test_a_forged_hook_field_is_caught_by_the_replay(prod_server, where, field):
    browser, config = at_game(prod_server, SLUG, "forger")
    chunks = played(browser, config)
    if where == "row":
        chunks[0]["rows"][7]["infos"]["1"]["hook.reward_sum"] = 99
    elif where == "end":
        chunks[-1]["rows"][-1]["infos"]["1"]["hook.total"] = 1e6
    else:
        chunks[0]["meta"]["reset"]["infos"]["1"]["hook.start.seed"] = 1
    upload(browser, chunks)
    episode = verdict("forger")
    assert episode.verification == MISMATCH and episode.verification_report["mismatch"]["field"] == field
