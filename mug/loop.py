"""Plays a GymScene one frame per call: input to actions, one env step, a render packet and a data row.

The browser's worker calls `boot`, `start` and `tick` (JSON strings in and out, one call per frame);
the server's replay check uses `GameLoop` directly with recorded actions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mug.adapters import (
    SINGLE_AGENT,
    agent_key,
    coerce_action,
    finite_reward,
    flatten,
    load_callable,
    make_adapter,
    to_jsonable,
)
from mug.hooks import HookStep, call_hook, load_hooks, merged
from mug.keys import KeyMap
from mug.policies import HUMAN, RANDOM, make_policy
from mug.rendering.wire import is_anchor_packet, to_packet

__all__ = ["HUMAN", "RANDOM", "GameLoop", "LoopConfig", "boot", "start", "tick"]


@dataclass
class LoopConfig:
    """What the server tells the runtime about a scene (built from the GymScene definition)."""

    env: str
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    agents: dict[str, Any] = field(default_factory=lambda: {SINGLE_AGENT: HUMAN})  # "human" or a policy spec
    keys: dict[str, Any] = field(default_factory=dict)
    default_action: Any = 0
    input_mode: str = "held"
    fps: int = 30
    num_episodes: int = 1
    max_steps: int | None = None
    render_mode: str = "mug"
    record_observations: bool = True
    width: int = 600
    height: int = 400
    background: str = "#ffffff"
    hud: bool = True
    hud_text: str | None = None  # "module:function"(env, agent, info) -> str: the scene's own HUD line per seat
    agent_labels: dict[str, str] = field(default_factory=dict)  # agent -> who a player is told they are
    # A single-agent env written for the anchor MUG: it steps with (and may return) dicts keyed by this agent id.
    agent_dicts: str | None = None
    hooks: str | None = None  # "package.module:Class": the scene's game hooks (mug.hooks), run wherever the env runs
    # AI agents of a group game whose actions travel through the relay like a seat's (one browser runs their ONNX
    # model: mug.netplay); the loop plays them from inputs, never with a policy of its own.
    relayed: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoopConfig:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


class GameLoop:
    """One env and its episodes; each `step_frame` advances exactly one frame."""

    def __init__(self, config: LoopConfig) -> None:
        self.config = config
        self.adapter = make_adapter(config.env, config.env_kwargs, config.render_mode, config.agent_dicts)
        self.keymap = KeyMap(config.keys, config.default_action)
        # Agents by key (their ids as text, as JSON carries them); the adapter gives the env its own ids.
        agents = {agent_key(agent): policy for agent, policy in config.agents.items()}
        self.humans = [agent for agent, policy in agents.items() if policy == HUMAN]
        self.policies = {
            agent: make_policy(_spec(agents.get(agent, RANDOM)), self.adapter.action_space(agent))
            for agent in self.adapter.possible_agents
            if agent not in self.humans and agent not in config.relayed
        }
        self.hud_fn = load_callable(config.hud_text) if config.hud_text else None
        self.hooks = load_hooks(config.hooks) if config.hooks else None
        self.observations: dict[str, Any] = {}
        self.queries: dict[str, Any] = {}
        self.episode = -1
        self.seed = 0
        self.frame = 0
        self.scores: dict[str, float] = {}
        self.over = True

    def start_episode(self, episode: int, seed: int) -> dict[str, Any]:
        """Reset with the server's seed; returns the first render and the reset observations."""
        _seed_global_rngs(seed)
        observations, infos = self.adapter.reset(seed)
        for offset, agent in enumerate(self.adapter.possible_agents):
            if agent in self.policies:  # AI agents draw from the episode seed, so a replay draws the same
                self.policies[agent].reset(seed, offset)
        self.episode, self.frame, self.over, self.seed = episode, 0, False, seed
        self.scores = {agent: 0 for agent in self.adapter.possible_agents}
        self.observations = observations
        self.queries = self._queries()
        reset = {"infos": {a: flatten(i) for a, i in infos.items()}}
        if self.hooks is not None:
            fields = call_hook(self.hooks, "on_episode_start", self.adapter.env, episode, seed)
            reset["infos"] = merged(reset["infos"], self.adapter.possible_agents, fields)
        if self.config.record_observations:
            reset["obs"] = to_jsonable(observations)
        return {"render": self.render(), "hud": self.hud(), "reset": reset, "queries": self.queries}

    def actions_for(self, held: list[str], presses: list[str], inference: dict | None = None) -> dict[str, Any]:
        """The action of every live agent this frame: keys for humans, the policy for the others."""
        human_action = self.keymap.pressed(presses) if self.config.input_mode == "press" else self.keymap.held(held)
        live = self.adapter.live_agents()
        return {**{agent: human_action for agent in live if agent in self.humans}, **self.ai_actions(inference)}

    def ai_actions(self, inference: dict | None = None) -> dict[str, Any]:
        """The AI agents' actions this frame; `inference` holds the model outputs asked for by `queries`."""
        inference = inference or {}
        missing = set(self.queries) - set(inference)
        if missing:
            raise RuntimeError(f"no model outputs for {sorted(missing)} at frame {self.frame}")
        return {
            agent: self.policies[agent].act(self.frame, self.observations.get(agent), inference.get(agent))
            for agent in self.adapter.live_agents()
            if agent in self.policies
        }

    def _queries(self) -> dict[str, Any]:
        """Model inputs to run before the next frame, by agent (only ONNX agents due this frame ask)."""
        queries = {}
        for agent in self.adapter.live_agents():
            if agent in self.policies:
                query = self.policies[agent].query(self.frame, self.observations.get(agent))
                if query is not None:
                    queries[agent] = query
        return queries

    def coerce_actions(self, actions: dict[str, Any]) -> dict[str, Any]:
        """Recorded (JSON) actions back in the types the env's action spaces expect."""
        return {agent: coerce_action(self.adapter.action_space(agent), action) for agent, action in actions.items()}

    def step_frame(self, actions: dict[str, Any]) -> dict[str, Any]:
        """Step once with these actions; returns the data row (without client fields)."""
        observations, rewards, terminated, truncated, infos = self.adapter.step(actions)
        rewards = {agent: finite_reward(agent, reward, self.frame) for agent, reward in rewards.items()}
        for agent, reward in rewards.items():
            self.scores[agent] = self.scores.get(agent, 0) + reward
        row = {
            "frame": self.frame,
            "actions": to_jsonable(actions),
            "rewards": rewards,
            "terminated": terminated,
            "truncated": truncated,
            "infos": {agent: flatten(info) for agent, info in infos.items()},
        }
        if self.config.record_observations:
            row["obs"] = to_jsonable(observations)
        self.frame += 1
        out_of_time = bool(self.config.max_steps and self.frame >= self.config.max_steps)
        self.over = _all_done(terminated, truncated) or not self.adapter.live_agents() or out_of_time
        self.observations = observations
        self.queries = {} if self.over else self._queries()
        if self.hooks is not None:
            self._run_hooks(row, actions, observations, infos)
        return row

    def _run_hooks(self, row: dict[str, Any], actions, observations, infos) -> None:
        """The scene's on_tick (and on_episode_end on the last frame): their fields join every agent's info."""
        native = self.adapter.native

        def own(values: dict[str, Any]) -> dict[Any, Any]:
            return {native(agent): value for agent, value in values.items()}

        step = HookStep(
            self.episode,
            row["frame"],
            own(actions),
            own(observations),
            own(row["rewards"]),
            own(row["terminated"]),
            own(row["truncated"]),
            own(infos),
        )
        fields = call_hook(self.hooks, "on_tick", self.adapter.env, step)
        if self.over:
            scores = own(self.scores)
            fields.update(call_hook(self.hooks, "on_episode_end", self.adapter.env, self.episode, self.frame, scores))
        agents = [agent for agent in self.adapter.possible_agents if agent in row["actions"] or agent in row["infos"]]
        row["infos"] = merged(row["infos"], agents, fields)

    def render(self) -> dict[str, Any]:
        """The render packet; envs that return an RGB array are drawn as a raster."""
        if self.config.render_mode is None:  # headless (the server's replay check)
            return {"objects": [], "removed": [], "reset": False}
        frame = self.adapter.render()
        if is_anchor_packet(frame):  # an env written for the anchor MUG (mug.rendering.Surface)
            return to_packet(frame, self.config.width, self.config.height)
        if isinstance(frame, dict):
            return frame
        if frame is None:
            return {"objects": [], "removed": [], "reset": False}
        from mug.surface import rgb_packet  # only envs that draw RGB arrays need numpy here

        return rgb_packet(frame, self.config.width, self.config.height)

    def assets(self) -> list[dict[str, str]]:
        """Images and atlases the env registered on its `surface`, for the renderer to load before play."""
        surface = getattr(getattr(self.adapter.env, "unwrapped", self.adapter.env), "surface", None)
        return surface.assets() if surface is not None and hasattr(surface, "assets") else []

    def hud(self, agent: str | None = None) -> str:
        """The HUD line one human seat sees (by default the first human's): the round, that seat's own score (never
        the sum over humans: zero-sum games would show 0, common rewards double) and the time left; or the line the
        scene's `hud_text` callable returns."""
        if not self.config.hud:
            return ""
        if agent is None:
            agent = self.humans[0] if self.humans else SINGLE_AGENT
        if self.hud_fn is not None:  # the scene's callable sees the env's own ids, as the env does
            info = self.hud_info()
            info["scores"] = {self.adapter.native(key): score for key, score in info["scores"].items()}
            return hud_line(self.hud_fn, self.adapter.env, self.adapter.native(agent), info)
        text = f"Round {self.episode + 1}/{self.config.num_episodes}   Score {self.scores.get(agent, 0):g}"
        if self.config.max_steps:
            text += f"   Time left {max(0, self.config.max_steps - self.frame) / self.config.fps:.0f}s"
        return text

    def huds(self) -> dict[str, str]:
        """Every human seat's HUD line (a server-side game sends them all; each page shows its own)."""
        return {agent: self.hud(agent) for agent in self.humans}

    def hud_info(self) -> dict[str, Any]:
        """What a `hud_text` callable gets besides the env and the seat."""
        time_left = None
        if self.config.max_steps:
            time_left = max(0, self.config.max_steps - self.frame) / self.config.fps
        return {
            "round": self.episode + 1,
            "rounds": self.config.num_episodes,
            "frame": self.frame,
            "scores": dict(self.scores),
            "time_left_s": time_left,
        }


def hud_line(function, env, agent: str, info: dict[str, Any]) -> str:
    """Call a scene's HUD callable; anything but a str is the scene's bug, said plainly."""
    text = function(env, agent, info)
    if not isinstance(text, str):
        raise TypeError(f"hud_text must return a str, got {type(text).__name__}")
    return text


def _seed_global_rngs(seed: int) -> None:
    """Envs that draw from the global `random` or legacy NumPy generators draw the same in every browser and in
    the server's replay (they are also part of the state that rollback restores and checksums cover)."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)


def policy_of(config: LoopConfig, agent: str) -> dict[str, Any]:
    """The policy spec the scene gives an agent (by key)."""
    return _spec({agent_key(a): policy for a, policy in config.agents.items()}.get(agent, RANDOM))


def _spec(policy: Any) -> dict[str, Any]:
    return {"kind": policy} if isinstance(policy, str) else policy


def _all_done(terminated: dict[str, bool], truncated: dict[str, bool]) -> bool:
    agents = set(terminated) | set(truncated)
    return bool(agents) and all(terminated.get(agent) or truncated.get(agent) for agent in agents)


# The browser's entry points: one live loop per worker, JSON strings across the JS boundary.
_loop: GameLoop | None = None
_COMPACT = (",", ":")  # no padding: a shorter string to build, to copy across the boundary and to parse


def boot(config_json: str) -> str:
    global _loop
    _loop = GameLoop(LoopConfig.from_dict(json.loads(config_json)))
    return json.dumps({"agents": _loop.adapter.possible_agents, "humans": _loop.humans, "assets": _loop.assets()})


def start(episode: int, seed: int) -> str:
    return json.dumps(_loop.start_episode(int(episode), int(seed)))


def tick(input_json: str) -> str:
    """One frame: {"held", "presses", "inference"} in; {"row", "render", "hud", "over", "queries"} out.

    "queries" are the model inputs to run before the next tick, whose outputs come back as "inference".
    """
    data = json.loads(input_json)
    actions = _loop.actions_for(data.get("held", []), data.get("presses", []), data.get("inference"))
    row = _loop.step_frame(actions)
    out = {"row": row, "render": _loop.render(), "hud": _loop.hud(), "over": _loop.over, "queries": _loop.queries}
    return json.dumps(out, separators=_COMPACT)
