"""Conformance: slimevb 0.1.1 (Slime Volleyball) from PyPI, unmodified. It draws with opencv-python, which the
self-hosted Pyodide lacks: `manage.py check` refuses the browser game at load naming opencv-python (E019). It is not
played: it is a Gymnasium Env whose action, rewards and flags are dicts of both sides (agent_left, agent_right), so
MUG sees one agent with a dict reward and the game stops at its first frame (docs/reference/conformance.md)."""

from __future__ import annotations

import pytest

from testkit.conformance import self_hosted_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.system  # runs manage.py and Node.js
def test_the_self_hosted_pyodide_refuses_the_browser_game_at_load_naming_opencv():
    result = self_hosted_check("slime_browser")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "experiments.E019" in line]
    assert "'conf-slime-browser'" in line and "slimevb==0.1.1 needs opencv-python" in line, line
    assert "lacks opencv-python" in line and "runs_on='server'" in line  # what is missing, and the fixes
