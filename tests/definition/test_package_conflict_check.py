"""A study whose game scenes pin two versions of one package gets a system-check warning (not an error) naming the
later scene, which boots its own Python; the same pins, ranges and server games raise nothing."""

from __future__ import annotations

import io

import pytest
from django.core import checks
from django.core.management import call_command

from experiments.definition.package_pins import pin_conflicts, pins_of
from experiments.study import GymScene
from testkit.runtime_experiments import cartpole
from testkit.visit_experiments import use_probe_studies


def pin_warnings() -> list[checks.CheckMessage]:
    return [message for message in checks.run_checks() if message.id == "experiments.W001"]


@pytest.fixture
def probe_studies(settings, tmp_path):
    """The test studies plus those pinning mugprobe, with a wheelhouse that holds it (the env pre-flight natively:
    some test studies crash on purpose, which the Pyodide pre-flight reports as errors)."""
    use_probe_studies(settings, tmp_path / "wheelhouse")
    settings.MUG_PREFLIGHT = "native"


def test_conflicting_pins_in_one_study_are_a_warning_naming_the_later_scene(probe_studies):
    warnings = pin_warnings()
    assert [message.level for message in warnings] == [checks.WARNING]  # only version-clash among the test studies
    text = warnings[0].msg
    assert "'version-clash'" in text and "'second'" in text and "'first'" in text
    assert "mugprobe==2.0.0" in text and "mugprobe==1.0.0" in text and "its own Python" in text


def test_the_warning_does_not_stop_the_server_from_starting(probe_studies):
    err = io.StringIO()
    call_command("check", "--fail-level", "ERROR", stdout=io.StringIO(), stderr=err)
    assert "experiments.W001" in err.getvalue()


def test_only_exact_pins_of_browser_games_at_two_versions_conflict():
    assert pins_of(["Gymnasium==1.4.0", "pettingzoo>=1.24", "numpy", "cogrid[extra]==0.3.2; python_version>'3'"]) == {
        "gymnasium": "1.4.0",
        "cogrid": "0.3.2",
    }
    first = cartpole("first", packages=["gymnasium==1.4.0", "Farama_Notifications==0.0.6"])
    same = cartpole("same", packages=["gymnasium==1.4.0", "farama-notifications==0.0.6"])
    ranged = cartpole("ranged", packages=["gymnasium>=1.0"])
    older = cartpole("older", packages=["gymnasium==1.0.0"])
    on_server = GymScene(
        scene_id="server",
        env="examples.cartpole.env:make",
        keys={"a": 0},
        runs_on="server",
        packages=["gymnasium==0.29.1"],
    )
    assert pin_conflicts([first, same, ranged, on_server]) == []
    (conflict,) = pin_conflicts([first, same, older])
    assert (conflict.earlier, conflict.later, conflict.package) == (
        "same",
        "older",
        "gymnasium",
    )  # the last scene that loaded it
    assert (conflict.earlier_version, conflict.later_version) == ("1.4.0", "1.0.0")
