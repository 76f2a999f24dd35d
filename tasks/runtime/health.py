"""Worker heartbeats, for the readiness check (``/readyz``): whether some worker has swept
lately, so an operator's probe tells a web process whose tasks nobody runs.

Every worker beats at each sweep (``WORKER_SWEEP_SECONDS``):
- with Redis (workers in other processes), into one sorted set of AgentDesk's own,
  ``agentdesk:workers`` (member: the worker's owner id, score: the time), trimmed as it goes;
- without (the embedded worker, in the web process), in this process's memory.

A worker counts as alive when it beat within ``HEARTBEAT_SWEEPS`` sweeps."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection

from tasks.runtime.redis_clients import sync_client

WORKERS_KEY = "agentdesk:workers"
HEARTBEAT_SWEEPS = 3

_local_beat: float | None = None


def heartbeat_window() -> float:
    """Seconds within which a worker must have beaten to count as alive."""
    return HEARTBEAT_SWEEPS * float(settings.WORKER_SWEEP_SECONDS) + 5.0


def worker_beat(owner: str, *, now: float | None = None) -> None:
    """Records that the worker ``owner`` is alive (sync: call from a thread)."""
    global _local_beat
    now = time.time() if now is None else now
    _local_beat = now
    if not settings.REDIS_URL:
        return
    pipe = sync_client(settings.REDIS_URL).pipeline(transaction=False)
    pipe.zadd(WORKERS_KEY, {owner: now})
    pipe.zremrangebyscore(WORKERS_KEY, "-inf", now - 10 * heartbeat_window())
    pipe.execute()


def workers_seen(*, now: float | None = None) -> tuple[int, float | None]:
    """How many workers beat within the window, and seconds since the latest beat (None:
    never). Raises when Redis cannot be asked."""
    now = time.time() if now is None else now
    since = now - heartbeat_window()
    if not settings.REDIS_URL:
        if _local_beat is None:
            return 0, None
        return int(_local_beat >= since), now - _local_beat
    client = sync_client(settings.REDIS_URL)
    alive = client.zcount(WORKERS_KEY, since, "+inf")
    latest = client.zrevrange(WORKERS_KEY, 0, 0, withscores=True)
    return int(alive), (now - float(latest[0][1])) if latest else None


def channel_layer_answers() -> None:
    """Raises unless the channel layer can carry messages (Redis answers a ping; the
    in-memory layer lives in this process)."""
    if not settings.REDIS_URL:
        return
    sync_client(settings.REDIS_URL).ping()


def database_answers() -> None:
    """Raises unless the database answers a query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
