"""Test studies of per-seat page content (GymScene.in_game_body / after_body given as a function) and game hooks."""

from __future__ import annotations

from html import escape

from experiments.study import EndScene, Experiment, Netcode
from testkit.agentid_experiments import int_scene
from testkit.room_experiments import quick_room
from testkit.server_experiments import server_gather

COLOURS = {0: "red", 1: "blue"}  # the int-id env's agents, as the env names them


def seat_line(agent, participant) -> str:
    """Tells each seat which agent it controls; the agent arrives as the env's own int id."""
    if not isinstance(agent, int):
        raise TypeError(f"expected the env's int id, got {agent!r}")
    who = escape(participant.external_id or "someone")
    return f'<p class="who">You are the {COLOURS[agent]} walker (agent {agent}), {who} from {participant.source}.</p>'


def seat_after(agent, participant) -> str:
    return f'<p class="after-who">Thanks for playing the {COLOURS[agent]} walker.</p>'


def seat_named(agent, participant) -> str:
    return f'<p class="who">You control {escape(str(agent))}.</p>'


def seat_unknown_agent(agent, participant) -> str:
    """Knows only agent 0: a study whose other seat would see an error fails at load."""
    return {0: "<p>red</p>"}[agent]


def seat_not_text(agent, participant):
    return None


SEAT_BODIES = {
    "in_game_body": "testkit.hook_experiments:seat_line",
    "after_body": "testkit.hook_experiments:seat_after",
}

seat_pair = Experiment(
    slug="seat-pair",
    title="Two humans over the relay; each page says which walker its player controls; game hooks",
    stager=[
        int_scene(
            "walk2",
            {0: "human", 1: "human"},
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(input_delay=2, window=8, lagging_s=0.5, dropout_s=5.0),
            max_steps=20,
            hooks="testkit.envs.game_hooks:WalkHooks",  # the relay's referee and every rollback run them too
            **SEAT_BODIES,
        ),
        EndScene(scene_id="end"),
    ],
)

seat_solo = Experiment(
    slug="seat-solo",
    title="One human (agent 1) against a random agent 0; the page says which walker the player controls",
    stager=[int_scene("walk", {0: "random", 1: "human"}, max_steps=20, **SEAT_BODIES), EndScene(scene_id="end")],
)


WALK_HOOKS = "testkit.envs.game_hooks:WalkHooks"

hook_solo = Experiment(
    slug="hook-solo",
    title="One human (agent 1) against a random agent 0, with game hooks whose fields join each row",
    stager=[
        int_scene("walk", {0: "random", 1: "human"}, max_steps=25, num_episodes=2, hooks=WALK_HOOKS),
        EndScene(scene_id="end"),
    ],
)

hook_server = Experiment(
    slug="hook-server",
    title="Gather alone on the server, with game hooks and the seat's own text",
    stager=[
        server_gather(steps=20, episodes=1, hooks=WALK_HOOKS, in_game_body="testkit.hook_experiments:seat_named"),
        EndScene(scene_id="end"),
    ],
)
