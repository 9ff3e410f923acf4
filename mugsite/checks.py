"""System checks that warn when a production deployment runs on development defaults."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

from mugsite.settings import DEV_SECRET_KEY


@register(deploy=False)
def check_production_settings(app_configs, **kwargs) -> list[Warning]:
    """mugsite.W001-W003, only when DEBUG is off (a production deployment)."""
    if settings.DEBUG:
        return []
    warnings = []
    if settings.SECRET_KEY == DEV_SECRET_KEY:
        warnings.append(
            Warning("SECRET_KEY is the public development default.", hint="Set SECRET_KEY.", id="mugsite.W001")
        )
    if settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("InMemoryChannelLayer"):
        warnings.append(
            Warning(
                "REDIS_URL is not set: the in-memory channel layer works in one process only.",
                hint="Set REDIS_URL before running several Daphne processes.",
                id="mugsite.W002",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        warnings.append(
            Warning(
                "DATABASE_URL is not set: SQLite serves one machine and few concurrent writers.",
                hint="Set DATABASE_URL to a PostgreSQL database.",
                id="mugsite.W003",
            )
        )
    return warnings
