"""The anchor's venv for the relay benchmark: created by testkit.anchor_venv (tests use it too)."""

from __future__ import annotations

from testkit.anchor_venv import PYTHON, REQUIREMENTS, VENV, VERSION, ensure, installed_version

__all__ = ["PYTHON", "REQUIREMENTS", "VENV", "VERSION", "ensure", "installed_version"]

if __name__ == "__main__":
    ensure()
