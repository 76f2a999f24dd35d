"""One channel-layer subscription per group and process, fanned out to the process's sockets.

A socket that joined a group itself would be a channel-layer channel of its own: with the
in-memory layer every message is deep-copied once per socket, and with Redis hundreds of
sockets in one process wake up on every message the process receives. Here the process joins
each group once, and a reader hands each message to the inboxes of the local sockets
(in order, shared, never mutated): a message costs one layer delivery per process, then a
queue put per socket.

Group memberships in a channel layer expire (``group_expiry``, a day by default), and a Redis
restart forgets them: the hub renews them while it holds them, and after a failed receive it
joins again and tells every local socket to resync (``live.resync``): task sockets catch up
from the database by seq, dashboards and ticket pages re-read their state. Whatever was
published while the layer was away is in the database."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from dataclasses import dataclass, field
from typing import Any

from channels.layers import get_channel_layer

from tasks.live.presence import mark_watched

logger = logging.getLogger(__name__)

# Messages a socket may have waiting; past this it misses them and repairs the gap itself
# (a task socket from the database, the dashboard by re-reading the board).
INBOX_SIZE = 1000
RENEW_SECONDS = 30.0
RETRY_SECONDS = 1.0

Inbox = asyncio.Queue[dict[str, Any]]

# Put in every local inbox of a group after the hub lost the layer and joined again.
RESYNC_MESSAGE: dict[str, Any] = {"type": "live.resync"}


@dataclass(eq=False)
class _Group:
    members: set[Inbox] = field(default_factory=set)
    channel: str = ""
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    failed: bool = False
    reader: asyncio.Task[None] | None = None


class LocalHub:
    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.groups: dict[str, _Group] = {}
        self.renewer: asyncio.Task[None] | None = None
        self.dropped = 0

    async def join(self, group: str, inbox: Inbox) -> None:
        """Returns once messages sent to ``group`` reach ``inbox``."""
        entry = self.groups.get(group)
        if entry is not None:
            entry.members.add(inbox)
            await entry.ready.wait()
            if entry.failed:
                raise RuntimeError(f"Could not join {group}")
            return
        entry = self.groups[group] = _Group(members={inbox})
        try:
            entry.channel = await self.layer.new_channel()
            await self.layer.group_add(group, entry.channel)
        except BaseException:
            entry.failed = True
            if self.groups.get(group) is entry:
                del self.groups[group]
            raise
        finally:
            entry.ready.set()
        # Publishers in other processes render and send only for groups marked watched.
        await mark_watched(self.layer, [group])
        # Fresh contexts: the hub outlives the socket that happened to start it.
        loop = asyncio.get_running_loop()
        entry.reader = loop.create_task(self._read(group, entry), context=contextvars.Context())
        if self.renewer is None or self.renewer.done():
            self.renewer = loop.create_task(self._renew(), context=contextvars.Context())

    async def leave(self, group: str, inbox: Inbox) -> None:
        entry = self.groups.get(group)
        if entry is None:
            return
        entry.members.discard(inbox)
        if entry.members or not entry.ready.is_set():
            return
        del self.groups[group]
        if entry.reader is not None:
            entry.reader.cancel()
        if entry.channel and not entry.failed:
            try:
                await self.layer.group_discard(group, entry.channel)
            except Exception:
                logger.warning("Could not leave group %s", group, exc_info=True)

    async def _read(self, group: str, entry: _Group) -> None:
        broken = False
        while True:
            try:
                if broken:
                    # The layer may have lost the membership (a restarted Redis keeps none).
                    await self.layer.group_add(group, entry.channel)
                    await mark_watched(self.layer, [group])
                    broken = False
                    logger.info("Joined group %s again; local sockets resync", group)
                    self._fan_out(entry, RESYNC_MESSAGE)
                message = await self.layer.receive(entry.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # e.g. Redis restarting
                logger.warning("Receiving for group %s failed", group, exc_info=True)
                broken = True
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self._fan_out(entry, message)

    def _fan_out(self, entry: _Group, message: dict[str, Any]) -> None:
        for inbox in list(entry.members):
            try:
                inbox.put_nowait(message)
            except asyncio.QueueFull:
                self.dropped += 1

    async def _renew(self) -> None:
        while self.groups:
            await asyncio.sleep(RENEW_SECONDS)
            held = [g for g, e in list(self.groups.items()) if e.ready.is_set() and not e.failed]
            for group in held:
                entry = self.groups.get(group)
                if entry is None:
                    continue
                try:
                    await self.layer.group_add(group, entry.channel)
                except Exception:
                    logger.warning("Could not renew group %s", group, exc_info=True)
            await mark_watched(self.layer, held)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LocalHub] = weakref.WeakKeyDictionary()


def get_hub() -> LocalHub:
    """The hub of the running event loop and the configured channel layer."""
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    hub = _hubs.get(loop)
    if hub is None or hub.layer is not layer:
        hub = _hubs[loop] = LocalHub(layer)
    return hub


def new_inbox() -> Inbox:
    return asyncio.Queue(maxsize=INBOX_SIZE)
