"""An env written for the anchor's Surface inside this project's loop: its packets reach the page converted (every
accepted form of render() output), its images are loaded, its numbers are plain JSON; a server game draws it
the same; pixel_art is checked at load and reaches the page's configuration."""

from __future__ import annotations

import json

import numpy as np
import pytest

from experiments.study import DefinitionError, GymScene
from mug import loop
from mug.loop import GameLoop, LoopConfig
from mug.rendering import RenderPacket, Surface, wire
from netcode.server.runner import Screen, ServerRunner
from testkit.envs import anchor_style

ANCHOR_CAR = {
    "env": "testkit.envs.anchor_style:make",
    "agents": {"agent": "human"},
    "keys": {"ArrowLeft": 0, "ArrowRight": 2},
    "default_action": 1,
    "max_steps": 30,
}


def test_the_loop_turns_the_anchors_packets_into_canvas_pixels():
    loop.boot(json.dumps(ANCHOR_CAR))
    started = json.loads(loop.start(0, 21))
    first = {obj["id"]: obj for obj in started["render"]["objects"]}
    assert started["render"]["size"] == [600, 400] and started["render"]["reset"] is False
    assert first["hill"]["type"] == "line" and first["hill"]["fill_to"] == [400] and first["hill"]["persistent"]
    assert first["car"]["type"] == "circle" and first["car"]["r"] == pytest.approx(20)  # 10 of 300 px, on 600
    assert first["flag"] == {
        **first["flag"],
        **{"type": "image", "image": "flag", "x": 540, "y": 60, "w": 16, "h": 12, "origin": 0},
    }
    ticked = json.loads(loop.tick(json.dumps({"held": ["ArrowRight"], "presses": []})))
    ids = [obj["id"] for obj in ticked["render"]["objects"]]
    assert "car" in ids and "hill" not in ids  # the hill is persistent and unchanged: not sent again


def test_the_registered_images_are_loaded_before_play():
    game = GameLoop(LoopConfig.from_dict(ANCHOR_CAR))
    assert game.assets() == [{"name": "flag", "kind": "image", "url": anchor_style.FLAG_URL}]
    surface = Surface(10, 10)
    surface.register_atlas("chefs", img_path="a.png", json_path="a.json")
    assert surface.assets() == [{"name": "chefs", "kind": "atlas", "url": "a.png", "atlas_url": "a.json"}]


def test_every_form_of_the_anchors_render_output_is_drawn():
    s = Surface(100, 50)
    s.rect(x=np.float32(10), y=np.int64(5), w=20, h=10, color="red", id="r")
    packet = s.commit()
    as_object = wire.to_packet(packet, 200, 100)
    as_dict = wire.to_packet(packet.to_dict(), 200, 100)
    as_list = wire.to_packet(packet.to_dict()["game_state_objects"], 200, 100)  # the anchor's legacy flat list
    assert as_object == as_dict == as_list
    rect = as_dict["objects"][0]
    assert (rect["x"], rect["y"], rect["w"], rect["h"]) == pytest.approx((20, 10, 40, 20))
    assert json.loads(json.dumps(as_dict)) == as_dict  # numpy numbers became plain ones
    assert all(wire.is_anchor_packet(form) for form in (packet, packet.to_dict(), []))
    assert not wire.is_anchor_packet({"objects": [], "removed": [], "reset": False})
    assert not wire.is_anchor_packet(np.zeros((2, 2, 3), dtype=np.uint8))
    odd = RenderPacket(objects=[{"uuid": "a", "object_type": "rectangle", "x": 0, "y": 0, "w": 1, "h": 1}])
    assert wire.to_packet(odd, 10, 10)["objects"][0]["type"] == "rect"  # the anchor renderer's alias
    unknown = wire.to_packet([{"uuid": "b", "object_type": "animation"}], 10, 10)["objects"][0]
    assert unknown["type"] == "animation"  # the page skips it with one warning, as the anchor's does


def test_a_server_game_draws_the_anchor_env_too():
    runner = ServerRunner({**ANCHOR_CAR, "render_mode": "mug"}, ["agent"])
    started = runner.start(0, 21)
    assert {obj["id"] for obj in started["render"]["objects"]} >= {"hill", "car", "flag", "pole"}
    assert runner.step()["render"]["size"] == [600, 400]


def anchor_scene(**options) -> GymScene:
    return GymScene(
        scene_id="drive", env="testkit.envs.anchor_style:make", keys={"ArrowLeft": 0}, default_action=1, **options
    )


def test_pixel_art_is_checked_at_load_and_reaches_the_page(tmp_path):
    with pytest.raises(DefinitionError, match="pixel_art must be True or False"):
        anchor_scene(pixel_art="yes").prepare(tmp_path)
    scene = anchor_scene(pixel_art=True)
    scene.prepare(tmp_path)
    assert scene.loop_config()["pixel_art"] is True
    assert anchor_scene().loop_config()["pixel_art"] is False


def test_a_late_joiners_repaint_keeps_the_drawing_area():
    runner = ServerRunner({**ANCHOR_CAR, "render_mode": "mug"}, ["agent"])
    screen = Screen()
    screen.apply(runner.start(0, 21)["render"])
    screen.apply(runner.step()["render"])
    full = screen.full()
    assert full["size"] == [600, 400] and {"hill", "flag", "pole"} <= {obj["id"] for obj in full["objects"]}
