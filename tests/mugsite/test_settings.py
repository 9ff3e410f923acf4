"""Settings come from the environment: database and channel layer switches, strict parsing, production checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from mugsite import env

ROOT = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = """
import json, django
from django.conf import settings
from django.core import checks
django.setup()
ids = sorted(m.id for m in checks.run_checks() if m.id.startswith("mugsite"))
print(json.dumps({"db": settings.DATABASES["default"], "layer": settings.CHANNEL_LAYERS["default"],
                  "debug": settings.DEBUG, "hosts": settings.ALLOWED_HOSTS, "checks": ids}, default=str))
"""


def load_settings(**overrides: str) -> dict:
    """Import the settings in a fresh interpreter with the given environment."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        env={**clean, "DJANGO_SETTINGS_MODULE": "mugsite.settings", **overrides},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_are_sqlite_and_the_in_memory_layer():
    loaded = load_settings()
    assert loaded["db"]["ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["layer"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert loaded["debug"] is False and "localhost" in loaded["hosts"]


def test_database_url_switches_to_postgresql():
    loaded = load_settings(DATABASE_URL="postgres://mug:secret@db.internal:5433/mugdb")
    db = loaded["db"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == ("db.internal", 5433, "mugdb", "mug")


def test_a_pool_size_gives_postgresql_a_connection_pool_and_sqlite_none():
    db = load_settings(DATABASE_URL="postgres://mug@db.internal:5432/mug", DB_POOL_SIZE="12")["db"]
    assert db["OPTIONS"]["pool"]["max_size"] == 12 and db["CONN_MAX_AGE"] == 0
    assert "pool" not in load_settings(DB_POOL_SIZE="12")["db"]["OPTIONS"]


def test_redis_url_switches_to_channels_redis():
    loaded = load_settings(REDIS_URL="redis://127.0.0.1:6390/2")
    assert loaded["layer"] == {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:6390/2", "socket_timeout": None}]},
    }


def test_production_defaults_raise_warnings_and_real_settings_silence_them():
    assert load_settings()["checks"] == ["mugsite.W001", "mugsite.W002", "mugsite.W003"]
    configured = load_settings(
        SECRET_KEY="a-real-secret-from-the-vault",
        REDIS_URL="redis://127.0.0.1:6390/0",
        DATABASE_URL="postgres://x@h/db",
    )
    assert configured["checks"] == []
    assert load_settings(DEBUG="1")["checks"] == []


def test_a_typo_in_debug_fails_loudly():
    result = subprocess.run(
        [sys.executable, "-c", "import mugsite.settings"],
        env={**os.environ, "DEBUG": "ture"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "DEBUG must be true or false" in result.stderr


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a, b,,c ")
    assert env.env_bool("X_BOOL") is True
    assert env.env_int("X_INT", 3) == 12
    assert env.env_list("X_LIST") == ["a", "b", "c"]
    assert env.env_int("X_UNSET", 3) == 3
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="X_INT must be an integer"):
        env.env_int("X_INT", 3)
