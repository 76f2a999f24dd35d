"""Worker heartbeats, for the readiness check (``/readyz``): whether some worker has swept
lately, so an operator's probe tells a web process whose tasks nobody runs.

Every worker beats at each sweep (``WORKER_SWEEP_SECONDS``):
- with Redis (workers in other processes), into one sorted set of AgentDesk's own,
  ``agentdesk:workers`` (member: the worker's owner id, score: the time), trimmed as it goes;
- without (the embedded worker, in the web process), in this process's memory.

A worker counts as alive when it beat within ``HEARTBEAT_SWEEPS`` sweeps."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

WORKERS_KEY = "agentdesk:workers"
HEARTBEAT_SWEEPS = 3
# A missing Redis answers within this many seconds (a probe must not hang).
REDIS_TIMEOUT = 2.0

_local_beat: float | None = None


def heartbeat_window() -> float:
    """Seconds within which a worker must have beaten to count as alive."""
    return HEARTBEAT_SWEEPS * float(settings.WORKER_SWEEP_SECONDS) + 5.0


def _redis() -> Any:
    import redis

    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )


def worker_beat(owner: str, *, now: float | None = None) -> None:
    """Records that the worker ``owner`` is alive (sync: call from a thread)."""
    global _local_beat
    now = time.time() if now is None else now
    _local_beat = now
    if not settings.REDIS_URL:
        return
    client = _redis()
    try:
        pipe = client.pipeline(transaction=False)
        pipe.zadd(WORKERS_KEY, {owner: now})
        pipe.zremrangebyscore(WORKERS_KEY, "-inf", now - 10 * heartbeat_window())
        pipe.execute()
    finally:
        client.close()


def workers_seen(*, now: float | None = None) -> tuple[int, float | None]:
    """How many workers beat within the window, and seconds since the latest beat (None:
    never). Raises when Redis cannot be asked."""
    now = time.time() if now is None else now
    since = now - heartbeat_window()
    if not settings.REDIS_URL:
        if _local_beat is None:
            return 0, None
        return int(_local_beat >= since), now - _local_beat
    client = _redis()
    try:
        alive = client.zcount(WORKERS_KEY, since, "+inf")
        latest = client.zrevrange(WORKERS_KEY, 0, 0, withscores=True)
    finally:
        client.close()
    return int(alive), (now - float(latest[0][1])) if latest else None


def channel_layer_answers() -> None:
    """Raises unless the channel layer can carry messages (Redis answers a ping; the
    in-memory layer lives in this process)."""
    if not settings.REDIS_URL:
        return
    client = _redis()
    try:
        client.ping()
    finally:
        client.close()
