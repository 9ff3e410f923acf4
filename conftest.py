"""Shared fixtures: the test experiments, personas (a researcher, a participant's browser, an outsider)."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from tests.fixture_experiments import PATHS

# Every test client comes from 127.0.0.1 and most name their participants ("alice"): servers the tests start inherit
# no entry limit and loose recruitment ids. tests/test_abuse_http.py and tests/test_entry.py check the defaults.
os.environ.setdefault("MUG_ENTRY_LIMIT", "0")
os.environ.setdefault("MUG_STRICT_RECRUITMENT_IDS", "0")


@pytest.fixture(scope="session", autouse=True)
def demo_model():
    """The human–AI demo's ONNX model, built like bin/setup builds it (before any experiment loads)."""
    from examples.tagai.model import DEFAULT_PATH, build

    if not DEFAULT_PATH.is_file():
        build(DEFAULT_PATH)
    return DEFAULT_PATH


@pytest.fixture(autouse=True)
def test_experiments(settings):
    """Every test sees the demo plus the test experiments."""
    settings.MUG = {**settings.MUG, "EXPERIMENTS": PATHS}
    settings.MUG_ENTRY_LIMIT = 0  # (as above, for in-process tests)
    settings.MUG_STRICT_RECRUITMENT_IDS = False


@pytest.fixture
def researcher(django_user_model):
    return django_user_model.objects.create_user(
        "researcher", password="pw-researcher-1", is_staff=True, is_superuser=True
    )


@pytest.fixture
def outsider(django_user_model):
    return django_user_model.objects.create_user("outsider", password="pw-outsider-1")


@pytest.fixture
def researcher_client(researcher) -> Client:
    client = Client()
    client.force_login(researcher)
    return client


@pytest.fixture
def browser() -> Client:
    """A participant's browser: keeps its cookies across requests."""
    return Client()
