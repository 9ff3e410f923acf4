"""The per-frame call's fast paths change nothing: the same packets, rows and errors as the plain checks."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from mug import colors, loop
from mug.colors import normalize_color
from mug.surface import Surface

CARTPOLE = {
    "env": "examples.cartpole.env:make",
    "agents": {"agent": "human"},
    "keys": {"ArrowLeft": 0, "ArrowRight": 1},
    "fps": 30,
    "num_episodes": 2,
    "max_steps": 300,
}
# The digest of 400 CartPole frames (two episodes and a bit, keys switching every third frame) as the code before
# the fast paths produced them: every start and tick output, parsed and dumped with sorted keys.
CARTPOLE_DIGEST = "8773de1070a37d078d699a3ddf275f75272e7d949a2df675bc46448943069ad8"


def canonical(text: str) -> bytes:
    return json.dumps(json.loads(text), sort_keys=True).encode()


def test_cartpole_frames_are_those_of_the_code_before_the_fast_paths():
    loop.boot(json.dumps(CARTPOLE))
    digest = hashlib.sha256(canonical(loop.start(0, 7)))
    for i in range(400):
        text = loop.tick(json.dumps({"held": ["ArrowLeft"] if (i // 3) % 2 else ["ArrowRight"], "presses": []}))
        digest.update(canonical(text))
        if json.loads(text)["over"]:
            digest.update(canonical(loop.start(1, 8 + i)))
    assert digest.hexdigest() == CARTPOLE_DIGEST


def test_the_tick_output_is_compact_json_of_the_same_values():
    loop.boot(json.dumps(CARTPOLE))
    loop.start(0, 3)
    text = loop.tick(json.dumps({"held": ["ArrowLeft"], "presses": []}))
    assert ", " not in text and '": ' not in text
    assert json.dumps(json.loads(text)) == json.dumps(json.loads(text), separators=(", ", ": "))


@pytest.mark.parametrize(
    ("value", "expected", "kind"),
    [
        (3, 3, int),
        (2.5, 2.5, float),
        (np.float64(1.25), 1.25, float),
        (np.float32(0.5), 0.5, float),
        (np.int64(4), 4, int),
    ],
)
def test_numbers_become_plain_python_numbers(value, expected, kind):
    s = Surface(10, 10)
    s.circle(value, value, 1, id="c")
    obj = s.commit()["objects"][0]
    assert obj["x"] == expected and type(obj["x"]) is kind


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), np.float64("nan"), np.float64("inf")])
def test_non_finite_numbers_are_refused(value):
    with pytest.raises(ValueError, match="x must be finite"):
        Surface(10, 10).rect(value, 0, 1, 1)


@pytest.mark.parametrize("value", [True, "1", None, [1]])
def test_non_numbers_are_refused(value):
    with pytest.raises(TypeError, match="x must be a number"):
        Surface(10, 10).rect(value, 0, 1, 1)


def test_common_options_are_still_checked():
    s = Surface(10, 10)
    with pytest.raises(TypeError, match="id must be a str"):
        s.rect(0, 0, 1, 1, id=7)
    with pytest.raises(ValueError, match="alpha"):
        s.rect(0, 0, 1, 1, alpha=1.5)
    with pytest.raises(ValueError, match="tween_ms"):
        s.rect(0, 0, 1, 1, tween_ms=True)
    with pytest.raises(ValueError, match="persistent object needs an id"):
        s.rect(0, 0, 1, 1, persistent=True)
    s.rect(0, 0, 1, 1, id="a", persistent=1, alpha=1.0, depth=0.0)
    obj = s.commit()["objects"][0]
    assert (obj["persistent"], obj["alpha"], obj["depth"], obj["tween_ms"]) == (True, 1.0, 0.0, 0)
    assert list(obj)[:6] == ["id", "type", "persistent", "depth", "alpha", "tween_ms"]


def test_colours_seen_before_normalise_as_the_first_time():
    for value in [" Red ", "#ABC", "#a1b2c3", "navy", "NAVY"]:
        first = normalize_color(value)
        assert normalize_color(value) == first
    assert normalize_color(" Red ") == "#ff0000" and normalize_color("#ABC") == "#aabbcc"
    for _ in range(2):  # an unknown colour is refused every time, never remembered
        with pytest.raises(ValueError, match="unknown colour"):
            normalize_color("reddish")


def test_the_colour_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(colors, "_SEEN", {})
    for i in range(colors._SEEN_MAX + 50):
        assert normalize_color(f"#{i:06x}") == f"#{i:06x}"
    assert len(colors._SEEN) == colors._SEEN_MAX
