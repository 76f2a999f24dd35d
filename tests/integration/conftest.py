"""The integration suite: the scaled-out layout on real PostgreSQL and Redis (marker
``services``).

It runs when ``DATABASE_URL`` names a PostgreSQL server and ``REDIS_URL`` a Redis server that
answer: ``make test`` (and ``make test-services``) start both with ``.ci/services`` and set them.
Otherwise every test here is skipped with the reason.

pytest-django creates the test database (``test_<name>``) on that server; the daphne and
``runworker`` processes a test starts (``tests.integration.processes``) use the same database
and a Redis database of their own (index 1, flushed first), with short leases and sweeps so a
killed worker's task is found again within seconds. Tests are transactional: the processes
see what a test commits, and everything is flushed after each test (its processes stopped
first)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse, urlunparse

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from tests.integration.processes import Stack

# What every process of the suite runs with (tests add their own, e.g. a fault to inject).
PROCESS_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "AGENTDESK_OFFLINE_DELAY": "0",
    "AGENTDESK_LEASE_SECONDS": "5",
    "AGENTDESK_SWEEP_SECONDS": "1",
    "AGENTDESK_EMBEDDED_WORKER": "false",
    "PYTHONUNBUFFERED": "1",
    "LOG_LEVEL": "INFO",
}
TEST_REDIS_DB = 1


@dataclass(frozen=True)
class Services:
    database_url: str
    redis_url: str


def _redis_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def unavailable_reason() -> str | None:
    """Why the suite cannot run here, or None."""
    how = "start them with `.ci/services` (or run `make test-services`)"
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return f"needs DATABASE_URL=postgres://... and REDIS_URL=redis://...; {how}"
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        return f"needs REDIS_URL=redis://...; {how}"
    import psycopg

    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=db["HOST"] or "127.0.0.1",
            port=int(db["PORT"] or 5432),
            user=db["USER"],
            password=db["PASSWORD"],
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        return f"PostgreSQL does not answer ({exc}); {how}"
    if not _redis_answers(redis_url):
        return f"Redis does not answer at {redis_url}; {how}"
    return None


def _with_db(url: str, db: int) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{db}"))


def _flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture(scope="session")
def services(request: pytest.FixtureRequest) -> Services:
    """The test database's URL (pytest-django creates it) and the suite's Redis database."""
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    request.getfixturevalue("django_db_setup")
    db = settings.DATABASES["default"]
    user, password = quote(db["USER"], safe=""), quote(db["PASSWORD"], safe="")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    database_url = f"postgres://{user}:{password}@{host}:{port}/{db['NAME']}"
    redis_url = _with_db(os.environ["REDIS_URL"], TEST_REDIS_DB)
    _flush_redis(redis_url)
    return Services(database_url=database_url, redis_url=redis_url)


def process_env(services: Services, **extra: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        # Never a real model, and no fault unless a test asks for one.
        if not name.startswith(("OPENAI_", "AGENTDESK_"))
    }
    env.update(PROCESS_ENV)
    env.update(DATABASE_URL=services.database_url, REDIS_URL=services.redis_url)
    env.update(extra)
    return env


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome: Any = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def stack(
    request: pytest.FixtureRequest, services: Services, transactional_db: Any, tmp_path: Path
) -> Iterator[Stack]:
    """Starts processes for one test; stops them (before the database is flushed) and shows
    their logs if the test failed."""
    processes = Stack(env=process_env(services), log_dir=tmp_path)
    try:
        yield processes
    finally:
        processes.stop()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            request.node.add_report_section("call", "processes", processes.logs())
        _flush_redis(services.redis_url)


@dataclass(frozen=True)
class Demo:
    support: User
    approver: User


@pytest.fixture
def demo(services: Services, transactional_db: Any) -> Demo:
    """The demo data (customers, orders, the scenario tickets, staff and approver)."""
    from tasks.demo.seed import seed_demo

    seed_demo()
    return Demo(
        support=User.objects.get(username="support"),
        approver=User.objects.get(username="approver"),
    )
