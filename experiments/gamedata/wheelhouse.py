"""A PEP 503 simple index over a folder of wheels, so micropip installs from our own origin, never PyPI."""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

from experiments.definition.package_resolution import normalize
from experiments.definition.package_resolution import wheel_projects as projects

__all__ = ["index_page", "normalize", "project_page", "projects", "wheel_path"]


def index_page(directory: Path, project_url_prefix: str) -> str:
    """The root page: one link per project, to `project_url_prefix` + name + "/"."""
    links = [
        f'<a href="{html.escape(project_url_prefix)}{name}/">{html.escape(name)}</a><br>'
        for name in projects(directory)
    ]
    return _page("Simple index", links)


def project_page(directory: Path, name: str, file_url_prefix: str) -> str | None:
    """The project's page with links to `file_url_prefix` + file and sha256 fragments; None if unknown.

    `file_url_prefix` must be root-relative ("/runtime/wheels/") or absolute: micropip 0.9 resolves hrefs
    against the index's origin, not the page, so a bare relative href would point at the wrong place.
    """
    files = projects(directory).get(normalize(name))
    if files is None:
        return None
    links = [
        f'<a href="{html.escape(file_url_prefix + f)}#sha256={_sha256(directory / f)}">{html.escape(f)}</a><br>'
        for f in files
    ]
    return _page(f"Links for {normalize(name)}", links)


def wheel_path(directory: Path, filename: str) -> Path | None:
    """The wheel's path if `filename` is exactly the name of a wheel in the folder, else None (no traversal)."""
    if not directory.is_dir() or not filename.endswith(".whl"):
        return None
    names = {path.name for path in directory.glob("*.whl") if path.is_file()}
    return directory / filename if filename in names else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _page(title: str, links: list[str]) -> str:
    body = "\n".join(links)
    return (
        '<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0">'
        f"<title>{html.escape(title)}</title></head><body>\n{body}\n</body></html>\n"
    )
