"""Test studies of envs written for the anchor MUG (mug.rendering.Surface), played as they are."""

from experiments.study import EndScene, Experiment, GymScene

# The anchor-style MountainCar: a 300x200 surface drawn on the default 600x400 canvas, sprites drawn crisp.
anchor_car = Experiment(
    slug="anchor-car",
    title="Anchor-style MountainCar",
    stager=[
        GymScene(
            scene_id="drive",
            env="testkit.envs.anchor_style:make",
            keys={"ArrowLeft": 0, "ArrowRight": 2},
            default_action=1,
            num_episodes=2,
            max_steps=45,
            seed=[21, 22],
            pixel_art=True,
        ),
        EndScene(scene_id="end"),
    ],
)
