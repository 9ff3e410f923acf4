"""A game scene's own image files (GymScene.assets): checked at load, served by content hash, preloaded by the page."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from experiments.definition.errors import DefinitionError

# What a browser decodes as an image, by suffix, with the bytes such a file starts with (a renamed file is refused,
# so the served content type is always the file's own). SVG is left out: it can carry script.
IMAGE_TYPES = {
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
}
ATLAS_TYPE = "application/json"  # an atlas's frames (Phaser's JSON hash or array format, as TexturePacker writes)
MAX_ASSET_BYTES = 4 * 1024 * 1024  # per file: every participant downloads every asset before the game starts
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")

DECLARATION, ESCAPES, MISSING, FILE_TYPE, TOO_LARGE = (f"experiments.E03{n}" for n in range(1, 6))


class AssetError(DefinitionError):
    """A scene's asset that cannot be served; `check_id` is the system check's id."""

    def __init__(self, message: str, check_id: str) -> None:
        super().__init__(message)
        self.check_id = check_id


@dataclass(frozen=True)
class AssetFile:
    """One checked file: the browser fetches it by `sha256` and its own file name."""

    path: Path
    sha256: str
    content_type: str
    size: int


@dataclass(frozen=True)
class SceneAsset:
    """An image (or an atlas: the image and its frames' JSON) that the env draws by `name`."""

    name: str
    image: AssetFile
    atlas: AssetFile | None = None

    def files(self) -> list[AssetFile]:
        return [self.image, *([self.atlas] if self.atlas else [])]


def check_assets(scene_id: str, assets: Any, base_dir: Path) -> dict[str, SceneAsset]:
    """The scene's `assets` ({name: "path.png"} or {name: ("atlas.png", "atlas.json")}, paths relative to the
    study's folder `base_dir`) as checked files; raises AssetError naming the asset and the fix."""
    where = f"gym scene {scene_id!r}: assets"
    if not isinstance(assets, dict):
        raise AssetError(f"{where} must be a dict of name -> 'file.png' or ('atlas.png', 'atlas.json')", DECLARATION)
    checked = {}
    for name, value in assets.items():
        if not isinstance(name, str) or not NAME.match(name):
            raise AssetError(
                f"{where}: the name {name!r} must be 1-64 letters, digits, '_', '.' or '-' (the key the env draws by)",
                DECLARATION,
            )
        paths = (value,) if isinstance(value, str) else value
        if (
            not isinstance(paths, tuple | list)
            or len(paths) not in (1, 2)
            or not all(isinstance(p, str) for p in paths)
        ):
            raise AssetError(
                f"{where}[{name!r}] must be 'file.png' (an image) or ('file.png', 'file.json') (an atlas), "
                f"got {value!r}",
                DECLARATION,
            )
        image = _checked_file(f"{where}[{name!r}]", paths[0], base_dir, atlas=False)
        atlas = _checked_file(f"{where}[{name!r}]", paths[1], base_dir, atlas=True) if len(paths) == 2 else None
        checked[name] = SceneAsset(name=name, image=image, atlas=atlas)
    return checked


def _checked_file(where: str, relative: str, base_dir: Path, *, atlas: bool) -> AssetFile:
    if not relative or PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).is_absolute():
        raise AssetError(f"{where}: {relative!r} must be a path relative to the study's folder {base_dir}", ESCAPES)
    root = base_dir.resolve()
    path = (root / relative).resolve()  # symlinks followed: one pointing out of the folder is refused too
    if not path.is_relative_to(root):
        raise AssetError(
            f"{where}: {relative!r} leads outside the study's folder {root}; move the file into it", ESCAPES
        )
    if not path.is_file():
        raise AssetError(f"{where}: no file {relative!r} in the study's folder {root}", MISSING)
    suffix = path.suffix.lower()
    if (atlas and suffix != ".json") or (not atlas and suffix not in IMAGE_TYPES):
        wanted = "a .json atlas" if atlas else "an image: " + ", ".join(IMAGE_TYPES)
        raise AssetError(f"{where}: {relative!r} is not {wanted}", FILE_TYPE)
    size = path.stat().st_size
    if size > MAX_ASSET_BYTES:
        raise AssetError(
            f"{where}: {relative!r} has {size} bytes, more than {MAX_ASSET_BYTES} (every participant downloads it "
            "before playing); shrink or split it",
            TOO_LARGE,
        )
    data = path.read_bytes()
    content_type = ATLAS_TYPE if atlas else IMAGE_TYPES[suffix][0]
    if atlas:
        _check_atlas(where, relative, data)
    elif not data.startswith(IMAGE_TYPES[suffix][1]):
        raise AssetError(f"{where}: {relative!r} is not a {content_type} file (its bytes say otherwise)", FILE_TYPE)
    return AssetFile(path=path, sha256=hashlib.sha256(data).hexdigest(), content_type=content_type, size=size)


def _check_atlas(where: str, relative: str, data: bytes) -> None:
    try:
        frames = json.loads(data)
    except (UnicodeDecodeError, ValueError) as error:
        raise AssetError(f"{where}: {relative!r} is not JSON ({error})", FILE_TYPE) from None
    if not isinstance(frames, dict) or not ("frames" in frames or "textures" in frames):
        raise AssetError(f"{where}: {relative!r} has no 'frames' (a Phaser/TexturePacker atlas)", FILE_TYPE)


def undeclared_names(env: Any, declared: dict[str, SceneAsset]) -> list[str]:
    """The names the env's surface registers as scene assets (register_image without a URL) that the scene's
    `assets` does not declare."""
    surface = getattr(getattr(env, "unwrapped", env), "surface", None)
    specs = surface.assets() if surface is not None and hasattr(surface, "assets") else []
    return sorted(spec["name"] for spec in specs if spec.get("kind") == "scene" and spec["name"] not in declared)
