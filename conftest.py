"""Shared fixtures: the test experiments, personas (a researcher, a participant's browser, an outsider)."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client

from tests.fixture_experiments import PATHS

# The test process runs with DEBUG off; its in-process ASGI application (mugsite.asgi) refuses the public development
# key, so the tests sign with their own (settings were loaded before this file, hence set here too), and the servers
# they start inherit it through the environment: cookies signed here are valid there.
TEST_SECRET_KEY = "in-process-tests-" + "t" * 50
os.environ["SECRET_KEY"] = settings.SECRET_KEY = TEST_SECRET_KEY


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
