# examples/sprites/scene.py
"""The kitchen walk as a game scene: its images are files beside this module, loaded before Start."""

from experiments.study import GymScene

kitchen = GymScene(
    scene_id="kitchen",
    env="examples.sprites.env:make",
    keys={"ArrowLeft": 1, "ArrowRight": 2},
    max_steps=300,
    width=640,
    height=160,
    pixel_art=True,
    assets={
        "chef": "sprites/chef.png",  # an image
        "kitchen": ("sprites/kitchen.png", "sprites/kitchen.json"),  # an atlas: the image and its frames
    },
)
