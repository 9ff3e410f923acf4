"""The browser's socket message types (frontend/static/frontend/js/shared/protocol/) are exactly the Python protocol
modules' ones: none missing, none extra, the same strings. Channel-layer events (dotted names such as "room.refresh")
stay on the server and are not compared."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

# Each Python protocol module (a path from the repository root) and the JavaScript module that mirrors it.
PROTOCOLS = {
    "matchmaking/protocol.py": "room.js",
    "netcode/protocol.py": "relay.js",
    "netcode/server/protocol.py": "servergame.js",
}

ROOT = Path(__file__).resolve().parents[2]
JS_PROTOCOLS = ROOT / "frontend/static/frontend/js/shared/protocol"
CONSTANT = re.compile(r'export const ([A-Z][A-Z0-9_]*) = "([^"]*)";')
REEXPORT = re.compile(r'export \{ ([A-Z0-9_, ]+) \} from "\./([a-z]+\.js)";')


def python_message_types(path: str) -> dict[str, str]:
    """The module's public upper-case string constants that name socket messages (not dotted channel events)."""
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return {
        name: value
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str) and "." not in value
    }


def js_message_types(filename: str) -> dict[str, str]:
    """`export const NAME = "value";` lines and `export { A, B } from "./other.js";` re-exports; nothing else."""
    names: dict[str, str] = {}
    for line in (JS_PROTOCOLS / filename).read_text().splitlines():
        code = line.split("//")[0].strip()
        if not code:
            continue
        if constant := CONSTANT.fullmatch(code):
            names[constant[1]] = constant[2]
        elif reexport := REEXPORT.fullmatch(code):
            other = js_message_types(reexport[2])
            names.update({name.strip(): other[name.strip()] for name in reexport[1].split(",")})
        else:
            raise AssertionError(f"{filename}: not a message type declaration: {line!r}")
    return names


@pytest.mark.parametrize(("python_path", "js_file"), PROTOCOLS.items())
def test_the_browser_names_exactly_the_message_types_of_the_python_protocol(python_path, js_file):
    python = python_message_types(python_path)
    js = js_message_types(js_file)
    assert python, f"{python_path} defines no message types"
    assert sorted(set(python) - set(js)) == [], f"missing in {js_file}"
    assert sorted(set(js) - set(python)) == [], f"in {js_file} but not in {python_path}"
    assert js == python


def test_every_python_protocol_module_is_compared():
    """A protocol module added (or moved) beside the listed ones must be listed in PROTOCOLS too."""
    apps = [path for path in ROOT.iterdir() if (path / "__init__.py").is_file()]  # the Python packages
    found = {str(path.relative_to(ROOT)) for app in apps for path in app.rglob("protocol.py")}
    assert found == set(PROTOCOLS)
