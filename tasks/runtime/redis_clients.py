"""Redis clients for AgentDesk's own keys (who watches which live group, worker heartbeats),
beside the channel layer's: one per URL for sync code and one per URL and event loop for
async code, with short timeouts so a missing Redis answers at once instead of hanging."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

TIMEOUT_SECONDS = 2.0

_sync: dict[str, Any] = {}
_async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = (
    weakref.WeakKeyDictionary()
)


def sync_client(url: str) -> Any:
    client = _sync.get(url)
    if client is None:
        import redis

        client = _sync[url] = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
    return client


def async_client(url: str) -> Any:
    per_loop = _async.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(url)
    if client is None:
        import redis.asyncio

        client = per_loop[url] = redis.asyncio.Redis.from_url(
            url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
    return client
