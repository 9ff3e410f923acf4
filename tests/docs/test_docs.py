"""Every Python snippet in the README and the docs site runs, and every study it defines passes load-time checks; a
snippet whose first line names a file of examples/ ("# examples/x/y.py") is that file, word for word, and its
studies are checked from that file's folder (where its asset files lie)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from experiments.study import EndScene, Experiment, GymScene

ROOT = Path(__file__).resolve().parents[2]
SNIPPET = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHOWN_FILE = re.compile(r"^# (examples/[\w/]+\.py)\n")


def snippets() -> list[tuple[str, str]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for number, match in enumerate(SNIPPET.finditer(path.read_text()), start=1):
            found.append((f"{path.relative_to(ROOT)}#{number}", match.group(1)))
    return found


def studies(namespace: dict) -> list[Experiment]:
    """The experiments a snippet defines; a scene defined on its own is checked inside a minimal study."""
    found = [value for value in namespace.values() if isinstance(value, Experiment)]
    for name, value in namespace.items():
        if isinstance(value, GymScene):
            slug = f"docs-{name}".replace("_", "-")
            found.append(Experiment(slug=slug, title=name, stager=[value, EndScene(scene_id="end")]))
    return found


def test_the_docs_have_snippets():
    assert len(snippets()) >= 8


@pytest.mark.parametrize(("where", "code"), snippets(), ids=[where for where, _ in snippets()])
def test_snippet_runs_and_its_studies_load(where, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a snippet writes nothing into the project
    namespace: dict = {"__name__": "docs_snippet"}
    exec(compile(code, where, "exec"), namespace)  # noqa: S102 (our own docs)
    shown = SHOWN_FILE.match(code)
    if shown:
        assert (ROOT / shown.group(1)).read_text() == code, f"{where} differs from {shown.group(1)}"
    base_dir = (ROOT / shown.group(1)).parent if shown else ROOT / "examples" / "demo"
    for study in studies(namespace):
        study.prepare(base_dir)
