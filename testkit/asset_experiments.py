"""A test study drawing its own image files (GymScene.assets, files in testkit/assets/): a sprite and an atlas."""

from __future__ import annotations

from experiments.study import EndScene, Experiment, GymScene

ASSETS = {"chef": "assets/chef.png", "tiles": ("assets/tiles.png", "assets/tiles.json")}
CHEF_RGB = (30, 160, 90)  # the colour of every pixel of assets/chef.png
BLUE_RGB = (40, 40, 200)  # the atlas frame "blue" of assets/tiles.png


def walk(**options) -> GymScene:
    scene = {"env": "testkit.envs.asset_sprites:make", "keys": {"d": 1}, "default_action": 1, "max_steps": 60}
    return GymScene(scene_id="play", seed=[1], assets=ASSETS, **{**scene, **options})


sprite_assets = Experiment(
    slug="sprite-assets",
    title="A game drawing the study's own images",
    # the env's 100x60 Surface drawn at twice its size: the sprite's centre (25, 25) lands on canvas pixel (50, 50)
    stager=[walk(default_action=0, max_steps=2000, width=200, height=120), EndScene(scene_id="end")],
)
