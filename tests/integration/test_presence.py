"""Who watches a live group, on the real Redis: a hub's mark is seen by a publisher in any
process, expires on its own, and is read for a whole batch at once."""

from __future__ import annotations

import asyncio

import pytest
import redis
from channels_redis.core import RedisChannelLayer

from tasks.live import presence

pytestmark = [pytest.mark.services]


def test_a_marked_group_is_watched_for_every_publisher_until_its_mark_expires(services, settings):
    settings.REDIS_URL = services.redis_url
    layer = RedisChannelLayer(hosts=[services.redis_url])
    client = redis.Redis.from_url(services.redis_url)
    client.delete(*(presence.KEY_PREFIX + g for g in ("task-1", "task-2", "dashboard")))
    watched = presence.watched_check(layer)
    try:
        # nobody watches yet
        assert watched(["task-1", "task-2", "dashboard"]) == set()

        # when a web process's hub marks two groups
        asyncio.run(presence.mark_watched(layer, ["task-1", "dashboard"]))

        # then a publisher sees exactly those, with an expiry
        assert watched(["task-1", "task-2", "dashboard"]) == {"task-1", "dashboard"}
        ttl = client.ttl(presence.KEY_PREFIX + "task-1")
        assert 0 < ttl <= presence.TTL_SECONDS
    finally:
        client.delete(*(presence.KEY_PREFIX + g for g in ("task-1", "task-2", "dashboard")))


def test_an_unreachable_redis_counts_every_group_as_watched(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    watched = presence.watched_check(RedisChannelLayer(hosts=[settings.REDIS_URL]))
    assert watched(["task-1", "dashboard"]) == {"task-1", "dashboard"}
