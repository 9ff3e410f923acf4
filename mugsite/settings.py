"""MUG settings, read from the environment with safe development defaults (see README)."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE, WASM_UNSAFE_EVAL
from django.core.exceptions import ImproperlyConfigured

from mugsite.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# The development key is public; the mugsite.W001 check warns when it is used with DEBUG off.
DEV_SECRET_KEY = "mug-insecure-development-key-change-me"  # noqa: S105 (public on purpose)
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",  # first, so `manage.py runserver` serves HTTP and WebSockets over ASGI
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "axes",
    "csp",
    "experiments",
    "matchmaking",
    "netcode",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that static files carry the policy too: a worker runs under its script's policy.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "experiments.flow.errors.ApplicationErrorMiddleware",  # a refusal raised by any view: its JSON reply
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into its refusal page
]

ROOT_URLCONF = "mugsite.urls"
ASGI_APPLICATION = "mugsite.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite unless DATABASE_URL names another database (e.g. postgres://user:pw@host:5432/mug).
DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    if DATABASE_URL
    else {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        # Writers queue for the lock at BEGIN instead of failing on upgrade; several processes share the file.
        # WAL lets readers run beside the writer and commits without a full sync each time.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        # A file, not memory, so that server processes started by the tests share the test database.
        "TEST": {"NAME": env_str("SQLITE_TEST_PATH", str(BASE_DIR / "var" / "test-db.sqlite3"))},
    }
}
# PostgreSQL: a pool of at most DB_POOL_SIZE connections per process (0: a new connection per request); it caps the
# process's connections (HTTP threads, streamed responses, the sockets' database thread wait for a free one), so
# processes × DB_POOL_SIZE must stay under the server's max_connections. About MUG_HTTP_CONCURRENCY + 2 suits.
DB_POOL_SIZE = env_int("DB_POOL_SIZE", 0)
if DATABASE_URL and DB_POOL_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them; Django refuses both
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": DB_POOL_SIZE, "timeout": 30}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# HTTP requests Django works on at once in one process; the rest wait their turn in the event loop (mugsite/limits.py).
MUG_HTTP_CONCURRENCY = env_int("MUG_HTTP_CONCURRENCY", 8)

# This process's name in a deployment of several (deploy/): /healthz reports it.
MUG_WORKER_NAME = env_str("MUG_WORKER_NAME") or f"pid {os.getpid()}"
# The reverse proxy routes /x/<study>/w/<MUG_WORKER_NAME>/ws/... to this process (deploy/nginx): a match then names
# the process that proposed it as its game's host, and every seat's game socket connects there
# (matchmaking/placement.py).
MUG_WORKER_ROUTES = env_bool("MUG_WORKER_ROUTES", False)
if MUG_WORKER_ROUTES and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,30}", MUG_WORKER_NAME):
    raise ImproperlyConfigured("MUG_WORKER_ROUTES needs MUG_WORKER_NAME of lowercase letters, digits and '-'")

# In-process channel layer unless REDIS_URL is set; the in-memory layer cannot span processes.
REDIS_URL = env_str("REDIS_URL")
# redis-py 8 reads with a 5 s socket timeout by default, the same length as channels_redis's blocking receive
# (BZPOPMIN, 5 s): a busy server then times out and the consumer dies (django/channels_redis#422). No client-side
# read timeout: the server-side one bounds the wait.
REDIS_HOST = {"address": REDIS_URL, "socket_timeout": None}
CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_HOST]}}
    if REDIS_URL
    else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# With DEBUG off, `manage.py collectstatic` writes every file also under a content-hashed name and rewrites the ES
# modules' imports to them (mugsite/staticstorage.py), so a browser never mixes modules of two deploys.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if DEBUG
        else "mugsite.staticstorage.HashedStaticStorage"
    },
}
# Serve straight from the apps' static folders so `runserver` works without collectstatic.
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# HTTPS only, once the site is served over TLS: redirect plain HTTP, and have browsers remember it (HSTS) for this
# many seconds (0: no HSTS header; start small, since browsers keep it).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 500,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MUG data export API",
    "DESCRIPTION": "Read-only export of experiments, participants and their data, for staff with view permissions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["experiments.control.api.HasAnyApiPermission"],
}

# MUG's own knobs. EXPERIMENTS lists "module:attribute" paths of Experiment objects.
MUG = {
    "EXPERIMENTS": env_list(
        "MUG_EXPERIMENTS",
        [
            "examples.demo.experiment:experiment",
            "examples.cartpole.experiment:experiment",
            "examples.tag.experiment:experiment",
            "examples.tagai.experiment:experiment",
            "examples.lander.experiment:experiment",
            "examples.pair.experiment:experiment",
            "examples.overcooked.experiment:experiment",
        ],
    ),
    "PARTICIPANT_COOKIE_MAX_AGE": env_int("MUG_PARTICIPANT_COOKIE_MAX_AGE", 60 * 60 * 24 * 30),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Where participants' browsers get Pyodide (the public CDN by default; "/static/pyodide/" once
# `manage.py fetch_pyodide` has filled PYODIDE_DIR) and the wheelhouse served as a PEP 503 index.
MUG_RUNTIME = {
    "PYODIDE_URL": env_str("MUG_PYODIDE_URL", "https://cdn.jsdelivr.net/pyodide/v0.27.7/full/"),
    "PYODIDE_DIR": Path(env_str("MUG_PYODIDE_DIR", str(BASE_DIR / "var" / "pyodide"))),
    "WHEELHOUSE_DIR": Path(env_str("MUG_WHEELHOUSE_DIR", str(BASE_DIR / "var" / "wheelhouse"))),
}
STATICFILES_DIRS = [("pyodide", MUG_RUNTIME["PYODIDE_DIR"])] if MUG_RUNTIME["PYODIDE_DIR"].is_dir() else []
if (BASE_DIR / "node_modules" / "phaser" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/phaser", BASE_DIR / "node_modules" / "phaser" / "dist"))
if (BASE_DIR / "node_modules" / "onnxruntime-web" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/onnxruntime-web", BASE_DIR / "node_modules" / "onnxruntime-web" / "dist"))
WHITENOISE_MIMETYPES = {".wasm": "application/wasm", ".mjs": "text/javascript"}

# Request bodies (mugsite/bodies.py), refused inside Daphne before they are buffered: at most MUG_MAX_BODY_BYTES
# (pages, forms, JSON, the admin) or MUG_MAX_UPLOAD_BYTES (step chunk uploads; experiments/gamedata/ingest.py takes
# chunks of up to 2 MB) with a 413, and the request line, headers and body must all arrive within MUG_BODY_TIMEOUT_S
# (408).
MUG_MAX_BODY_BYTES = env_int("MUG_MAX_BODY_BYTES", 1_000_000)
MUG_MAX_UPLOAD_BYTES = env_int("MUG_MAX_UPLOAD_BYTES", 2_000_000)
MUG_BODY_TIMEOUT_S = env_int("MUG_BODY_TIMEOUT_S", 30)

# Entry (experiments/flow/entry.py): a participant is created only by the landing page's Start (a POST), at most
# MUG_ENTRY_LIMIT starts per client address per MUG_ENTRY_WINDOW_S seconds (0: no limit), counted in the cache
# (Redis with REDIS_URL, so all processes share the count). The client address is REMOTE_ADDR, or the last address
# in MUG_PROXY_ADDRESS_HEADER (e.g. X-Forwarded-For) when a trusted proxy sets it; never set it without one.
MUG_ENTRY_LIMIT = env_int("MUG_ENTRY_LIMIT", 30)
MUG_ENTRY_WINDOW_S = env_int("MUG_ENTRY_WINDOW_S", 600)
MUG_PROXY_ADDRESS_HEADER = env_str("MUG_PROXY_ADDRESS_HEADER", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
# Recruitment ids in each platform's own format (a Prolific id is 24 hex characters; MTurk ids are uppercase
# alphanumerics); off only for test suites that name their participants.
MUG_STRICT_RECRUITMENT_IDS = env_bool("MUG_STRICT_RECRUITMENT_IDS", True)

# Episode verification (experiments/verification*.py): each Daphne process starts this many worker processes that
# replay single-player browser episodes from their seed and actions (0: none here; run `manage.py verify_episodes`).
MUG_VERIFY_WORKERS = env_int("MUG_VERIFY_WORKERS", 1)
# What one participant can store: rows per episode when a scene has no max_steps, bytes per step row (its JSON),
# and bytes of step rows in all (50 MB: a 30-minute CartPole study with observations stores about 2 MB).
MUG_MAX_EPISODE_ROWS = env_int("MUG_MAX_EPISODE_ROWS", 100_000)
MUG_MAX_ROW_BYTES = env_int("MUG_MAX_ROW_BYTES", 64_000)
MUG_MAX_PARTICIPANT_BYTES = env_int("MUG_MAX_PARTICIPANT_BYTES", 50_000_000)

# Admin login throttling (django-axes): after MUG_LOGIN_FAILURE_LIMIT wrong passwords for one username from one
# address, that username is refused from that address (even with the right password) for MUG_LOGIN_LOCKOUT_MINUTES;
# a successful login resets the count. Unlock early with `manage.py axes_reset_username <name>` or in the admin.
# The address is REMOTE_ADDR: behind a proxy, run Daphne with --proxy-headers so that it is the client's.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("MUG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("MUG_LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every start; lockouts are still logged

# Content-Security-Policy (django-csp): scripts, workers, styles and connections from this site only, plus Pyodide's
# origin when MUG_PYODIDE_URL is remote (the worker imports it and fetches its packages there). 'wasm-unsafe-eval'
# lets Pyodide and onnxruntime-web compile WebAssembly; no other eval, no inline script. 'self' in connect-src
# covers the site's own ws:/wss: sockets. Inline style attributes are allowed (progress bars, the admin).
_pyodide = urlsplit(MUG_RUNTIME["PYODIDE_URL"])
PYODIDE_ORIGIN = [f"{_pyodide.scheme}://{_pyodide.netloc}"] if _pyodide.scheme in ("http", "https") else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, WASM_UNSAFE_EVAL, *PYODIDE_ORIGIN],
        "worker-src": [SELF],
        "connect-src": [SELF, *PYODIDE_ORIGIN],
        "img-src": [SELF, "data:", "blob:"],
        "style-src": [SELF, UNSAFE_INLINE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Abuse limits of the participants' sockets (netcode/, matchmaking/). The socket caps count
# the sockets of one Daphne process: behind a proxy with N processes, a participant or address gets up to N times.
MUG_WS_IDENTIFY_S = env_int("MUG_WS_IDENTIFY_S", 5)  # a socket must say hello/join within this, or it is closed
MUG_WS_IDLE_S = env_int("MUG_WS_IDLE_S", 120)  # a socket that sends nothing this long is closed (browsers ping)
MUG_WS_PER_PARTICIPANT = env_int("MUG_WS_PER_PARTICIPANT", 4)  # open sockets per participant cookie
MUG_WS_PER_ADDRESS = env_int("MUG_WS_PER_ADDRESS", 256)  # per client address (a lab or campus NAT shares one)
MUG_REFEREE_PER_MINUTE = env_int("MUG_REFEREE_PER_MINUTE", 6)  # checksum desyncs recorded and refereed, per game
MUG_PRESENCE_EVENTS_PER_MINUTE = env_int("MUG_PRESENCE_EVENTS_PER_MINUTE", 20)  # hidden/visible rows, per seat
MUG_MAX_SERVER_GAMES = env_int("MUG_MAX_SERVER_GAMES", 0)  # game processes per host at once; 0: two per CPU
MUG_SERVER_GAME_SLOTS_DIR = env_str("MUG_SERVER_GAME_SLOTS_DIR", "")  # lock files of those slots ("": a temp dir)
MUG_SERVER_GAME_WAIT_S = env_int("MUG_SERVER_GAME_WAIT_S", 300)  # waited for a slot this long: the flow ends
# The live monitor lists a participant on a game scene, or a running game, with no sign of life for this long as stuck
MUG_LIVE_STUCK_S = env_int("MUG_LIVE_STUCK_S", 60)
# A participant on a single-player or server game scene whose page reported no runtime ready within the scene's
# load_timeout_s plus this slack (server clock, from entering the scene) ends with runtime_error (flow/sweeps.py)
MUG_LOAD_DEADLINE_SLACK_S = env_int("MUG_LOAD_DEADLINE_SLACK_S", 30)
# Where `manage.py check` (and runserver's start) tries every browser game scene's env at load: "pyodide" (the
# participants' interpreter: the self-hosted Pyodide under Node.js, with the scene's exact bundle and packages,
# results cached in var/preflight/ by code hash and package set; falls back to "native" with a warning when Node or
# the self-hosted Pyodide is missing or MUG_PYODIDE_URL is remote), "native" (this server's Python only), "off"
# (no stepping, no determinism check: the env is only built and reset). See experiments/definition/pyodide_preflight.py.
MUG_PREFLIGHT = env_str("MUG_PREFLIGHT", "pyodide")
# The exact verifier (experiments/gamedata/exact_verifier.py): "pyodide" replays each single-player browser episode
# in the participants' interpreter (the self-hosted Pyodide under Node.js, as for MUG_PREFLIGHT) and compares every
# stored value bit for bit, falling back to the native replay (stored as "not verifiable", with the reason) when it
# cannot; "native" replays in this server's CPython only. MUG_VERIFIER_NODES warm Node processes per verification
# process; an episode replayed for longer than MUG_VERIFY_EPISODE_TIMEOUT_S (an endless loop) is reported. A Node
# process is replaced after MUG_VERIFIER_RECYCLE_EPISODES episodes: a wasm heap never shrinks, so this bounds it.
MUG_VERIFIER = env_str("MUG_VERIFIER", "pyodide")
MUG_VERIFIER_NODES = env_int("MUG_VERIFIER_NODES", 1)
MUG_VERIFIER_RECYCLE_EPISODES = env_int("MUG_VERIFIER_RECYCLE_EPISODES", 2000)
MUG_VERIFY_EPISODE_TIMEOUT_S = env_int("MUG_VERIFY_EPISODE_TIMEOUT_S", 60)
