"""Runs the anchor (MUG 0.1.3 as shipped) with a two-player P2P Pyodide experiment on 127.0.0.1; anchor venv only."""

# eventlet must patch the stdlib before anything else imports it, as MUG's own examples do.
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import types  # noqa: E402


def _refuse(*_args, **_kwargs):
    raise OSError("benchmark: no traffic off this machine")


def _cut_outside_lookups(app) -> None:
    """Make run()'s two print-only look-ups (UDP connect to 8.8.8.8, HTTPS to api.ipify.org) fail at once."""
    # app.py uses its `socket` and `urllib` names only for those look-ups, so shadowing them there is enough.
    app.socket = types.SimpleNamespace(socket=_refuse, AF_INET=None, SOCK_DGRAM=None)
    app.urllib = types.SimpleNamespace(request=types.SimpleNamespace(urlopen=_refuse))


def build_config(port: int):
    from mug.configurations import configuration_constants
    from mug.configurations.experiment_config import ExperimentConfig
    from mug.scenes import gym_scene, stager, static_scene

    human = configuration_constants.PolicyTypes.Human
    start = static_scene.StartScene().scene(scene_id="start").display(scene_header="Relay benchmark")
    game = (
        gym_scene.GymScene()
        .scene(scene_id="relay_game")
        .policies(policy_mapping={0: human, 1: human})
        # The server never runs this code (browsers would); it only has to be present.
        .runtime(run_through_pyodide=True, environment_initialization_code="env = None")
        .multiplayer(mode="p2p", multiplayer=True, input_delay=2)
    )
    end = static_scene.EndScene().scene(scene_id="end").display(scene_header="Done")
    return (
        ExperimentConfig()
        .experiment(experiment_id="relay_bench", stager=stager.Stager(scenes=[start, game, end]))
        .hosting(host="127.0.0.1", port=port)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    from mug.server import app

    _cut_outside_lookups(app)
    app.run(build_config(args.port))


if __name__ == "__main__":
    main()
