"""Who watches which live group, so a publisher renders and sends only what someone watches.

- In-memory layer (one process): the layer's own groups say it.
- Redis (web and worker processes apart): each web process's hub (``tasks.live.hub``) marks
  the groups its sockets joined in Redis keys of AgentDesk's own, ``agentdesk:watched:<group>``,
  which expire after ``TTL_SECONDS`` unless the hub renews them while it holds the group. A
  publisher reads the marks of a batch's groups with one ``MGET``.
- ``TICKET_PAGES`` counts as watched while any ticket page is: a publisher asks it first, and
  looks up which tickets a batch's tasks belong to only then.
- Any other layer, or Redis failing: every group counts as watched (render and send as if).

A group nobody watched when its events were published loses nothing: a socket joins its
group before it catches up from the database, so what was stored before the join is in the
catch-up, and what comes after reaches the socket."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any

from channels.layers import InMemoryChannelLayer
from django.conf import settings

from tasks.live.groups import TICKET_PAGES, is_ticket_group
from tasks.runtime.redis_clients import async_client, sync_client

logger = logging.getLogger(__name__)

KEY_PREFIX = "agentdesk:watched:"
# A hub renews its marks every RENEW_SECONDS (30): three renewals may fail before a watched
# group looks unwatched.
TTL_SECONDS = 90

Watched = Callable[[Collection[str]], set[str]]


def local_groups(layer: Any) -> dict[str, Any] | None:
    """The groups of this process's in-memory layer; None for a layer shared with other
    processes."""
    groups = getattr(layer, "groups", None)
    if isinstance(layer, InMemoryChannelLayer) and isinstance(groups, dict):
        return groups
    return None


def _uses_redis(layer: Any) -> bool:
    return bool(settings.REDIS_URL) and local_groups(layer) is None and layer is not None


def _key(group: str) -> str:
    return KEY_PREFIX + group


def watched_check(layer: Any) -> Watched:
    """A function from groups to the ones someone watches (sync: for a worker thread)."""
    groups = local_groups(layer)
    if groups is not None:
        local = groups

        def watched_here(wanted: Collection[str]) -> set[str]:
            found = {g for g in wanted if local.get(g)}
            if TICKET_PAGES in wanted and any(is_ticket_group(g) and local[g] for g in local):
                found.add(TICKET_PAGES)
            return found

        return watched_here
    if not _uses_redis(layer):
        return lambda wanted: set(wanted)  # not known: every group counts as watched

    def watched(wanted: Collection[str]) -> set[str]:
        names = list(dict.fromkeys(wanted))
        if not names:
            return set()
        try:
            marks = sync_client(settings.REDIS_URL).mget([_key(g) for g in names])
        except Exception:
            logger.warning("Could not read who watches live groups; rendering all", exc_info=True)
            return set(names)
        return {g for g, mark in zip(names, marks, strict=True) if mark is not None}

    return watched


def anyone_listening(layer: Any) -> bool:
    """False only when no socket of this process's in-memory layer joined any group."""
    groups = local_groups(layer)
    return groups is None or any(groups.values())


async def mark_watched(layer: Any, groups: Collection[str]) -> None:
    """Marks ``groups`` as watched for ``TTL_SECONDS`` (Redis only; a hub calls it when it
    joins a group and at every renewal)."""
    if not groups or not _uses_redis(layer):
        return
    if any(is_ticket_group(g) for g in groups):
        groups = [*groups, TICKET_PAGES]
    try:
        async with async_client(settings.REDIS_URL).pipeline(transaction=False) as pipe:
            for group in groups:
                pipe.set(_key(group), b"1", ex=TTL_SECONDS)
            await pipe.execute()
    except Exception:
        logger.warning("Could not mark live groups as watched", exc_info=True)
