"""AgentDesk settings. Every value that varies between deployments comes from the environment,
read here and nowhere else (see README "Configuration")."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_checked(name: str, raw: str, parse: type[int] | type[float], minimum: float | None) -> Any:
    try:
        value = parse(raw)
    except ValueError:
        noun = "a whole number" if parse is int else "a number"
        raise ImproperlyConfigured(f"{name} must be {noun}, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum:g}, not {raw!r}")
    return value


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    return int(_env_checked(name, raw, int, minimum)) if raw else default


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name, "").strip()
    return float(_env_checked(name, raw, float, minimum)) if raw else default


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# The embedded default runs on a developer's machine; production must set its own key
# (settings_production refuses to start without one).
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or "agentdesk-insecure-dev-key-change-me-in-production"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Before "channels": its `runworker` command (tasks/management/commands/runworker.py) takes
    # the place of channels' own, which starts the agent worker only on the first message.
    "tasks",
    "channels",
    "django_htmx",
    # Serves the API docs' Swagger UI from static files, not a CDN (machines may be offline).
    "ninja",
    "tools_app",
    # Login throttling on the portal and admin logins (after the apps whose models it reads).
    "axes",
]

MIDDLEWARE = [
    # First: counts and times every request, whatever answers it (tasks/views/metrics.py).
    "tasks.views.metrics.request_metrics_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Strict Content-Security-Policy (SECURE_CSP below): scripts only from our own origin.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a lockout into the 429 page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a login for a locked-out username and address before the
# password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one username from one address lock that pair out for 15 minutes;
# a right password resets the count.
AXES_FAILURE_LIMIT = env_int("AGENTDESK_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AGENTDESK_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Content-Security-Policy (Django 6's built-in support), in every profile: scripts, styles,
# images and connections from our own origin only (websockets too); no inline script, no
# eval, no framing, no plugin content, forms post only to us. Templates hold no inline
# script or style; htmx's own indicator style is turned off (htmx-config in base.html).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tasks.context_processors.agentdesk",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Embedded default: SQLite in var/. Scale-out: DATABASE_URL=postgres://... (psycopg 3).
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASE_URL = f"sqlite:///{BASE_DIR / 'var' / 'agentdesk.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the portal read while the in-process worker writes; IMMEDIATE transactions
    # take the write lock up front instead of failing on upgrade ("database is locked"), and
    # writers of one process queue on a lock rather than SQLite's sleeping busy handler.
    DATABASES["default"]["ENGINE"] = "config.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Django's connections are per thread. Under ASGI the threads that run sync code are not
    # tied to requests, so persistent connections leak: web (daphne) processes keep 0, a
    # connection per request (Django's advice for ASGI; pooling would need psycopg-pool).
    # A `runworker` process runs all its queries on one thread and recycles its connection at
    # every sweep (close_old_connections), so it may keep one (DB_CONN_MAX_AGE=60 in the
    # Procfile). Health checks drop a connection that broke (database restart) before reuse.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels -------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels-redis blocks 5 s per receive (BZPOPMIN); redis-py's default socket
                # timeout is also 5 s, so an idle receive could fail with a TimeoutError and
                # end the consumer. The socket timeout must exceed the blocking time.
                "hosts": [
                    {"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 5}
                ],
                "capacity": 1500,
                "expiry": 60,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Auth -----------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tasks:backlog"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# LOG_FORMAT=json: one JSON object per line (config.logs); both formats name the task and
# ticket a runtime line is about.
LOG_FORMAT = env_str("LOG_FORMAT", "plain").lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s%(context_text)s: %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        "openai": {"level": "WARNING"},
        "openai.agents": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

# --- Agent runtime --------------------------------------------------------------------------
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
# "responses" (default) or "chat_completions" for OpenAI-compatible servers without Responses.
OPENAI_API = env_str("AGENTDESK_OPENAI_API", "responses")
TASK_MODEL = env_str("AGENTDESK_TASK_MODEL", "gpt-5-mini")
CHAT_MODEL = env_str("AGENTDESK_CHAT_MODEL", "gpt-5-mini")
# The rubric grader of `manage.py eval --judge` (needs the OpenAI API).
JUDGE_MODEL = env_str("AGENTDESK_JUDGE_MODEL", "gpt-5-mini")
# The model-backed guardrails (tasks.agents.guardrails), on top of the rules when a model
# provider is configured; empty: the rules alone.
GUARDRAIL_MODEL = env_str("AGENTDESK_GUARDRAIL_MODEL", "gpt-5-mini")
# How long a process reuses what it read of the admin's tool switches (Tool settings).
TOOL_SWITCHES_SECONDS = env_float("AGENTDESK_TOOL_SWITCHES_SECONDS", 2.0, minimum=0)
# Specialist agents (tasks.agents.support): the support agent hands billing and technical cases
# to a billing and a technical specialist; off: one agent with every tool.
AGENT_SPECIALISTS = env_bool("AGENTDESK_SPECIALISTS", True)
OFFLINE_MODEL_NAME = "agentdesk-offline"
# Seconds the offline model waits per turn so a person can watch the run live.
OFFLINE_MODEL_DELAY = env_float("AGENTDESK_OFFLINE_DELAY", 0.6, minimum=0)
AGENT_MAX_TURNS = env_int("AGENTDESK_MAX_TURNS", 40, minimum=1)
MODEL_MAX_RETRIES = env_int("AGENTDESK_MODEL_MAX_RETRIES", 3, minimum=0)
# Seconds one model request may take (streamed: between chunks) before it counts as failed.
MODEL_TIMEOUT_SECONDS = env_float("AGENTDESK_MODEL_TIMEOUT", 120.0, minimum=0.1)
TOOL_TIMEOUT_SECONDS = env_float("AGENTDESK_TOOL_TIMEOUT", 15.0, minimum=0.1)
WORKER_CHANNEL = env_str("AGENTDESK_WORKER_CHANNEL", "agentdesk-tasks")
WORKER_CONCURRENCY = env_int("AGENTDESK_WORKER_CONCURRENCY", 50, minimum=1)
# Runs of one worker that process a turn at once (tasks.runtime.pacing): the others wait their
# turn instead of slicing the CPU among all of them.
WORKER_TURN_SLOTS = env_int("AGENTDESK_WORKER_TURN_SLOTS", 4, minimum=1)
# runworker processes (and manage.py bench) run on uvloop (tasks.runtime.event_loop).
WORKER_UVLOOP = env_bool("AGENTDESK_WORKER_UVLOOP", True)
# With no REDIS_URL the in-memory layer cannot reach other processes: run the worker inside
# the web process.
EMBEDDED_WORKER = env_bool("AGENTDESK_EMBEDDED_WORKER", not REDIS_URL)
TASK_LEASE_SECONDS = env_int("AGENTDESK_LEASE_SECONDS", 30, minimum=3)
# How often a worker looks for queued tasks whose wake-up was lost and tasks whose lease expired.
WORKER_SWEEP_SECONDS = env_float("AGENTDESK_SWEEP_SECONDS", 10.0, minimum=0.1)
TASK_MAX_ATTEMPTS = env_int("AGENTDESK_MAX_ATTEMPTS", 3, minimum=1)
# PostgreSQL: how often a worker looks for running tasks whose worker died (its run lock was
# released with its connection: tasks.runtime.run_locks), to run them again at once.
WORKER_LIVENESS_SECONDS = env_float("AGENTDESK_LIVENESS_SECONDS", 1.0, minimum=0.1)
# Run locks on PostgreSQL (off: only the lease finds a dead worker's tasks; for comparison).
WORKER_RUN_LOCKS = env_bool("AGENTDESK_RUN_LOCKS", True)
APPROVAL_EXPIRY_HOURS = env_int("AGENTDESK_APPROVAL_EXPIRY_HOURS", 72, minimum=1)
# How often open websockets re-check their user, session and API token (closing within it).
LIVE_ACCESS_CHECK_SECONDS = env_float("AGENTDESK_LIVE_ACCESS_CHECK_SECONDS", 1.0, minimum=0.05)
# Four-eyes rule: the person who started a task cannot approve its refunds.
APPROVAL_FOUR_EYES = env_bool("AGENTDESK_APPROVAL_FOUR_EYES", True)
# Task starts (single, bulk items, free text) one user may make per minute; 0 turns it off.
TASK_STARTS_PER_MINUTE = env_int("AGENTDESK_TASK_STARTS_PER_MINUTE", 60, minimum=0)

# --- Copilot ----------------------------------------------------------------------------------
OFFLINE_CHAT_MODEL_NAME = "agentdesk-offline-chat"
# Seconds the offline chat model waits per turn (0: answers at once).
OFFLINE_CHAT_DELAY = env_float("AGENTDESK_OFFLINE_CHAT_DELAY", 0.0, minimum=0)
COPILOT_MAX_MESSAGE_CHARS = env_int("AGENTDESK_COPILOT_MAX_MESSAGE_CHARS", 4000, minimum=1)
# Investigations one copilot request may start; a larger request is refused with the limit.
COPILOT_MAX_STARTS = env_int("AGENTDESK_COPILOT_MAX_STARTS", 20, minimum=1)
COPILOT_MAX_TURNS = env_int("AGENTDESK_COPILOT_MAX_TURNS", 12, minimum=2)
# How long a worker's claim on answering a conversation holds without being renewed.
COPILOT_ANSWER_LEASE_SECONDS = env_int("AGENTDESK_COPILOT_LEASE_SECONDS", 30, minimum=3)
# Traces of task runs (tasks.runtime.tracing): stored with the task and shown as a waterfall;
# with an OTLP endpoint they also go to an OpenTelemetry collector (OTLP over HTTP).
# Ticket categories whose tasks may refund (issue_refund is offered there only, and only when
# the person who started the task has the tasks.start_refund_work permission).
REFUND_CATEGORIES = env_list(
    "AGENTDESK_REFUND_CATEGORIES", ["billing", "refund", "shipping", "damaged_item"]
)
TRACES_ENABLED = env_bool("AGENTDESK_TRACES", True)
# Prometheus metrics at /metrics, without login: with a token, only requests that send it
# (Authorization: Bearer <token>); without one, only from these addresses.
METRICS_TOKEN = env_str("AGENTDESK_METRICS_TOKEN")
METRICS_ALLOWED_ADDRESSES = env_list("AGENTDESK_METRICS_ALLOWED_ADDRESSES", ["127.0.0.1", "::1"])
OTEL_EXPORTER_OTLP_ENDPOINT = env_str("OTEL_EXPORTER_OTLP_ENDPOINT")
OTEL_SERVICE_NAME = env_str("OTEL_SERVICE_NAME", "agentdesk")

# USD per 1M tokens (input, output). Unknown models cost 0 and are flagged in the UI.
MODEL_PRICES: dict[str, tuple[Decimal, Decimal]] = {
    "agentdesk-offline": (Decimal("0"), Decimal("0")),
    "agentdesk-offline-chat": (Decimal("0"), Decimal("0")),
    "gpt-5": (Decimal("1.25"), Decimal("10.00")),
    "gpt-5-mini": (Decimal("0.25"), Decimal("2.00")),
    "gpt-5-nano": (Decimal("0.05"), Decimal("0.40")),
    "gpt-4.1": (Decimal("2.00"), Decimal("8.00")),
    "gpt-4.1-mini": (Decimal("0.40"), Decimal("1.60")),
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
}

# --- API ------------------------------------------------------------------------------------
API_PAGE_SIZE_MAX = 200
