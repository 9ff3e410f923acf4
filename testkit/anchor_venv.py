"""Creates var/anchor-venv with the anchor (multi-user-gymnasium[server]==0.1.3 from PyPI) and its client.

The relay benchmark runs the anchor's server from it; tests run the anchor's own `mug.rendering` there
(tests/mug/test_anchor_surface_diff.py). `bin/setup --dev` creates it; `python -m testkit.anchor_venv` too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "var" / "anchor-venv"
PYTHON = VENV / "bin" / "python"
VERSION = "0.1.3"
# One resolve, so the client extra can't pull a python-socketio that Flask-SocketIO (the anchor's server) rejects.
# The load generator runs on uvloop in both venvs, as in the research.
REQUIREMENTS = [
    f"multi-user-gymnasium[server]=={VERSION}",
    "python-socketio[asyncio_client]==5.18.1",
    "aiohttp==3.14.5",
    "uvloop==0.23.0",
]
CHECK = (
    "import importlib.metadata as m, aiohttp, socketio, uvloop; "
    "from mug.server import app; "
    "print(m.version('multi-user-gymnasium'))"
)


def installed_version() -> str | None:
    """The anchor's installed version, or None if the venv or any needed package is missing."""
    if not PYTHON.exists():
        return None
    # Run from / so the repo's own `mug` package can't shadow the anchor's.
    done = subprocess.run([str(PYTHON), "-c", CHECK], cwd="/", capture_output=True, text=True, timeout=120)
    return done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else None


def ensure(quiet: bool = False) -> Path:
    """Create and fill the venv unless the anchor is already there at the right version; return its python."""
    say = (lambda *_: None) if quiet else (lambda msg: print(f"anchor-venv: {msg}", file=sys.stderr))
    have = installed_version()
    if have == VERSION:
        say(f"multi-user-gymnasium {VERSION} already installed in {VENV}")
        return PYTHON
    if not PYTHON.exists():
        say(f"creating {VENV}")
        # venv builds on the base interpreter even when run from the project's own venv.
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
    say(f"installing {' '.join(REQUIREMENTS)} (found {have or 'nothing'})")
    pip = [str(PYTHON), "-m", "pip", "install", "-q", *REQUIREMENTS]
    done = subprocess.run(pip, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        sys.exit(f"anchor-venv: pip failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    have = installed_version()
    if have != VERSION:
        sys.exit(f"anchor-venv: install finished but multi-user-gymnasium is {have!r}, not {VERSION}")
    say(f"installed multi-user-gymnasium {have}")
    return PYTHON


def run(script: str, *, timeout: float = 120) -> str:
    """Run `script` with the anchor's python (from /, so this project's own `mug` cannot shadow the anchor's);
    its stdout."""
    python = ensure(quiet=True)
    done = subprocess.run([str(python), "-c", script], cwd="/", capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"the anchor's python failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


if __name__ == "__main__":
    ensure()
