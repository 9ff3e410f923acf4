"""Shared fixtures: the test experiments, personas (a researcher, a participant's browser, an outsider)."""

from __future__ import annotations

import os

import pytest
from channels.layers import channel_layers
from django.conf import settings
from django.test import Client

from testkit.fixture_experiments import PATHS

# Every test client comes from 127.0.0.1 and most name their participants ("alice"): servers the tests start inherit
# no entry limit and loose recruitment ids. tests/security/test_abuse_http.py and tests/flow/test_entry.py check the
# defaults.
os.environ.setdefault("MUG_ENTRY_LIMIT", "0")
os.environ.setdefault("MUG_STRICT_RECRUITMENT_IDS", "0")

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
def fresh_channel_layer():
    """Each test gets its own in-memory channel layer: a consumer or game host an earlier test left behind keeps
    sending into the old one, never to a socket of this test (database ids, and so group names, repeat across tests)."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def quick_passwords(request, settings):
    """Passwords of the users in-process tests create are hashed fast (nothing in-process tests the hasher). Not for
    browser and system tests: the servers they start check passwords with the production hasher."""
    if not {"browser", "system"} & {marker.name for marker in request.node.iter_markers()}:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


# Test modules whose outcome depends on the database's semantics: raw SQL (the relay's group commit, step inserts),
# row locks and conditional updates under concurrency, several server processes sharing one database, streamed
# reads. bin/test runs only these (and `postgres`-marked tests) again on PostgreSQL; everything else is
# database-agnostic ORM use and runs once, on SQLite.
DB_SEMANTICS = {
    "test_postgres",
    "test_quotas",
    "test_inputstore",
    "test_ingest",
    "test_relay",
    "test_waiting_room",
    "test_matchers",
    "test_servergame_ws",
    "test_reliability",
    "test_reliability_load",
    "test_reliability_scale",
    "test_scale_out",
    "test_step_export",
    "test_document_export",
    "test_minari_export",
    "test_episode_verification",
    "test_witnessed_completion",
}


# Tests that start processes (Daphne, Redis, PostgreSQL, game or verifier processes) or run load, fuzzing or long
# reliability scenarios are marked `system`, and real-browser tests `browser` (in their modules): the everyday loop
# `pytest -m "not browser and not system"` leaves both out; a plain `pytest` (and bin/test) runs everything. A test is
# `system` when it asks for one of SYSTEM_FIXTURES, when its module is named in SYSTEM, or when "module::test" is.
SYSTEM_FIXTURES = {"prod_server", "asgi_server_url"}  # each starts a Daphne process
SYSTEM = {
    # Daphne, Redis or several processes in every test
    "test_reliability",
    "test_reliability_load",
    "test_reliability_scale",
    "test_scale_out",
    "test_deployment",
    "test_deployment_addresses",
    "test_redis_layer",
    "test_abuse_http",
    "test_abuse_sockets",
    "test_claimable_endings",
    "test_witnessed_completion",
    "test_server_game_limits",
    "test_episode_verification",
    "test_production_config",
    # server-side games: one OS process per game
    "test_servergame_ws",
    "test_document_export",
    "test_minari_export::test_human_episodes_become_a_minari_dataset_that_loads_back",
    "test_minari_export::test_only_episodes_that_count_go_into_the_dataset",
    "test_staff_actions::test_a_participant_ended_in_a_server_game_is_replaced_by_the_ai_and_the_game_goes_on",
    "test_servergame::test_a_crashing_env_ends_its_game_with_the_error_and_frees_the_process",
    "test_servergame::test_a_slow_env_does_not_slow_another_game",
    # collectstatic in a fresh interpreter, then a production Daphne serving the hashed files
    "test_frontend_static",
    # seeded fuzzing: floods and hundreds of malformed requests and socket messages per test (load, if bounded)
    "test_fuzz",
    "test_fuzz_ws",
    # settings read by a fresh interpreter, manage.py check --deploy
    "test_settings::test_a_pool_size_gives_postgresql_a_connection_pool_and_sqlite_none",
    "test_settings::test_a_typo_in_debug_fails_loudly",
    "test_settings::test_database_url_switches_to_postgresql",
    "test_settings::test_defaults_are_sqlite_and_the_in_memory_layer",
    "test_settings::test_production_defaults_raise_warnings_and_real_settings_silence_them",
    "test_settings::test_redis_url_switches_to_channels_redis",
    "test_security_content::test_the_deploy_check_flags_production_without_the_https_settings",
    "test_security_content::test_the_deploy_check_is_clean_under_the_production_settings",
}


def module_name(item) -> str | None:
    """A test module's last name (test_relay): the sets above name modules so, wherever under tests/ they live."""
    return item.module.__name__.rsplit(".", 1)[-1] if item.module is not None else None


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = module_name(item)
        if module in DB_SEMANTICS:
            item.add_marker(pytest.mark.dbsemantics)
        test = getattr(item, "originalname", item.name)
        if module in SYSTEM or f"{module}::{test}" in SYSTEM or SYSTEM_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.system)
