"""Experiment definitions are validated when they load; the stager draws, repeats and branches correctly."""

from __future__ import annotations

import random

import pytest
from django.core import checks

from experiments.definition import registry
from experiments.definition.stager import Branch, RandomizeOrder, Repeat, expand, resolve_branch
from experiments.study import (
    ChoiceQuestion,
    DefinitionError,
    EndScene,
    Experiment,
    ScaleQuestion,
    StaticScene,
    SurveyScene,
    TextQuestion,
)

END = EndScene(scene_id="end")


def make(stager, **kwargs) -> Experiment:
    return Experiment(slug="t", title="T", stager=stager, **kwargs)


@pytest.mark.parametrize(
    ("stager", "message"),
    [
        ([StaticScene(scene_id="a")], "must end with an EndScene"),
        ([StaticScene(scene_id="a"), StaticScene(scene_id="a"), END], "used twice"),
        ([RandomizeOrder([StaticScene(scene_id="a")], keep_n=2), END], "keep_n"),
        ([Repeat([StaticScene(scene_id="a")], times=0), END], "times >= 1"),
        ([StaticScene(scene_id="bad id!"), END], "must be a letter"),
        ([StaticScene(scene_id="a", body_file="missing.html"), END], "does not exist"),
        ([Branch("b", select=lambda a: "x", branches={"x": []}, default="y"), END], "default among them"),
        ([SurveyScene(scene_id="s", questions=[]), END], "has no questions"),
        (
            [SurveyScene(scene_id="s", questions=[ScaleQuestion(id="q", label="Q", min=1, max=2, step=0.3)]), END],
            "whole number of steps",
        ),
        (
            [SurveyScene(scene_id="s", questions=[ChoiceQuestion(id="q", label="Q", options=["a"])]), END],
            "two distinct options",
        ),
        (
            [
                SurveyScene(scene_id="s", questions=[TextQuestion(id="q", label="Q"), TextQuestion(id="q", label="R")]),
                END,
            ],
            "duplicate question ids",
        ),
        (["not a scene", END], "is not a scene"),
    ],
)
def test_invalid_definitions_fail_at_load_with_the_reason(tmp_path, stager, message):
    with pytest.raises(DefinitionError, match=message):
        make(stager).prepare(tmp_path)


def test_bad_slug_and_unknown_outcome(tmp_path):
    with pytest.raises(DefinitionError, match="slug"):
        Experiment(slug="Bad Slug", title="x", stager=[END]).prepare(tmp_path)
    with pytest.raises(DefinitionError, match="unknown outcomes"):
        make([END], outcomes={"won": None}).prepare(tmp_path)


def test_broken_experiment_path_is_a_system_check_error(settings):
    settings.MUG = {**settings.MUG, "EXPERIMENTS": ["tests.no_such_module:experiment"]}
    errors = [message for message in checks.run_checks() if message.id == "experiments.E001"]
    assert errors and "cannot import" in errors[0].msg


def test_registry_rejects_duplicate_slugs(settings):
    settings.MUG = {**settings.MUG, "EXPERIMENTS": ["testkit.fixture_experiments:flow"] * 2}
    assert list(registry.all_experiments()) == ["flow"]  # the first one loads; the second is an error
    [(path, error)] = registry.load_errors()
    assert isinstance(error, DefinitionError) and "two experiments use the slug" in str(error)


def test_expand_draws_keep_n_and_suffixes_repeats():
    stager = [
        RandomizeOrder([StaticScene(scene_id=x) for x in "abc"], keep_n=2),
        Repeat([StaticScene(scene_id="r"), Repeat([StaticScene(scene_id="inner")], times=2)], times=2),
        Branch("b", select=lambda answers: "x", branches={"x": [StaticScene(scene_id="bx")]}, default="x"),
        END,
    ]
    keys = expand(stager, random.Random(1))
    assert len(keys[:2]) == 2 and set(keys[:2]) <= {"a", "b", "c"}
    assert keys[2:] == ["r@1", "inner@1@1", "inner@1@2", "r@2", "inner@2@1", "inner@2@2", "?b", "end"]
    orders = {tuple(expand(stager, random.Random(seed))[:2]) for seed in range(30)}
    assert len(orders) == 6  # every ordered pair of 3 conditions occurs


def test_branch_falls_back_to_default_when_select_fails():
    def broken(answers):
        raise KeyError("missing")

    branch = Branch("b", select=broken, branches={"x": [StaticScene(scene_id="x1")], "y": []}, default="x")
    assert resolve_branch(branch, "?b@2", {}, random.Random(0)) == ["x1@2"]
    branch.select = lambda answers: "nonsense"
    assert resolve_branch(branch, "?b", {}, random.Random(0)) == ["x1"]
