"""A PEP 503 simple index over a folder of wheels, so micropip installs from our own origin, never PyPI."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path


def normalize(name: str) -> str:
    """PEP 503 project name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


def projects(directory: Path) -> dict[str, list[str]]:
    """{normalised project name: [wheel file names]} for the wheels in `directory`."""
    found: dict[str, list[str]] = {}
    if directory.is_dir():
        for path in sorted(directory.glob("*.whl")):
            found.setdefault(normalize(path.name.split("-")[0]), []).append(path.name)
    return found


def index_page(directory: Path, project_url_prefix: str) -> str:
    links = [f'<a href="{project_url_prefix}{name}/">{html.escape(name)}</a><br>' for name in projects(directory)]
    return _page("\n".join(links))


def project_page(directory: Path, name: str, file_url_prefix: str) -> str | None:
    """The project's page with root-relative links and sha256 fragments, or None for an unknown project."""
    files = projects(directory).get(normalize(name))
    if files is None:
        return None
    # Root-relative hrefs: micropip 0.9 resolves bare relative hrefs against the page, not the index.
    links = [
        f'<a href="{file_url_prefix}{html.escape(f)}#sha256={_sha256(directory / f)}">{html.escape(f)}</a><br>'
        for f in files
    ]
    return _page("\n".join(links))


def wheel_path(directory: Path, filename: str) -> Path | None:
    """The wheel's path if `filename` is exactly a wheel in the folder (no traversal, no other files)."""
    if "/" in filename or "\\" in filename or not filename.endswith(".whl"):
        return None
    path = directory / filename
    return path if path.is_file() else None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _page(body: str) -> str:
    return f"<!DOCTYPE html>\n<html><body>\n{body}\n</body></html>\n"
