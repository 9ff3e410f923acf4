"""The participant-states page names, for every state, a test that exists: each `file::test` it cites is a test
function in that file under tests/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reference" / "participant-states.md"
CITED = re.compile(r"`(?:\[browser\] )?([a-z_/]+\.py)::(test_\w+)`")


def test_every_cited_test_exists():
    cited = CITED.findall(PAGE.read_text())
    assert len(cited) >= 30
    for path, name in cited:
        source = (ROOT / "tests" / path).read_text()
        assert re.search(rf"^(async )?def {name}\(", source, re.M), f"{path}::{name} is not a test"


def test_every_ending_is_listed():
    from experiments.definition.outcomes import OUTCOMES

    text = PAGE.read_text()
    for outcome in OUTCOMES:
        assert f"| `{outcome}`" in text, outcome
