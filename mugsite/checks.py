"""System checks that warn when a production deployment runs on development defaults, and the refusal to serve
with a public SECRET_KEY."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register
from django.core.exceptions import ImproperlyConfigured

from mugsite.settings import DEV_SECRET_KEY

PUBLIC_KEY_PREFIX = "django-insecure-"  # what startproject writes: a key from a template is public too


def refuse_public_secret_key() -> None:
    """With DEBUG off, refuse to build the server when SECRET_KEY is unset, empty or a public development key:
    anyone could sign sessions, participant cookies and password-reset links for this site."""
    if settings.DEBUG:
        return
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django's own refusal of an empty key, raised when it is read
        key = ""
    if not key or key == DEV_SECRET_KEY or key.startswith(PUBLIC_KEY_PREFIX):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set (or is the public development key) and DEBUG is off: refusing to serve. "
            "Set SECRET_KEY to a long random secret (e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
            "), or DEBUG=1 on a development machine."
        )


@register(deploy=False)
def check_production_settings(app_configs, **kwargs) -> list[Warning]:
    """mugsite.W001-W003, only when DEBUG is off (a production deployment)."""
    if settings.DEBUG:
        return []
    warnings = []
    if settings.SECRET_KEY == DEV_SECRET_KEY:
        warnings.append(
            Warning(
                "SECRET_KEY is the public development default: the ASGI server (Daphne, uvicorn) refuses to start.",
                hint="Set SECRET_KEY.",
                id="mugsite.W001",
            )
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
