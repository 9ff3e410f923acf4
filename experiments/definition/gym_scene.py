"""The environment scene: how to build the env, who plays which agent, keys, timing, display and data options."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import mug
from experiments.definition.assets import DECLARATION, AssetError, SceneAsset, check_assets, undeclared_names
from experiments.definition.errors import DefinitionError
from experiments.definition.hook_checks import check_hooks
from experiments.definition.netplay import BROWSER, SERVER, Netcode, ReplaceWithAI
from experiments.definition.policy_checks import PolicyError, as_space_type, check_policy, model_path
from experiments.definition.preflight import (
    AUTO,
    check_env_natively,
    check_netcode,
    relayed_actions,
    relayed_agents,
    resolve_render_mode,
    stage_failure,
)
from experiments.definition.rooms import PlayWithAI, WaitingRoom
from experiments.definition.scenes import Scene
from experiments.definition.seat_content import SeatParticipant, check_seat_content, is_callable_path, seat_bodies
from experiments.definition.stager import base_id
from mug.adapters import SINGLE_AGENT, EnvConfigError, GymAdapter, agent_keys, load_callable, make_adapter
from mug.keys import combo_name
from mug.loop import HUMAN, LoopConfig, hud_line
from mug.policies import OnnxPolicy, PythonPolicy, policy_spec
from mug.policies import describe as describe_policy

DEFAULT_PACKAGES = ["gymnasium==1.4.0"]
MUG_PACKAGE_DIR = Path(mug.__file__).resolve().parent  # the browser package, shipped with every game
REPLAY, SKIP = "replay", "skip"
ANCHOR_AGENT = "human"  # the anchor MUG's single-agent envs step with {"human": action}
RELOAD_POLICIES = (REPLAY, SKIP)  # GymScene.reload_policy


@dataclass(kw_only=True)
class GymScene(Scene):
    """Play `env` ("package.module:factory", called with `env_kwargs` and `render_mode`) in the browser.

    `agents` maps agent ids to "human", "random", a PythonPolicy or an OnnxPolicy (mug.policies); a
    single-agent Gymnasium env has one agent, "agent". Model paths are relative to the experiment's module.
    `keys` maps a key (KeyboardEvent.key) or a tuple of keys held together to an action. `seed`: None draws
    a random seed per participant, an int gives episode i the seed `seed + i`, a list gives seeds in order.
    `reload_policy` (single-player browser games): a round cut short by a reload or a second tab is kept as
    "interrupted" and is then played again with its seed ("replay", the default) or counts as played ("skip").

    `width` x `height` is the canvas on the page. An env's drawing is scaled onto it: mug.surface packets carry the
    Surface's own size, and when that differs from the canvas the drawing is scaled by the smaller ratio (aspect
    kept) and centred, the bands left over showing `background`; anchor-style envs (mug.rendering.Surface) draw in
    0-1 coordinates that span the whole canvas, as in the anchor (their line widths, text sizes and sprite sizes
    stay in pixels); RGB frames are stretched to the canvas. `pixel_art=True` draws images crisp (nearest-neighbour
    scaling, as the anchor always does) instead of smoothed.
    `assets` names image files of the study ({"chef": "sprites/chef.png"}, or an atlas: ("t.png", "t.json")), relative
    to the experiment's module; the page loads them before Start and the env draws them by name (see the how-to
    "Draw the study's own images").

    `in_game_body` / `after_body` may be "package.module:function" naming `function(agent, participant) -> str`:
    each seat's own HTML (experiments.definition.seat_content). `hooks="package.module:Class"` runs the scene's
    on_episode_start / on_tick / on_episode_end wherever the env runs and stores what they return as "hook.<key>"
    in every agent's info (mug.hooks).
    """

    env: str
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    agents: dict[str, Any] = field(default_factory=lambda: {"agent": HUMAN})
    keys: dict[str | tuple[str, ...], Any] = field(default_factory=dict)
    default_action: Any = 0
    input_mode: str = "held"
    fps: int = 30
    num_episodes: int = 1
    max_steps: int | None = 1000
    seed: int | list[int] | None = None
    width: int = 600
    height: int = 400
    background: str = "#ffffff"
    hud: bool = True
    # "auto": "mug" if the env's metadata["render_modes"] lists it, else "rgb_array" (drawn as a raster); an explicit
    # value is passed as given. The browser, server games and replays all build the env with the chosen mode.
    render_mode: str = AUTO
    record_observations: bool = True
    # Requirements the browser installs (micropip) besides those found automatically: every installed distribution
    # the shipped code imports is added pinned at the server's version, and Pyodide-built ones (opencv-python,
    # scipy, pygame-ce) by name from Pyodide's own set (runtime_bundle.scene_packages). A requirement listed here
    # wins over the automatic pin; one that excludes the installed version fails the system check (experiments.E019).
    packages: list[str] = field(default_factory=lambda: list(DEFAULT_PACKAGES))
    # Modules the browser imports that no static import names (loaded by name, e.g. importlib.import_module(x));
    # statically imported local modules ship without it, wherever they live on the path.
    ship: list[str] | None = None
    # HTML shown beside the game (in_game_body) and after it (after_body); or "package.module:function" naming
    # function(agent, participant) -> HTML, called for each human seat when the page is served (agent: the env's own
    # id; participant: a SeatParticipant, see experiments.definition.seat_content), so each player sees their own
    # ("You are the blue chef"). Checked at load by calling it for every human seat.
    in_game_body: str = ""
    after_body: str = "<p>Well done! Your game data is saved.</p>"
    countdown_seconds: int = 3
    # Seconds the browser may take to load the game (Pyodide, wheels, code, models; failed downloads are retried
    # meanwhile) from the moment the scene is shown; then the page reports a load failure and the server ends the
    # participant with the study's `runtime_error` outcome.
    load_timeout_s: float = 180
    button_label: str = "Start"
    waiting_room: WaitingRoom | None = None  # scenes with two or more humans get the default WaitingRoom()
    netcode: Netcode | None = None  # rollback and dropout settings of multi-human scenes (default Netcode())
    runs_on: str = "browser"  # or "server": the env steps on the server, the browser only draws and sends keys
    # Single-player browser games: what a reload (or a second tab taking over) does to the round it cut short, which
    # stays stored as "interrupted" with its rows. "replay" (default): the round is played again with the same seed
    # (every round ends with a whole episode; a participant may redo a round by reloading; at most 5 x num_episodes
    # attempts in all).
    # "skip": the round counts as played and the next one begins (no redos; the scene may end with fewer whole
    # episodes). Either way the server numbers the rounds and never begins more than `num_episodes`.
    reload_policy: str = "replay"
    # The HUD line: "package.module:function", called as function(env, agent, info) -> str for each human seat
    # every frame (info: round, rounds, frame, scores by agent, time_left_s); shipped to the browser like the env.
    # Without it each seat sees the round, its own agent's score and the time left.
    hud_text: str | None = None
    # Who each agent is, as players are told during play ("You are the blue chef" from {"agent_0": "the blue chef"});
    # without a label, games of two or more agents name the agent id.
    agent_labels: dict[str, str] = field(default_factory=dict)
    # Draw images crisp (nearest-neighbour scaling, Phaser's pixelArt) instead of smoothed: for pixel-art sprites and
    # atlases, which smoothing blurs and seams.
    pixel_art: bool = False
    # Game hooks: "package.module:Class" with any of on_episode_start, on_tick, on_episode_end (mug.hooks), run
    # wherever the env runs (browser, server game, replays; again on every frame rollback re-simulates); their
    # returned dicts are stored as "hook.<key>" in every agent's info. Shipped to the browser like the env; checked
    # at load by two short seeded runs that must agree.
    hooks: str | None = None
    # Image files of the study drawn by name: {"chef": "sprites/chef.png", "terrain": ("t.png", "t.json")} (an atlas:
    # the image and its frames), paths relative to the experiment's module. Served at content-hashed URLs and loaded
    # by the page before Start; the env registers the name without a URL (surface.register_image("chef")) and draws
    # it like any registered image. Checked at load (experiments.E031-E035, experiments.definition.assets).
    assets: dict[str, str | tuple[str, str]] = field(default_factory=dict)
    kind: ClassVar[str] = "gym"
    template_name: ClassVar[str] = "frontend/scenes/gym.html"

    def prepare(self, base_dir: Path) -> None:
        super().prepare(base_dir)
        self._key_agent_ids()
        self._check_numbers()
        if self.input_mode not in ("held", "press"):
            raise DefinitionError(f"gym scene {self.scene_id!r}: input_mode must be 'held' or 'press'")
        if HUMAN not in self.agents.values():
            raise DefinitionError(f"gym scene {self.scene_id!r}: agents need at least one 'human'")
        if not self.keys:
            raise DefinitionError(f"gym scene {self.scene_id!r}: map at least one key to an action")
        if self.reload_policy not in RELOAD_POLICIES:
            raise DefinitionError(f"gym scene {self.scene_id!r}: reload_policy must be one of {RELOAD_POLICIES}")
        if self.runs_on not in (BROWSER, SERVER):
            raise DefinitionError(f"gym scene {self.scene_id!r}: runs_on must be {BROWSER!r} or {SERVER!r}")
        self._check_display_options()
        self._scene_assets = check_assets(self.scene_id, self.assets, base_dir)
        if self._scene_assets and self.on_server:
            raise AssetError(
                f"gym scene {self.scene_id!r}: assets are loaded by the browser's runtime; a server game's env "
                "registers its images with URLs (surface.register_image(name, url))",
                DECLARATION,
            )
        self._preflight(base_dir)
        self._prepare_waiting_room(base_dir)
        check_hooks(self)  # after the netcode is known: a group scene's hooks are also run under forced rollbacks

    @property
    def on_server(self) -> bool:
        """The env steps on the server (netcode/server/); the browser draws its frames and sends keys."""
        return self.runs_on == SERVER

    def human_agents(self) -> list[str]:
        """The seats people take, in the order groups fill them."""
        return [agent for agent, policy in self.agents.items() if policy == HUMAN]

    def _prepare_waiting_room(self, base_dir: Path) -> None:
        if len(self.human_agents()) < 2:
            if self.waiting_room is not None or self.netcode is not None:
                raise DefinitionError(
                    f"gym scene {self.scene_id!r}: a waiting room and netcode need two or more human agents"
                )
            return
        self.waiting_room = self.waiting_room or WaitingRoom()
        self.netcode = check_netcode(self, base_dir, rollback=not self.on_server)
        self._solo = None
        fallback = self.waiting_room.on_timeout
        if isinstance(fallback, PlayWithAI):
            others = set(self.human_agents()[1:])
            try:
                policies = _keyed(fallback.policies, "PlayWithAI policies", self.scene_id)
            except EnvConfigError as error:
                raise DefinitionError(str(error)) from error
            if set(policies) != others:
                raise DefinitionError(
                    f"gym scene {self.scene_id!r}: PlayWithAI must give policies for {sorted(others)}"
                )
            # The solo game is checked now like any scene (its policies included), not when someone times out.
            solo = dataclasses.replace(self, agents={**self.agents, **policies}, waiting_room=None, netcode=None)
            solo.prepare(base_dir)
            self._solo = solo

    def solo_variant(self) -> GymScene | None:
        """The game played alone after a waiting-room timeout with PlayWithAI, if configured."""
        return getattr(self, "_solo", None)

    def _key_agent_ids(self) -> None:
        """Agents and labels (PlayWithAI policies: `_prepare_waiting_room`) keyed by agent key: the id as text, as
        JSON, seats and rows hold it (mug.adapters gives the env its own ids back), so `agents={0: "human"}` works
        for int-id envs. Ids that cannot round-trip are refused here, the env's own ids when it is built."""
        try:
            self.agents = _keyed(self.agents, "agents", self.scene_id)
            if isinstance(self.agent_labels, dict):
                self.agent_labels = _keyed(self.agent_labels, "agent_labels", self.scene_id)
        except EnvConfigError as error:
            raise DefinitionError(str(error)) from error

    def _check_numbers(self) -> None:
        if not 1 <= self.fps <= 120 or self.num_episodes < 1 or (self.max_steps is not None and self.max_steps < 1):
            raise DefinitionError(
                f"gym scene {self.scene_id!r}: need 1 <= fps <= 120, num_episodes >= 1, max_steps >= 1"
            )
        if not 5 <= self.load_timeout_s <= 3600:
            raise DefinitionError(f"gym scene {self.scene_id!r}: load_timeout_s must be between 5 and 3600 seconds")
        if isinstance(self.seed, list) and len(self.seed) < self.num_episodes:
            raise DefinitionError(f"gym scene {self.scene_id!r}: give at least num_episodes seeds")

    def _check_display_options(self) -> None:
        labels = self.agent_labels
        if not isinstance(labels, dict) or set(labels) - set(self.agents):
            unknown = sorted(set(labels) - set(self.agents)) if isinstance(labels, dict) else labels
            raise DefinitionError(f"gym scene {self.scene_id!r}: agent_labels names agents not in agents: {unknown}")
        for agent, label in labels.items():
            if not isinstance(label, str) or not label.strip() or len(label) > 80:
                raise DefinitionError(
                    f"gym scene {self.scene_id!r}: agent_labels[{agent!r}] must be a non-empty str of <= 80 chars"
                )
        if self.hud_text is not None and (not isinstance(self.hud_text, str) or ":" not in self.hud_text):
            raise DefinitionError(f"gym scene {self.scene_id!r}: hud_text must look like 'package.module:function'")
        if not isinstance(self.pixel_art, bool):
            raise DefinitionError(f"gym scene {self.scene_id!r}: pixel_art must be True or False")

    def _check_hud_text(self, adapter) -> None:
        """The HUD callable is imported and called once for each human seat on the reset env (by `_preflight`)."""
        if self.hud_text is None:
            return
        try:
            function = load_callable(self.hud_text)
        except EnvConfigError as error:
            raise DefinitionError(f"gym scene {self.scene_id!r}: hud_text: {error}") from error
        scores = {adapter.native(agent): 0 for agent in self.agents}  # the callable sees the env's own ids
        info = {"round": 1, "rounds": self.num_episodes, "frame": 0, "scores": scores}
        info["time_left_s"] = self.max_steps / self.fps if self.max_steps else None
        for agent in self.human_agents():
            try:
                hud_line(function, adapter.env, adapter.native(agent), info)
            except Exception as error:  # noqa: BLE001 (any error of the researcher's callable fails the load)
                raise DefinitionError(
                    f"gym scene {self.scene_id!r}: hud_text {self.hud_text!r} failed for {agent!r}: {error!r}"
                ) from error

    def _check_asset_names(self, adapter) -> None:
        """Every name the env registers as a scene asset (after reset: `_check_policies`) is declared in `assets`."""
        missing = undeclared_names(adapter.env, self._scene_assets)
        if missing:
            raise AssetError(
                f"gym scene {self.scene_id!r}: the env registers {missing} without a URL (a scene asset) but assets "
                f"declares only {sorted(self._scene_assets)}; add assets={{{missing[0]!r}: 'path/to/file.png'}}",
                DECLARATION,
            )

    def scene_assets(self) -> dict[str, SceneAsset]:
        """The scene's checked asset files by name (the browser loads each before Start)."""
        return getattr(self, "_scene_assets", {})

    @property
    def chosen_render_mode(self) -> str | None:
        """The render mode the env is built with (resolved from its metadata at load when "auto")."""
        return getattr(self, "_render_mode", None) or (None if self.render_mode == AUTO else self.render_mode)

    def _preflight(self, base_dir: Path) -> None:
        """Build the env, step it (two fresh envs must agree) and try the AI policies once on the server: an
        unusable env or model fails at load time, not mid-study (see preflight.py)."""
        self._render_mode = resolve_render_mode(self)
        try:
            adapter = make_adapter(self.env, self.env_kwargs, self._render_mode)
            if isinstance(adapter, GymAdapter):
                adapter.close()
                self._agent_dicts = self._anchor_convention()
                adapter = self.make_env(self._render_mode)
        except EnvConfigError as error:
            raise DefinitionError(f"gym scene {self.scene_id!r}: {error}") from error
        except DefinitionError:
            raise
        except Exception as error:  # noqa: BLE001 (any failure of the researcher's code is reported as such)
            raise stage_failure(self, "construction", error) from None
        try:
            check_env_natively(self, self._render_mode)  # with the convention found above
            unknown = set(self.agents) - set(adapter.possible_agents)
            if unknown:
                raise DefinitionError(
                    f"gym scene {self.scene_id!r}: agents {sorted(unknown)} are not in the env's "
                    f"{adapter.possible_agents}"
                )
            for agent in self.agents:
                if not adapter.action_space(agent).contains(
                    as_space_type(adapter.action_space(agent), self.default_action)
                ):
                    raise DefinitionError(f"gym scene {self.scene_id!r}: default_action is not in {agent}'s space")
            self._relayed_actions = relayed_actions(self, adapter)
            self._check_policies(adapter, base_dir)
            self._check_hud_text(adapter)
            self._check_asset_names(adapter)
            self._seats = {agent: adapter.native(agent) for agent in self.human_agents()}
            self._seat_functions = check_seat_content(self, self._seats)
        finally:
            adapter.close()

    def _anchor_convention(self) -> str | None:
        """The agent id a single-agent env takes per-agent dicts by (the anchor MUG's `step({"human": a})`), found by
        stepping fresh envs once; None for a plain Gymnasium env. A mismatch is refused with the fix to make."""
        if len(self.agents) != 1:
            raise DefinitionError(
                f"gym scene {self.scene_id!r}: a single-agent Gymnasium env has one agent; "
                f"agents names {list(self.agents)}"
            )
        (agent,) = self.agents
        plain = _step_error(self, None)
        if agent == SINGLE_AGENT:
            if plain is not None and _step_error(self, ANCHOR_AGENT) is None:
                raise DefinitionError(
                    f"gym scene {self.scene_id!r}: the env steps with per-agent dicts keyed {ANCHOR_AGENT!r} "
                    f"(the anchor MUG's convention; a plain action failed: {plain}); name its agent so: "
                    f"agents={{{ANCHOR_AGENT!r}: {self.agents[agent]!r}}}"
                )
            return None
        keyed = _step_error(self, agent)
        if keyed is None:
            return agent
        if plain is None:
            raise DefinitionError(
                f"gym scene {self.scene_id!r}: the env takes plain actions (stepping it with {{{agent!r}: action}} "
                f"failed: {keyed}); a single-agent Gymnasium env's one agent is {SINGLE_AGENT!r}: write "
                f"agents={{{SINGLE_AGENT!r}: {self.agents[agent]!r}}}"
            )
        raise DefinitionError(
            f"gym scene {self.scene_id!r}: stepping the env with {{{agent!r}: action}} failed: {keyed}"
        )

    def make_env(self, render_mode: str | None):
        """The scene's env behind the adapter, with the convention found at load (the server's own uses)."""
        return make_adapter(self.env, self.env_kwargs, render_mode, getattr(self, "_agent_dicts", None))

    def _check_policies(self, adapter, base_dir: Path) -> None:
        try:
            observations, _ = adapter.reset(0)
        except Exception as error:  # noqa: BLE001
            raise stage_failure(self, "reset", error) from None
        checked = {}
        try:
            for agent, policy in self.agents.items():
                checked[agent] = check_policy(policy, agent, adapter, observations.get(agent), base_dir)
        except PolicyError as error:
            raise DefinitionError(f"gym scene {self.scene_id!r}: {error}") from error
        self._checked_agents = checked
        self._model_files = {
            policy.sha256: model_path(policy, base_dir) for policy in checked.values() if isinstance(policy, OnnxPolicy)
        }

    def agent_specs(self) -> dict[str, Any]:
        """Each agent's policy as the runtime's JSON ("human" or a spec with the model's hash and tensors)."""
        agents = getattr(self, "_checked_agents", self.agents)
        specs = {agent: policy if policy == HUMAN else policy_spec(policy) for agent, policy in agents.items()}
        for spec in specs.values():
            if isinstance(spec, dict) and spec["kind"] == "onnx":
                spec["model"] = Path(spec["model"]).name  # the browser fetches by hash; no server paths
        return specs

    def model_files(self) -> dict[str, Path]:
        """The ONNX files the browser downloads, by sha256 (the solo variant's included)."""
        solo = self.solo_variant()
        return {**getattr(self, "_model_files", {}), **(solo.model_files() if solo else {})}

    def loop_config(self) -> dict[str, Any]:
        """The runtime's configuration, as JSON for the browser."""
        config = LoopConfig(
            env=self.env,
            env_kwargs=self.env_kwargs,
            agents=self.agent_specs(),
            keys={combo_name(key): action for key, action in self.keys.items()},
            default_action=self.default_action,
            input_mode=self.input_mode,
            fps=self.fps,
            num_episodes=self.num_episodes,
            max_steps=self.max_steps,
            render_mode=self.chosen_render_mode,
            record_observations=self.record_observations,
            width=self.width,
            height=self.height,
            background=self.background,
            hud=self.hud,
            hud_text=self.hud_text,
            agent_labels=dict(self.agent_labels),
            agent_dicts=getattr(self, "_agent_dicts", None),
            hooks=self.hooks,
            relayed=relayed_agents(self),
        )
        return {**asdict(config), "pixel_art": self.pixel_art}

    def seeds(self, base_seed: int) -> list[int]:
        """The seed of each episode; `base_seed` is the participant's server-drawn seed."""
        if isinstance(self.seed, list):
            return list(self.seed[: self.num_episodes])
        start = base_seed if self.seed is None else self.seed
        return [(start + index) % 2**31 for index in range(self.num_episodes)]

    def shipped_modules(self) -> list[str]:
        """The modules the browser imports by name: the env's, its Python policies' and `ship`'s. The
        bundle (experiments.definition.runtime_bundle) adds the project modules they import, and nothing else of their
        package."""
        policies = list(self.agents.values())
        if self.netcode is not None and isinstance(self.netcode.on_dropout, ReplaceWithAI):
            policies.append(self.netcode.on_dropout.policy)  # the browsers run the replacement too
        paths = [self.env, *(policy.path for policy in policies if isinstance(policy, PythonPolicy))]
        paths += self.ship or []
        paths += [self.hud_text] if self.hud_text else []
        paths += [self.hooks] if self.hooks else []
        return sorted({path.partition(":")[0] for path in paths})

    def agent_descriptions(self) -> dict[str, Any]:
        """Who chooses each agent's actions, as stored with the definition and with every episode."""
        return {agent: spec if spec == HUMAN else describe_policy(spec) for agent, spec in self.agent_specs().items()}

    def seat_bodies(self, participant: SeatParticipant) -> dict[str, dict[str, str]]:
        """The per-seat HTML of the bodies given as functions: {"in_game_body": {agent key: html}, ...}."""
        return seat_bodies(self, getattr(self, "_seat_functions", {}), getattr(self, "_seats", {}), participant)

    def describe(self) -> dict[str, Any]:
        agents = self.agent_descriptions()
        room = self.waiting_room.describe() if self.waiting_room else None
        netcode = self.netcode.describe() if self.netcode else None
        described = {
            "env": self.env,
            "agents": agents,
            "fps": self.fps,
            "waiting_room": room,
            "netcode": netcode,
            "runs_on": self.runs_on,
        }
        if self.hooks:
            described["hooks"] = self.hooks
        if self.scene_assets():  # only then, as for seat_content below
            described["assets"] = {name: [f.sha256 for f in a.files()] for name, a in self.scene_assets().items()}
        seat_content = {name: getattr(self, name) for name in ("in_game_body", "after_body")}
        if any(is_callable_path(body) for body in seat_content.values()):
            described["seat_content"] = seat_content  # only then: other scenes' definition hashes stay as they were
        return {**super().describe(), **described}


def _step_error(scene: GymScene, agent_dicts: str | None) -> str | None:
    """Reset a fresh env and step it once with the default action, plain or as {agent: action}: None if it worked,
    else what it raised."""
    adapter = make_adapter(scene.env, scene.env_kwargs, None, agent_dicts)
    try:
        agent = adapter.possible_agents[0]
        adapter.reset(0)
        adapter.step({agent: as_space_type(adapter.action_space(agent), scene.default_action)})
    except Exception as error:  # noqa: BLE001 (any error of the researcher's env is the answer)
        return f"{type(error).__name__}: {error}"
    finally:
        adapter.close()
    return None


def _keyed(mapping: dict[Any, Any], what: str, scene_id: str) -> dict[str, Any]:
    keys = agent_keys(list(mapping), f"gym scene {scene_id!r}: {what}")
    return {key: mapping[agent] for key, agent in keys.items()}


def code_hash(files: dict[str, str]) -> str:
    """A hash of the shipped source files (path and content), identical wherever they run."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path].encode() + b"\0")
    return digest.hexdigest()


def gym_scene_of(definition, scene_key: str) -> GymScene | None:
    """The game scene behind a scene key of a participant's plan (repeats included), or None."""

    try:
        scene = definition.scene(base_id(scene_key))
    except KeyError:
        return None
    return scene if isinstance(scene, GymScene) else None
