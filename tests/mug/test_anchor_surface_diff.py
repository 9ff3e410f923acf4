"""The anchor's drawing API, differentially: the same draw calls through the anchor's own `mug.rendering` (PyPI
multi-user-gymnasium 0.1.3, run in var/anchor-venv) and through ours give the same packets, hence the same shapes,
positions after scaling, colours and depths; an env written for the anchor draws the same frames under both."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mug.rendering import wire
from testkit import anchor_venv

pytestmark = pytest.mark.system  # runs the anchor's interpreter in a subprocess

ENV_FILE = Path(__file__).resolve().parents[2] / "testkit" / "envs" / "anchor_style.py"

# Runs unchanged under either package: `Surface` etc. come from whichever `mug.rendering` the interpreter has.
SCENARIO = r"""
import json
from mug.rendering import NAMED_COLORS, Surface, normalize_color

def attempt(call):
    try:
        call()
        return None
    except Exception as error:
        return type(error).__name__

s = Surface(300, 200)
s.register_image("flag", path="img/flag.png")
s.register_atlas("chefs", img_path="img/chefs.png", json_path="img/chefs.json")
out = {"specs": s.get_asset_specs(), "frames": [], "errors": {}, "named": NAMED_COLORS, "colors": {}}
def commit():
    packet = s.commit()
    data = packet.to_dict()
    assert set(data) == {"game_state_objects", "removed"}, data
    data["removed"] = sorted(data["removed"])
    out["frames"].append(data)

def every_primitive(shift):
    s.rect(x=10 + shift, y=20, w=30, h=40, color=(255, 0, 0))
    s.rect(x=0.1, y=0.2, w=0.3, h=0.1, color="#0F0", border_radius=4, stroke_color="black", stroke_width=2,
           relative=True, depth=3, id="panel", persistent=True)
    s.circle(x=150 + shift, y=100, radius=10, color="orange", stroke_color=(0, 0, 0), stroke_width=1,
             tween_duration=100, id="ball")
    s.circle(x=0.5, y=0.5, radius=0.05, relative=True, alpha=0.5)
    s.line(points=[(0, 150), (150, 120), (300, 160)], color="green", width=3, fill_below=True, id="hill",
           persistent=True)
    s.line(points=[(0, 0.1), (1, 0.2)], relative=True, fill_above=True, color="#123456")
    s.polygon(points=[(10, 10), (40, 10), (25, 40 + shift)], color="purple", stroke_color="white", stroke_width=2,
              depth=-1)
    s.text(text=f"Score {shift}", x=8, y=6, size=14, color="navy", font="Courier")
    s.text(text="rel", x=0.5, y=0.5, relative=True)
    s.image(image_name="flag", x=200, y=50, w=16, h=12)
    s.image(image_name="chefs", x=0.2, y=0.3, w=45, h=45, frame="chef-up.png", angle=90, relative=True, id="chef",
            persistent=True, tween_duration=66)
    s.image(image_name="chefs", x=30, y=30, w=60, h=30, frame=3)
    s.arc(x=100, y=100, radius=20, start_angle=0, end_angle=3.14, color="teal")
    s.ellipse(x=60, y=160, rx=20, ry=10, color="maroon", depth=1, tween_duration=50)

every_primitive(0)
commit()                       # 1: everything
every_primitive(0)
commit()                       # 2: persistent objects unchanged: not sent again
every_primitive(5)
s.rect(x=0.1, y=0.2, w=0.3, h=0.1, color="blue", relative=True, depth=4, id="panel", persistent=True)
s.remove("hill")
commit()                       # 3: moved, recoloured, one removed
commit()                       # 4: nothing drawn
s.remove("chef")
s.remove("never-drawn")
commit()                       # 5: removals only
s.reset()
every_primitive(1)
commit()                       # 6: after reset every persistent object is sent again

out["errors"] = {
    "persistent without id": attempt(lambda: s.rect(x=0, y=0, w=1, h=1, persistent=True)),
    "list colour": attempt(lambda: s.circle(x=0, y=0, radius=1, color=[1, 2, 3])),
    "unknown name": attempt(lambda: s.circle(x=0, y=0, radius=1, color="chartreuse")),
    "out of range": attempt(lambda: s.circle(x=0, y=0, radius=1, color=(0, 0, 256))),
    "float channel": attempt(lambda: s.circle(x=0, y=0, radius=1, color=(0, 0.5, 0))),
    "two channels": attempt(lambda: s.circle(x=0, y=0, radius=1, color=(0, 0))),
    "number colour": attempt(lambda: s.circle(x=0, y=0, radius=1, color=7)),
    "bad hex": attempt(lambda: s.circle(x=0, y=0, radius=1, color="#12345")),
    "positional": attempt(lambda: s.circle(1, 2, 3)),
}
for value in [*NAMED_COLORS, "RED", " Navy ", "#ABC", "#abcdef", "#AbCdEf"]:
    out["colors"][value] = normalize_color(value)
print(json.dumps(out))
"""

# The anchor-style env (testkit/envs/anchor_style.py), loaded by file path so that its `from mug.rendering import
# Surface` resolves to whichever package the interpreter has; a fixed run of actions over two episodes.
ENV_RUN = r"""
import importlib.util, json
spec = importlib.util.spec_from_file_location("anchor_style", PATH)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
env = module.make(render_mode="mug")
frames = []
for episode, seed in enumerate([3, 4]):
    env.reset(seed=seed)
    frames.append(env.render())
    for step in range(40):
        env.step([2, 2, 0, 1][step % 4])
        frames.append(env.render())
print(json.dumps(frames))
"""

USER_IDS = {"panel", "ball", "hill", "chef", "car", "pole", "flag", "never-drawn"}


def run_here(script: str) -> dict | list:
    """The script with this project's `mug.rendering`, in this process; its printed JSON."""
    printed: list[str] = []
    exec(compile(script, "<scenario>", "exec"), {"print": printed.append, "__name__": "scenario"})  # noqa: S102
    return json.loads(printed[-1])


def run_anchor(script: str) -> dict | list:
    return json.loads(anchor_venv.run(script).strip().splitlines()[-1])


def auto_ids(frames: list[dict]) -> list[dict]:
    """Ids the env did not give (random in the anchor, counted here) as one placeholder; everything else as is."""
    for frame in frames:
        for obj in frame["game_state_objects"]:
            if obj["uuid"] not in USER_IDS:
                obj["uuid"] = "<auto>"
    return frames


def same(a, b, path="") -> None:
    """Equal structures; numbers equal to the last bits of a double (both sides divide the same numbers)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        assert type(a) is type(b) and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), f"{path}: {a!r} != {b!r}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)} != {list(b)}"
        for key in a:
            same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{path}: {len(a)} items != {len(b)}"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{index}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.fixture(scope="module")
def outputs():
    return run_anchor(SCENARIO), run_here(SCENARIO)


def test_every_primitive_and_option_gives_the_anchors_packets_frame_by_frame(outputs):
    anchor, ours = outputs
    assert len(ours["frames"]) == 6
    same(auto_ids(anchor["frames"]), auto_ids(ours["frames"]), "frames")
    # The scenario really exercised deltas: frame 2 resends only ephemeral objects, 4 is empty, 5 only removes.
    kinds = [sorted({o["object_type"] for o in f["game_state_objects"]}) for f in ours["frames"]]
    assert kinds[0] == ["arc", "circle", "ellipse", "line", "polygon", "rect", "sprite", "text"]
    assert {o["uuid"] for o in ours["frames"][1]["game_state_objects"]} & {"panel", "hill", "chef"} == set()
    assert ours["frames"][2]["removed"] == ["hill"] and ours["frames"][3] == {"game_state_objects": [], "removed": []}
    assert ours["frames"][4]["removed"] == ["chef", "never-drawn"]
    assert {"panel", "hill", "chef"} <= {o["uuid"] for o in ours["frames"][5]["game_state_objects"]}


def test_asset_specs_colours_and_errors_are_the_anchors(outputs):
    anchor, ours = outputs
    assert ours["specs"] == anchor["specs"]
    assert ours["named"] == anchor["named"] and ours["colors"] == anchor["colors"]
    assert ours["errors"] == anchor["errors"]
    assert ours["errors"]["persistent without id"] == "ValueError" and ours["errors"]["positional"] == "TypeError"


def test_both_packets_draw_the_same_shapes_at_the_same_canvas_pixels(outputs):
    """What the page draws (the loop's conversion onto a 600x400 canvas) is the same for the anchor's packets and
    ours, and places things where the anchor's Phaser renderer does: x * width, y * height, radius * larger side."""
    anchor, ours = outputs
    drawn = [[wire.to_packet(frame, 600, 400) for frame in side["frames"]] for side in (anchor, ours)]
    same(drawn[0], drawn[1], "drawn")
    first = {obj["id"]: obj for obj in drawn[1][0]["objects"]}
    ball, panel, hill, chef = first["ball"], first["panel"], first["hill"], first["chef"]
    assert (ball["type"], ball["x"], ball["y"], ball["r"]) == ("circle", 300, 200, 20)  # (150, 100) r 10 of 300x200
    assert (ball["fill"], ball["stroke"], ball["tween_ms"], ball["depth"]) == ("#ffa500", "#000000", 100, 0)
    assert panel["x"] == pytest.approx(60) and panel["w"] == pytest.approx(180) and panel["depth"] == 3
    assert (panel["fill"], panel["radius"], panel["persistent"]) == ("#00ff00", 4, True)
    assert hill["points"] == [[0, 300], [300, 240], [600, 320]] and hill["fill_to"] == [400]
    assert (hill["fill"], hill["stroke"], hill["stroke_width"]) == ("#008000", "#008000", 3)
    # An atlas frame, positioned by its corner (floored), shown at its pixel size, as the anchor shows sprites.
    assert (chef["type"], chef["x"], chef["y"], chef["w"], chef["h"], chef["origin"]) == ("image", 120, 120, 45, 45, 0)
    assert (chef["image"], chef["frame"], chef["angle"]) == ("chefs", "chef-up.png", 90)


def test_an_env_written_for_the_anchor_draws_the_same_frames_under_both_packages():
    script = ENV_RUN.replace("PATH", repr(str(ENV_FILE)))
    anchor, ours = run_anchor(script), run_here(script)
    assert len(ours) == 82
    same(auto_ids([dict(f) for f in anchor]), auto_ids([dict(f) for f in ours]), "env frames")
    hill = ours[0]["game_state_objects"]
    assert any(obj["uuid"] == "hill" and obj["fill_below"] is True for obj in hill)
