"""Experiments used by the tests: one that walks every scene type and wrapper, and small special cases."""

import dataclasses

from experiments.study import (
    COMPLETED,
    DECLINED_CONSENT,
    Branch,
    ChoiceQuestion,
    Conditions,
    ConsentScene,
    ContinueTo,
    EndForAll,
    EndScene,
    Experiment,
    GroupReunion,
    GymScene,
    InstructionsScene,
    Monitoring,
    Netcode,
    Outcome,
    PlayWithAI,
    Quota,
    RandomizeOrder,
    Repeat,
    ReplaceWithAI,
    ScaleQuestion,
    Screening,
    StaticScene,
    SurveyScene,
    TextQuestion,
    WaitForReturn,
    WaitingRoom,
)


def by_group(answers) -> str:
    return "fans" if answers.get("survey", {}).get("single") == "red" else "others"


SURVEY_QUESTIONS = [
    TextQuestion(id="text", label="Say something <b>bold</b>", max_length=100),
    ScaleQuestion(id="likert", label="Agree?", min=1, max=5, labels=["No", "Yes"]),
    ScaleQuestion(id="slider", label="How much?", min=0, max=10, step=0.5, slider=True),
    ChoiceQuestion(id="single", label="Colour", options=["red", "green", "blue"]),
    ChoiceQuestion(id="multi", label="Fruits", options=["apple", "pear", "plum"], multiple=True, max_selected=2),
    ChoiceQuestion(id="boxes", label="Mood", options=[("calm", "Calm"), ("busy", "Busy")], boxes=True),
    TextQuestion(id="optional", label="Optional", required=False),
]

flow = Experiment(
    slug="flow",
    title="Flow test",
    stager=[
        StaticScene(scene_id="welcome", header="Welcome", body="<p>Hello</p>"),
        ConsentScene(scene_id="consent", body="<p>Consent text</p>"),
        InstructionsScene(scene_id="instructions", header="Instructions", body_file="instructions.html"),
        SurveyScene(scene_id="survey", header="Survey", questions=SURVEY_QUESTIONS),
        RandomizeOrder(
            [
                StaticScene(scene_id="cond-a", header="A"),
                StaticScene(scene_id="cond-b", header="B"),
                StaticScene(scene_id="cond-c", header="C"),
                StaticScene(scene_id="cond-d", header="D"),
            ],
            keep_n=2,
        ),
        Repeat([SurveyScene(scene_id="check", questions=[ScaleQuestion(id="alert", label="Alert?")])], times=2),
        Branch(
            "group",
            select=by_group,
            branches={
                "fans": [StaticScene(scene_id="fan-page", header="Red fans")],
                "others": [StaticScene(scene_id="other-page", header="Others")],
            },
            default="others",
        ),
        GymScene(
            scene_id="game",
            header="Play",
            env="examples.cartpole.env:make",
            keys={"ArrowLeft": 0, "ArrowRight": 1},
            max_steps=40,
        ),
        EndScene(scene_id="end", header="All done"),
    ],
)

fixed_codes = Experiment(
    slug="fixed-codes",
    title="Fixed codes",
    outcomes={
        COMPLETED: Outcome(message="Done", code="C1COMPLETE"),
        DECLINED_CONSENT: Outcome(message="No consent", code="C1NOCONSENT"),
    },
    stager=[ConsentScene(scene_id="consent"), EndScene(scene_id="end")],
)

timed = Experiment(
    slug="timed",
    title="Timed",
    time_limit_minutes=5,
    stager=[StaticScene(scene_id="only"), EndScene(scene_id="end")],
)

game = Experiment(
    slug="game",
    title="Game data",
    stager=[
        GymScene(
            scene_id="play",
            env="examples.tag.env:make",
            agents={"chaser": "human", "runner": "random"},
            keys={"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, ("ArrowLeft", "ArrowUp"): 1, "ArrowRight": 4},
            num_episodes=2,
            max_steps=130,
            seed=[11, 12],
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        ),
        EndScene(scene_id="end"),
    ],
)

# The ingest benchmark (bench/ingest.py): the same game, room for every chunk it uploads into one episode.
ingest = Experiment(
    slug="ingest",
    title="Ingest benchmark",
    stager=[
        GymScene(
            scene_id="play",
            env="examples.tag.env:make",
            agents={"chaser": "human", "runner": "random"},
            keys={"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4},
            num_episodes=1,
            max_steps=100_000,
            seed=[11],
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        ),
        EndScene(scene_id="end"),
    ],
)

crash = Experiment(
    slug="crash",
    title="A game that crashes",
    stager=[
        GymScene(scene_id="play", env="testkit.envs.crash:make", keys={"a": 1}, max_steps=100, ship=["testkit.envs"]),
        EndScene(scene_id="end"),
    ],
)

PATHS = [
    "examples.demo.experiment:experiment",
    "examples.cartpole.experiment:experiment",
    "examples.tag.experiment:experiment",
    "examples.tagai.experiment:experiment",
    "examples.lander.experiment:experiment",
    "testkit.fixture_experiments:flow",
    "testkit.fixture_experiments:fixed_codes",
    "testkit.fixture_experiments:timed",
    "testkit.fixture_experiments:game",
    "testkit.fixture_experiments:crash",
    "testkit.fixture_experiments:duo",
    "testkit.fixture_experiments:duo_ai",
    "testkit.fixture_experiments:duo_end",
    "testkit.fixture_experiments:duo_skip",
    "testkit.fixture_experiments:pairs",
    "testkit.fixture_experiments:net_pair",
    "testkit.fixture_experiments:net_trio",
    "testkit.fixture_experiments:net_quad",
    "testkit.fixture_experiments:net_patient",
    "testkit.fixture_experiments:net_relay",
]


def pair_game(scene_id: str, waiting_room: WaitingRoom) -> GymScene:
    """Tag for two people: the waiting room settings are short so that tests run in seconds."""
    return GymScene(
        scene_id=scene_id,
        env="examples.tag.env:make",
        agents={"chaser": "human", "runner": "human"},
        keys={"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4},
        max_steps=60,
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        waiting_room=waiting_room,
    )


def quick_room(**settings) -> WaitingRoom:
    return WaitingRoom(**{"ping_interval_s": 0.2, "presence_timeout_s": 1.5, "ack_timeout_s": 1.0, **settings})


duo = Experiment(
    slug="duo",
    title="Pairs, with short presence and confirmation limits",
    stager=[
        StaticScene(scene_id="hello"),
        pair_game("pair", quick_room(timeout_s=60)),
        pair_game("again", quick_room(timeout_s=30, matcher=GroupReunion(source_scene="pair", fallback_after_s=2))),
        EndScene(scene_id="end"),
    ],
)

duo_ai = Experiment(
    slug="duo-ai",
    title="Pairs, or a random partner after 1.5 s",
    stager=[
        pair_game("pair", quick_room(timeout_s=1.5, on_timeout=PlayWithAI({"runner": "random"}))),
        StaticScene(scene_id="thanks", header="Thanks"),
        EndScene(scene_id="end"),
    ],
)

duo_end = Experiment(
    slug="duo-end",
    title="Pairs or the no-partner code",
    stager=[pair_game("pair", quick_room(timeout_s=1.5)), EndScene(scene_id="end")],
)

duo_skip = Experiment(
    slug="duo-skip",
    title="Pairs or a solo scene",
    stager=[
        pair_game("pair", quick_room(timeout_s=1.5, on_timeout=ContinueTo("solo"))),
        StaticScene(scene_id="between"),
        StaticScene(scene_id="solo", header="On your own"),
        EndScene(scene_id="end"),
    ],
)

pairs = Experiment(
    slug="pairs",
    title="Pairs with a patient room",
    stager=[pair_game("pair", WaitingRoom(timeout_s=120, ping_interval_s=0.5)), EndScene(scene_id="end")],
)


ARROWS = {"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4}

net_pair = Experiment(
    slug="net-pair",
    title="Tag for two over the relay: two short episodes; a partner gone for 3 s ends the game",
    stager=[
        GymScene(
            scene_id="pair",
            env="examples.tag.env:make",
            agents={"chaser": "human", "runner": "human"},
            keys=ARROWS,
            max_steps=75,
            num_episodes=2,
            countdown_seconds=1,
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(input_delay=2, window=8, lagging_s=0.5, dropout_s=3.0, on_dropout=EndForAll()),
        ),
        EndScene(scene_id="end"),
    ],
)


def gather_game(players: int) -> GymScene:
    return GymScene(
        scene_id=f"gather{players}",
        env="examples.gather.env:make",
        env_kwargs={"players": players},
        agents={f"player_{i}": "human" for i in range(players)},
        keys=ARROWS,
        max_steps=90,
        countdown_seconds=1,
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        waiting_room=quick_room(timeout_s=60),
        netcode=Netcode(input_delay=2, window=8, lagging_s=0.5, dropout_s=3.0, on_dropout=ReplaceWithAI("random")),
    )


net_trio = Experiment(slug="net-trio", title="Gather for three", stager=[gather_game(3), EndScene(scene_id="end")])
net_quad = Experiment(slug="net-quad", title="Gather for four", stager=[gather_game(4), EndScene(scene_id="end")])
net_patient = Experiment(
    slug="net-patient",
    title="Gather for two, one 15 s episode; a partner may be away for 10 minutes",
    stager=[
        GymScene(
            scene_id="pair",
            env="examples.gather.env:make",
            agents={"player_0": "human", "player_1": "human"},
            keys=ARROWS,
            max_steps=450,
            countdown_seconds=1,
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(lagging_s=0.5, dropout_s=600.0),  # a reload on a busy machine can take a minute
        ),
        EndScene(scene_id="end"),
    ],
)


# The relay's consumer tests that are not about dropouts: a patient timeout, so a slow test machine drops no one.
net_relay = Experiment(
    slug="net-relay",
    title="Tag for two over the relay, patient",
    stager=[
        dataclasses.replace(net_pair.stager[0], netcode=Netcode(lagging_s=0.5, dropout_s=60.0)),
        EndScene(scene_id="end"),
    ],
)


# Server-side games (issue 7): the env steps on the server; browsers draw and send keys.
def server_gather(players: int = 1, steps: int = 45, episodes: int = 2, **scene) -> GymScene:
    return GymScene(
        scene_id="play",
        env="examples.gather.env:make",
        env_kwargs={"players": players, **scene.pop("env_kwargs", {})},
        agents={f"player_{i}": "human" for i in range(players)},
        keys=ARROWS,
        max_steps=steps,
        num_episodes=episodes,
        countdown_seconds=0,
        runs_on="server",
        **scene,
    )


server_solo = Experiment(
    slug="server-solo", title="Gather alone, stepped on the server", stager=[server_gather(), EndScene(scene_id="end")]
)
server_slow = Experiment(
    slug="server-slow",
    title="A server-side game whose env takes 60 ms a step",
    stager=[server_gather(steps=90, episodes=1, env_kwargs={"step_cost_ms": 60}), EndScene(scene_id="end")],
)
server_stuck = Experiment(
    slug="server-stuck",
    title="A server-side game whose env never returns from its third step",
    stager=[
        GymScene(
            scene_id="play",
            env="testkit.envs.stuck:make",
            env_kwargs={"players": 1},
            agents={"player_0": "human"},
            keys=ARROWS,
            max_steps=90,
            countdown_seconds=0,
            runs_on="server",
            ship=["testkit.envs"],
        ),
        EndScene(scene_id="end"),
    ],
)
server_long = Experiment(
    slug="server-long",
    title="A 3 s server-side game",
    stager=[server_gather(steps=90, episodes=1), EndScene(scene_id="end")],
)
server_crash = Experiment(
    slug="server-crash",
    title="A server-side game whose env raises on its 10th step",
    stager=[
        GymScene(
            scene_id="play",
            env="testkit.envs.crashing:make",
            agents={"chaser": "human", "runner": "random"},
            keys=ARROWS,
            max_steps=100,
            countdown_seconds=0,
            runs_on="server",
        ),
        EndScene(scene_id="end"),
    ],
)
server_pair = Experiment(
    slug="server-pair",
    title="Gather for two on the server; a partner gone for 2 s ends the game",
    stager=[
        server_gather(
            players=2,
            steps=60,
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(lagging_s=0.5, dropout_s=2.0, on_dropout=EndForAll()),
        ),
        EndScene(scene_id="end"),
    ],
)
server_pair_ai = Experiment(
    slug="server-pair-ai",
    title="Gather for two on the server; a partner gone for 2 s is replaced by a random agent",
    stager=[
        server_gather(
            players=2,
            steps=150,
            episodes=1,
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(lagging_s=0.5, dropout_s=2.0, on_dropout=ReplaceWithAI("random")),
        ),
        EndScene(scene_id="end"),
    ],
)
server_pair_wait = Experiment(
    slug="server-pair-wait",
    title="Gather for two on the server; the game waits for a partner who is away",
    stager=[
        server_gather(
            players=2,
            steps=90,
            episodes=1,
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(lagging_s=0.5, dropout_s=2.0, on_dropout=WaitForReturn()),
        ),
        EndScene(scene_id="end"),
    ],
)
PATHS += [
    f"testkit.fixture_experiments:{name}"
    for name in (
        "server_solo",
        "server_slow",
        "server_stuck",
        "server_long",
        "server_crash",
        "server_pair",
        "server_pair_ai",
        "server_pair_wait",
    )
]


quota = Experiment(
    slug="quota",
    title="Two conditions, two places each, four in all",
    time_limit_minutes=30,
    quota=Quota(completed=4, per_condition=2),
    stager=[
        StaticScene(scene_id="intro"),
        Conditions("difficulty", {"easy": [StaticScene(scene_id="e")], "hard": [StaticScene(scene_id="h")]}),
        EndScene(scene_id="end"),
    ],
)
PATHS.append("testkit.fixture_experiments:quota")


def odd_width(measurements) -> str | None:
    """A researcher's own rule (for the tests: a window exactly 1111 px wide is refused)."""
    return "a window 1111 px wide" if measurements["width"] == 1111 else None


screen = Experiment(
    slug="screen",
    title="Screened before consent",
    screening=Screening(
        devices=["desktop"],
        browsers_block=["Firefox"],
        min_width=1000,
        min_height=600,
        max_rtt_ms=250,
        pings=5,
        check="testkit.fixture_experiments:odd_width",
    ),
    stager=[ConsentScene(scene_id="consent", body="<p>Consent text</p>"), EndScene(scene_id="end")],
)
PATHS.append("testkit.fixture_experiments:screen")


def runtime_screened(slug: str, max_step_ms: float) -> Experiment:
    """The game must load in this browser and step fast enough before consent."""
    game = GymScene(
        scene_id="game", env="examples.cartpole.env:make", keys={"ArrowLeft": 0, "ArrowRight": 1}, max_steps=30
    )
    return Experiment(
        slug=slug,
        title="Runtime pre-flight",
        screening=Screening(runtime_check=True, max_step_ms=max_step_ms),
        stager=[ConsentScene(scene_id="consent", body="<p>Consent text</p>"), game, EndScene(scene_id="end")],
    )


screen_runtime = runtime_screened("screen-runtime", 50.0)
screen_slow_game = runtime_screened("screen-slow-game", 0.001)
PATHS += ["testkit.fixture_experiments:screen_runtime", "testkit.fixture_experiments:screen_slow_game"]


watched = Experiment(
    slug="watched",
    title="Monitored while playing",
    monitoring=Monitoring(hidden_warn_s=1, hidden_exclude_s=3, inactive_warn_s=2, inactive_exclude_s=4),
    stager=[
        GymScene(
            scene_id="game",
            env="examples.gather.env:make",
            env_kwargs={"players": 1},
            agents={"player_0": "human"},
            keys=ARROWS,
            max_steps=900,
            countdown_seconds=0,
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        ),
        EndScene(scene_id="end"),
    ],
)
PATHS.append("testkit.fixture_experiments:watched")

watched_hidden = Experiment(
    slug="watched-hidden",
    title="Monitored for a hidden tab only",
    monitoring=Monitoring(hidden_warn_s=1, hidden_exclude_s=3),
    stager=[
        GymScene(
            scene_id="game",
            env="examples.gather.env:make",
            env_kwargs={"players": 1},
            agents={"player_0": "human"},
            keys=ARROWS,
            max_steps=900,
            countdown_seconds=0,
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        ),
        EndScene(scene_id="end"),
    ],
)
PATHS.append("testkit.fixture_experiments:watched_hidden")

watched_far = Experiment(
    slug="watched-far",
    title="A server-side game that excludes a connection slow for 3 s",
    monitoring=Monitoring(
        hidden_warn_s=None, hidden_exclude_s=None, latency_warn_ms=100, latency_exclude_ms=150, latency_for_s=3
    ),
    stager=[server_gather(steps=900, episodes=1), EndScene(scene_id="end")],
)
PATHS.append("testkit.fixture_experiments:watched_far")


# Reliability tests and benchmarks (tests/reliability/test_reliability*.py, bench/long_run.py,
# bench/load_participants.py).
def gather_pair(steps: int, episodes: int, dropout_s: float) -> GymScene:
    """Gather for two over the relay, with a patient room (a busy machine must not dissolve a confirmed group)."""
    return GymScene(
        scene_id="pair",
        env="examples.gather.env:make",
        agents={"player_0": "human", "player_1": "human"},
        keys=ARROWS,
        max_steps=steps,
        num_episodes=episodes,
        countdown_seconds=1,
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        waiting_room=WaitingRoom(timeout_s=120),
        netcode=Netcode(lagging_s=0.5, dropout_s=dropout_s),
    )


net_reliable = Experiment(
    slug="net-reliable",
    title="Gather for two, two 8 s episodes; a partner may be away for 30 s (a server restart, a lost network)",
    stager=[gather_pair(steps=240, episodes=2, dropout_s=30.0), EndScene(scene_id="end")],
)
net_marathon = Experiment(
    slug="net-marathon",
    title="Gather for two, one episode of an hour at 30 fps (bench/long_run.py)",
    stager=[gather_pair(steps=108_000, episodes=1, dropout_s=60.0), EndScene(scene_id="end")],
)
load_study = Experiment(
    slug="load-study",
    title="Consent, two 5 s single-player games, a survey (bench/load_participants.py)",
    stager=[
        ConsentScene(scene_id="consent", body="<p>Consent text</p>"),
        GymScene(
            scene_id="game",
            env="examples.gather.env:make",
            env_kwargs={"players": 1},
            agents={"player_0": "human"},
            keys=ARROWS,
            max_steps=150,
            num_episodes=2,
            countdown_seconds=0,
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        ),
        SurveyScene(
            scene_id="survey",
            questions=[
                ScaleQuestion(id="fun", label="Fun?", min=1, max=5, labels=["No", "Very"]),
                ChoiceQuestion(id="device", label="Device", options=["Laptop", "Desktop"]),
                TextQuestion(id="notes", label="Anything else?", required=False),
            ],
        ),
        EndScene(scene_id="end"),
    ],
)
PATHS += [f"testkit.fixture_experiments:{name}" for name in ("net_reliable", "net_marathon", "load_study")]


# Endings a browser can claim (tests/security/test_claimable_endings.py): the game scene with a fixed runtime-error
# code.
fixed_error = Experiment(
    slug="fixed-error",
    title="A game whose runtime errors carry the researcher's fixed code",
    outcomes={"runtime_error": Outcome(message="The game stopped.", code="C1BROKEN")},
    stager=[dataclasses.replace(game.stager[0]), EndScene(scene_id="end")],
)
PATHS.append("testkit.fixture_experiments:fixed_error")
PATHS.append("testkit.reads_experiments:arms")  # tests/security/test_participant_reads.py

consent_quota = Experiment(
    slug="consent-quota",
    title="Two places, held from consent on",
    time_limit_minutes=30,
    quota=Quota(completed=2),
    stager=[ConsentScene(scene_id="consent"), StaticScene(scene_id="intro"), EndScene(scene_id="end")],
)
PATHS.append("testkit.fixture_experiments:consent_quota")


# Verification (issue 17): the `game` scene with the replay policy, and CartPole for the verifier benchmark.
def tag_game(**scene) -> GymScene:
    return GymScene(
        scene_id="play",
        env="examples.tag.env:make",
        agents={"chaser": "human", "runner": "random"},
        keys={"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4},
        num_episodes=2,
        max_steps=130,
        seed=[11, 12],
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        **scene,
    )


game_replay = Experiment(
    slug="game-replay",
    title="Game data; an episode that differs from the server's replay is played again",
    verification="replay",
    stager=[tag_game(), EndScene(scene_id="end")],
)
cartpole_long = Experiment(
    slug="cartpole-long",
    title="CartPole, 500 steps (bench/verify.py)",
    stager=[
        GymScene(
            scene_id="play",
            env="examples.cartpole.env:make",
            keys={"ArrowLeft": 0, "ArrowRight": 1},
            max_steps=500,
            num_episodes=1,
        ),
        EndScene(scene_id="end"),
    ],
)
PATHS += [f"testkit.fixture_experiments:{name}" for name in ("game_replay", "cartpole_long")]

# A screened study with one place and no consent scene: passing the screening takes the place
# (tests/security/test_abuse_http.py::test_a_screening_pass_takes_a_quota_slot_and_the_next_pass_finds_it_full).
screen_quota = Experiment(
    slug="screen-quota",
    title="One place, held from a passed screening on",
    quota=Quota(completed=1),
    screening=Screening(),
    stager=[StaticScene(scene_id="intro", body="<p>In.</p>"), EndScene(scene_id="end")],
)
PATHS.append("testkit.fixture_experiments:screen_quota")

# A server-side game whose env draws a registered image (issue 18: the first frame a player sees has every asset).
server_sprites = Experiment(
    slug="server-sprites",
    title="Gather with a sprite, stepped on the server",
    stager=[dataclasses.replace(server_gather(), env="testkit.envs.sprites:make"), EndScene(scene_id="end")],
)
PATHS.append("testkit.fixture_experiments:server_sprites")

# The game page (issue 18): the first frame under the countdown, each seat's label and its own score in the HUD.
TAG_LABELS = {"chaser": "the red dot", "runner": "the green dot"}
labelled = Experiment(
    slug="labelled",
    title="Tag against a random runner, with seat labels and the scene's own HUD line",
    stager=[
        GymScene(
            scene_id="play",
            env="examples.tag.env:make",
            agents={"chaser": "human", "runner": "random"},
            keys=ARROWS,
            num_episodes=1,
            max_steps=200,
            countdown_seconds=3,
            agent_labels=TAG_LABELS,
            hud_text="testkit.envs.hudtext:line",
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        ),
        EndScene(scene_id="end"),
    ],
)
server_tag_pair = Experiment(
    slug="server-tag-pair",
    title="Tag for two on the server (the runner's score is never the chaser's): each seat sees its own",
    stager=[
        GymScene(
            scene_id="play",
            env="examples.tag.env:make",
            agents={"chaser": "human", "runner": "human"},
            keys=ARROWS,
            num_episodes=1,
            max_steps=1800,
            countdown_seconds=0,
            runs_on="server",
            agent_labels=TAG_LABELS,
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(lagging_s=0.5, dropout_s=30.0, on_dropout=EndForAll()),
        ),
        EndScene(scene_id="end"),
    ],
)
PATHS += ["testkit.fixture_experiments:labelled", "testkit.fixture_experiments:server_tag_pair"]
