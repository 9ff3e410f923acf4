"""A participant in a group game uploads rows that differ from what the relay's input log produces: plain HTTP and
WebSocket clients on a production-like Daphne whose verification worker replays each episode in Pyodide under Node
from the log. A changed reward or observation is stored and named by the exact replay (frame, agent, field); an
action the relay did not log, a row beyond the scene's last step or a frame out of sequence is refused at upload with
its reason, leaving that episode unfinished and the scene not completable. The honest partner's rows stay exact and
they finish as usual."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync

from experiments.flow.models import ACTIVE, Participant
from experiments.gamedata.models import COMPLETE, OPEN, VERIFIED, Episode, Exactness
from testkit.groupplay import PERMANENT, SLUG, Member, RowUploader
from testkit.participants import code_of
from testkit.servers import poll_until, production_daphne
from testkit.wsclient import match_group

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]
VERDICT_S = 300.0  # the worker boots Pyodide and installs the packages first, on a busy 2-core machine
Tamper = Callable[[dict], dict]


@pytest.fixture
def server(tmp_path):
    with production_daphne(
        tmp_path, [f"testkit.relay_experiments:{SLUG.replace('-', '_')}"], MUG_PYODIDE_URL="/static/pyodide/"
    ) as daphne:
        yield daphne


class ForgingUploader(RowUploader):
    """The page's uploader, with each chunk passed through `tampers[episode]` on its way out."""

    def __init__(self, *args, tampers: dict[int, Tamper], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tampers = tampers
        self.answers: list[tuple[int, int, int, str]] = []  # episode, chunk, final status, body

    def _send(self, chunk: dict) -> int:
        tamper = self.tampers.get(chunk["episode"])
        sent = tamper(copy.deepcopy(chunk)) if tamper else chunk
        try:
            response = self.browser.post_json(self.config["data_url"], sent)
        except OSError:
            return 0  # as the page: sent again
        if response.status == 200 or response.status in PERMANENT:  # anything else is sent again: not an answer
            self.answers.append((chunk["episode"], chunk["number"], response.status, response.text[:300]))
        if response.status in PERMANENT:
            self.refused.append(f"{response.status} {response.text[:200]}")
        elif response.status != 200:
            self.retried.append(response.status)
        return response.status


def at_frame(frame: int, change: Callable[[dict], None]) -> Tamper:
    """Change the row of this frame (in whichever chunk carries it)."""

    def tamper(chunk: dict) -> dict:
        for row in chunk["rows"]:
            if row["frame"] == frame:
                change(row)
        return chunk

    return tamper


def reward_plus_one(row: dict) -> None:
    agent = sorted(row["rewards"])[0]
    row["rewards"][agent] += 1


def observation_changed(row: dict) -> None:
    agent = sorted(row["obs"])[0]
    row["obs"][agent] = _changed(row["obs"][agent])


def _changed(value):
    if isinstance(value, list):
        return [_changed(value[0]), *value[1:]]
    if isinstance(value, dict):
        key = sorted(value)[0]
        return {**value, key: _changed(value[key])}
    return value + 1


def partner_action_changed(forger: Member) -> Callable[[dict], None]:
    """The partner's action (its input reached the forger only once the relay had stored it) made another valid
    arrow, not the one played."""

    def change(row: dict) -> None:
        partner = next(agent for agent in sorted(row["actions"]) if agent != forger.player.net.local)
        row["actions"][partner] = (row["actions"][partner] + 1) % 5

    return change


def extra_frame(chunk: dict) -> dict:
    """One row more after the episode's last, copied from it (it ends the episode too)."""
    if chunk["final"]:
        last = chunk["rows"][-1]
        chunk["rows"].append({**copy.deepcopy(last), "frame": last["frame"] + 1})
    return chunk


def frame_skipped(chunk: dict) -> dict:
    """The second chunk skips a frame halfway: from its 31st row on, rows are numbered one past where they belong."""
    if chunk["number"] == 1:
        for row in chunk["rows"][30:]:
            row["frame"] += 1
    return chunk


async def _play(members: list[Member], timeout: float = 150.0) -> None:
    await asyncio.gather(*(asyncio.to_thread(member.enter) for member in members))
    for member in members:
        if getattr(member, "tampers", None):
            member.uploader = ForgingUploader(member.browser, member.config, member.player, tampers=member.tampers)
    await match_group([(m.base_url, m.cookie) for m in members], SLUG)
    episodes = members[0].config["num_episodes"]
    await asyncio.gather(
        *[m.player.play(timeout) for m in members], *[m.uploader.run(episodes, timeout) for m in members]
    )


def play_pair(server, game: str, tampers) -> tuple[Member, Member]:
    """`tampers`: {episode: Tamper}, or a function of the forger giving them."""
    honest, forger = Member(server.url, f"{game}-honest", seed=1), Member(server.url, f"{game}-forger", seed=2)
    forger.tampers = tampers(forger) if callable(tampers) else tampers
    async_to_sync(_play)([honest, forger])
    return honest, forger


def submit(member: Member):
    return member.browser.post_form(f"/x/{SLUG}/flow/", {"scene_key": "pair"})


def verdicts(pid: str) -> list[Episode]:
    def checked():
        episodes = list(Episode.objects.filter(participant__external_id=pid).order_by("index"))
        complete = [e for e in episodes if e.status == COMPLETE]
        return episodes if complete and all(e.exactness != Exactness.UNCHECKED for e in complete) else None

    return poll_until(checked, VERDICT_S)


def assert_honest_exact_and_finished(honest: Member) -> None:
    end = submit(honest)
    assert end.status == 200 and code_of(end), (end.status, end.text[:300])
    episodes = verdicts(honest.pid)
    assert [(e.status, e.verification, e.exactness) for e in episodes] == [(COMPLETE, VERIFIED, Exactness.EXACT)] * 2, [
        e.exactness_report for e in episodes
    ]
    assert Participant.objects.get(external_id=honest.pid).status == "completed"


def difference_of(episode: Episode) -> tuple:
    found = episode.exactness_report["difference"]
    return episode.exactness, found["frame"], found["agent"], found["field"]


def test_changed_rewards_and_observations_are_stored_and_named_by_the_exact_replay(server):
    tampers = {0: at_frame(5, reward_plus_one), 1: at_frame(70, observation_changed)}
    honest, forger = play_pair(server, "values", tampers)
    assert not forger.uploader.refused  # well-formed rows: nothing at upload can tell them from the log's
    end = submit(forger)
    assert end.status == 200 and code_of(end)  # the relay witnessed the play: it counts, the data is flagged
    assert_honest_exact_and_finished(honest)
    reward, observation = verdicts(forger.pid)
    assert difference_of(reward) == (Exactness.DIFFERS, 5, "player_0", "rewards"), reward.exactness_report
    browser, server_value = (
        reward.exactness_report["difference"]["browser"],
        reward.exactness_report["difference"]["server"],
    )
    assert browser != server_value
    assert difference_of(observation) == (Exactness.DIFFERS, 70, "player_0", "obs"), observation.exactness_report


def test_an_action_the_relay_did_not_log_is_refused_and_the_episode_never_counts(server):
    honest, forger = play_pair(server, "actions", lambda forger: {0: at_frame(70, partner_action_changed(forger))})
    answers = [(episode, number, status) for episode, number, status, _ in forger.uploader.answers]
    bodies = {(episode, number): body for episode, number, _, body in forger.uploader.answers}
    # Frame 70 is in the second chunk: refused with its reason, and every later chunk of the episode after it.
    assert answers == [(0, 0, 200), (0, 1, 409), (0, 2, 409), (0, 3, 409), *[(1, n, 200) for n in range(4)]], answers
    partner = next(agent for agent in ("player_0", "player_1") if agent != forger.player.net.local)
    assert f"frame 70: the action of {partner!r} is not the one the relay logged" in bodies[0, 1]
    assert_honest_exact_and_finished(honest)
    forged, played = Episode.objects.filter(participant__external_id=forger.pid).order_by("index")
    assert (forged.status, forged.n_steps) == (OPEN, 60) and played.status == COMPLETE
    assert list(forged.steps.values_list("frame", flat=True)) == list(range(60))  # nothing of the forged chunk
    assert submit(forger).status == 400
    assert Participant.objects.get(external_id=forger.pid).status == ACTIVE


def test_a_frame_out_of_sequence_or_past_the_end_is_refused_and_the_episode_never_counts(server):
    honest, forger = play_pair(server, "frames", {0: frame_skipped, 1: extra_frame})
    answers = [(episode, number, status) for episode, number, status, _ in forger.uploader.answers]
    bodies = {(episode, number): body for episode, number, _, body in forger.uploader.answers}
    # Episode 0: the skipped frame's chunk is refused (400), and every later one starts where nothing was stored.
    assert answers[:4] == [(0, 0, 200), (0, 1, 400), (0, 2, 409), (0, 3, 409)], answers
    assert "consecutive frames" in bodies[0, 1] and "expected 60" in bodies[0, 2]
    # Episode 1: every row as played up to the final chunk, whose extra row is past the scene's last step.
    assert answers[4:] == [(1, 0, 200), (1, 1, 200), (1, 2, 200), (1, 3, 409)], answers
    assert "past the scene's last step" in bodies[1, 3]
    assert_honest_exact_and_finished(honest)
    episodes = Episode.objects.filter(participant__external_id=forger.pid).order_by("index")
    # Witnessed by the relay, but neither ever arrived whole: unfinished, their accepted rows kept, never counted.
    assert [(e.status, e.verification, e.n_steps) for e in episodes] == [(OPEN, VERIFIED, 60), (OPEN, VERIFIED, 180)]
    assert [list(e.steps.values_list("frame", flat=True)) for e in episodes] == [list(range(60)), list(range(180))]
    assert submit(forger).status == 400
    assert Participant.objects.get(external_id=forger.pid).status == ACTIVE
