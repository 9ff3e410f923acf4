"""Test studies of the participant flow: every scene type and wrapper, single-player games, screening, monitoring
and quotas; and PATHS, every test study by dotted path."""

import dataclasses

from experiments.study import (
    COMPLETED,
    DECLINED_CONSENT,
    Branch,
    ChoiceQuestion,
    Conditions,
    ConsentScene,
    EndScene,
    Experiment,
    GymScene,
    InstructionsScene,
    Monitoring,
    Outcome,
    Quota,
    RandomizeOrder,
    Repeat,
    ScaleQuestion,
    Screening,
    StaticScene,
    SurveyScene,
    TextQuestion,
)
from testkit.relay_experiments import ARROWS
from testkit.server_experiments import TAG_LABELS


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


# Endings a browser can claim (tests/security/test_claimable_endings.py): the game scene with a fixed runtime-error
# code.
fixed_error = Experiment(
    slug="fixed-error",
    title="A game whose runtime errors carry the researcher's fixed code",
    outcomes={"runtime_error": Outcome(message="The game stopped.", code="C1BROKEN")},
    stager=[dataclasses.replace(game.stager[0]), EndScene(scene_id="end")],
)

consent_quota = Experiment(
    slug="consent-quota",
    title="Two places, held from consent on",
    time_limit_minutes=30,
    quota=Quota(completed=2),
    stager=[ConsentScene(scene_id="consent"), StaticScene(scene_id="intro"), EndScene(scene_id="end")],
)


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

# A screened study with one place and no consent scene: passing the screening takes the place
# (tests/security/test_abuse_http.py::test_a_screening_pass_takes_a_quota_slot_and_the_next_pass_finds_it_full).
screen_quota = Experiment(
    slug="screen-quota",
    title="One place, held from a passed screening on",
    quota=Quota(completed=1),
    screening=Screening(),
    stager=[StaticScene(scene_id="intro", body="<p>In.</p>"), EndScene(scene_id="end")],
)


# Reloads and second tabs in single-player games (tests/gamedata/test_episode_numbering.py,
# tests/browser/test_solo_reload_browser.py): the "game" study whose interrupted rounds count as played.
game_skip = Experiment(
    slug="game-skip",
    title="Game data, a reload skips the round",
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
            reload_policy="skip",
        ),
        EndScene(scene_id="end"),
    ],
)


# The game page (issue 18): the first frame under the countdown, each seat's label and its own score in the HUD.
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
            # Eleven steps apart: the random runner cannot reach the idle chaser while the test watches the HUD.
            seed=20,
            countdown_seconds=3,
            agent_labels=TAG_LABELS,
            hud_text="testkit.envs.hudtext:line",
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        ),
        EndScene(scene_id="end"),
    ],
)


# Every test study by dotted path: the servers the tests start load them all (MUG_EXPERIMENTS).
PATHS = [
    *(f"examples.{name}.experiment:experiment" for name in ("demo", "cartpole", "tag", "tagai", "lander")),
    *(
        f"testkit.fixture_experiments:{name}"
        for name in (
            "flow",
            "fixed_codes",
            "timed",
            "game",
            "crash",
            "quota",
            "screen",
            "screen_runtime",
            "screen_slow_game",
            "watched",
            "watched_hidden",
            "load_study",
            "fixed_error",
            "consent_quota",
            "game_replay",
            "cartpole_long",
            "screen_quota",
            "game_skip",
            "labelled",
        )
    ),
    *(f"testkit.room_experiments:{name}" for name in ("duo", "duo_ai", "duo_end", "duo_skip", "pairs")),
    *(
        f"testkit.relay_experiments:{name}"
        for name in (
            "net_pair",
            "net_trio",
            "net_quad",
            "net_patient",
            "net_relay",
            "net_reliable",
            "net_reliable_four",
            "net_marathon",
            "watched_pair",
        )
    ),
    *(
        f"testkit.server_experiments:{name}"
        for name in (
            "server_solo",
            "server_slow",
            "server_stuck",
            "server_long",
            "server_crash",
            "server_pair",
            "server_pair_ai",
            "server_pair_wait",
            "watched_far",
            "server_sprites",
            "server_tag_pair",
        )
    ),
    *(
        f"testkit.runtime_experiments:{name}"
        for name in ("one_game", "load_deadline", "model_deadline", "reset_crash", "two_games")
    ),
    "testkit.reads_experiments:arms",
    *(f"testkit.visit_experiments:{name}" for name in ("group_then_solo", "room_then_solo", "group_twice")),
    "testkit.anchor_experiments:anchor_car",
    *(f"testkit.agentid_experiments:{name}" for name in ("int_solo", "int_pair", "anchor_solo")),
    "testkit.shipping_experiments:pz_noship",
]
PATHS += [f"testkit.netplay_late_experiments:{name}" for name in ("net_gap", "net_diverge", "net_late")]
PATHS += [f"testkit.onnx_experiments:{name}" for name in ("onnx_server", "onnx_server_pair")]
PATHS += [f"testkit.hook_experiments:{name}" for name in ("seat_pair", "seat_solo", "hook_solo", "hook_server")]
PATHS += ["testkit.asset_experiments:sprite_assets"]
