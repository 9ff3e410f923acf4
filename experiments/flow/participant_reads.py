"""What runtime files a participant may read: the code bundles, models and asset files of the in-browser game scenes
their own plan holds (scenes behind a branch not yet resolved included, since the plan may still lead there)."""

from __future__ import annotations

from pathlib import Path

from experiments.definition.assets import AssetFile
from experiments.definition.gym_scene import GymScene
from experiments.definition.scenes import Scene
from experiments.definition.stager import base_id, is_branch_key, iter_nodes
from experiments.flow.models import Participant


def plan_scene_ids(participant: Participant, definition) -> set[str]:
    """The scene ids the participant's plan holds or can still reach through its unresolved branches."""
    ids: set[str] = set()
    for key in participant.plan:
        if not is_branch_key(key):
            ids.add(base_id(key))
            continue
        branch = definition.branch(base_id(key))
        ids |= {node.scene_id for node in iter_nodes([branch]) if isinstance(node, Scene)}
    return ids


def browser_games(participant: Participant, definition) -> list[GymScene]:
    """The participant's in-browser game scenes, in the definition's order, with their solo variants (played after
    a waiting room's PlayWithAI timeout). Server-side scenes ship nothing to the browser."""
    ids = plan_scene_ids(participant, definition)
    scenes = [s for s in definition.scenes() if isinstance(s, GymScene) and s.scene_id in ids and not s.on_server]
    return [variant for scene in scenes for variant in (scene, scene.solo_variant()) if variant is not None]


def bundle_variants(participant: Participant, definition, scene_id: str) -> list[GymScene]:
    """The scene (and its solo variant) whose code this participant may load, or [] when they may not."""
    return [scene for scene in browser_games(participant, definition) if scene.scene_id == scene_id]


def model_file(participant: Participant, definition, sha256: str) -> Path | None:
    """The ONNX file with this hash if one of the participant's in-browser games uses it."""
    for scene in browser_games(participant, definition):
        path = scene.model_files().get(sha256)
        if path is not None:
            return path
    return None


def asset_file(participant: Participant, definition, sha256: str, filename: str) -> AssetFile | None:
    """The asset file with this hash and file name if one of the participant's in-browser games declares it."""
    for scene in browser_games(participant, definition):
        for asset in scene.scene_assets().values():
            for file in asset.files():
                if file.sha256 == sha256 and file.path.name == filename:
                    return file
    return None
