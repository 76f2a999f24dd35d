"""Publishing task events on the channel layer: to the group of the task and of the dashboard.

A publish is best effort (the database is the record): a client that missed a message reads
the events after its last seq. Messages leave in order from one publisher task per event loop,
so writers never wait for the layer.

Channel-layer message (``type`` routes to a consumer's ``task_event`` handler)::

    {"type": "task.event", "task_id": 7, "seq": 12, "event": "tool.called",
     "data": {...}, "created_at": "2026-10-02T10:00:00+00:00"}

``seq`` is ``None`` for live-only events (deltas), which go to the task's group only.

Before sending, the publisher renders what the portal swaps in (``tasks.live.outgoing``): once
per batch of events for each group, never per client. Each message then also carries its
frames for the websocket consumers (``frame_json``, ``frame_html``), and the ticket page's
group (``ticket_group``) hears of a task started on its ticket and of replies the agent wrote.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync, sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.utils import timezone

from tasks.models import TaskEvent

logger = logging.getLogger(__name__)

DASHBOARD_GROUP = "dashboard"
MESSAGE_TYPE = "task.event"
LIVE_EVENT_TYPES = frozenset({"message.delta", "reasoning.delta"})
# Messages published (and rendered) together at most.
MAX_BATCH = 500


def task_group(task_id: int) -> str:
    """The channel-layer group of one task (only ``[a-zA-Z0-9-_.]``, well under 100 chars)."""
    return f"task-{int(task_id)}"


def ticket_group(number: int) -> str:
    """The group of one ticket's page: tasks started on it, and changes to its thread."""
    return f"ticket-{int(number)}"


# --- publishing -------------------------------------------------------------------------------


def event_message(event: TaskEvent) -> dict[str, Any]:
    """The channel-layer message for a stored event."""
    return {
        "type": MESSAGE_TYPE,
        "task_id": event.task_id,
        "seq": event.seq,
        "event": event.type,
        "data": event.data,
        "created_at": event.created_at.isoformat() if event.created_at else None,
    }


def live_message(*, task_id: int, type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message of a live-only event (a delta)."""
    return {
        "type": MESSAGE_TYPE,
        "task_id": task_id,
        "seq": None,
        "event": type,
        "data": data,
        "created_at": timezone.now().isoformat(),
    }


def _listener_check(layer: Any) -> Callable[[str], bool]:
    """Whether anyone listens to a group: known for the in-memory layer (nothing is rendered
    for a group nobody watches), assumed for the others."""
    groups = getattr(layer, "groups", None)
    if isinstance(layer, InMemoryChannelLayer) and isinstance(groups, dict):
        return lambda group: bool(groups.get(group))
    return lambda group: True


def _plain(messages: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The messages without rendered HTML: consumers in HTML mode catch up from the database."""
    outgoing = []
    for message in messages:
        outgoing.append((task_group(message["task_id"]), message))
        if message["event"] not in LIVE_EVENT_TYPES:
            outgoing.append((DASHBOARD_GROUP, message))
    return outgoing


async def _send(messages: Iterable[dict[str, Any]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    from tasks.live.outgoing import build_outgoing, delta_outgoing

    batch = list(messages)
    try:
        if any(message["seq"] is not None for message in batch):
            outgoing = await sync_to_async(build_outgoing)(
                batch, has_listeners=_listener_check(layer)
            )
        else:  # deltas only: nothing to render or read
            outgoing = [pair for message in batch for pair in delta_outgoing(message)]
    except Exception:
        logger.warning("Could not render live updates", exc_info=True)
        outgoing = _plain(batch)
    for group, message in outgoing:
        try:
            await layer.group_send(group, message)
        except Exception:  # a full or unreachable layer must never fail the task
            logger.warning("Could not publish task event %s", message.get("event"), exc_info=True)


class _Publisher:
    """Sends messages in order from one task per event loop, so writers never wait for the
    channel layer (a Redis round trip per group) and events reach clients in seq order."""

    def __init__(self) -> None:
        self._queue: deque[list[dict[str, Any]]] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def put(self, messages: list[dict[str, Any]]) -> None:
        self._queue.append(messages)
        self._wakeup.set()
        if self._task is None or self._task.done():
            # A fresh context: the publisher outlives whichever caller started it, and must not
            # inherit its sync_to_async state (a sync caller's thread would deadlock renders).
            self._task = asyncio.get_running_loop().create_task(
                self._drain(), context=contextvars.Context()
            )

    async def _drain(self) -> None:
        while True:
            while self._queue:
                # Everything queued meanwhile goes as one batch: rendered together, each
                # task's panel and dashboard row once (under load, fewer and larger batches).
                batch: list[dict[str, Any]] = []
                while self._queue and len(batch) < MAX_BATCH:
                    batch.extend(self._queue.popleft())
                await _send(batch)
            self._wakeup.clear()
            if not self._queue:
                await self._wakeup.wait()


_publishers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Publisher] = (
    weakref.WeakKeyDictionary()
)


def _publisher() -> _Publisher:
    loop = asyncio.get_running_loop()
    publisher = _publishers.get(loop)
    if publisher is None:
        publisher = _publishers[loop] = _Publisher()
    return publisher


def publish_nowait(events: Iterable[TaskEvent]) -> None:
    """From the event loop: queues stored events for publishing, in order, without waiting."""
    messages = [event_message(event) for event in events]
    if messages:
        _publisher().put(messages)


def live_publish_nowait(*, task_id: int, type: str, data: dict[str, Any]) -> None:
    """From the event loop: queues a live-only event (a delta) for the task's group."""
    _publisher().put([live_message(task_id=task_id, type=type, data=data)])


async def events_publish(events: Iterable[TaskEvent]) -> None:
    """Publishes stored events now (call after their transaction committed)."""
    await _send([event_message(event) for event in events])


async def live_publish(*, task_id: int, type: str, data: dict[str, Any]) -> None:
    """Publishes a live-only event now, to the task's group (not to the dashboard)."""
    await _send([live_message(task_id=task_id, type=type, data=data)])


def _loop_of_this_thread() -> asyncio.AbstractEventLoop | None:
    """The event loop that runs this sync code in a worker thread (asgiref records it), if
    it still runs."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    pid = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None)
    if loop is not None and pid == os.getpid() and loop.is_running() and not loop.is_closed():
        return loop
    return None


def events_publish_on_commit(events: Sequence[TaskEvent]) -> None:
    """For sync code: publishes ``events`` once the current transaction commits (at once when
    there is none), so no one hears of an event the database does not hold. Inside a worker
    or web process the messages are handed to the event loop without waiting."""
    if not events:
        return
    messages = [event_message(event) for event in events]

    def publish() -> None:
        loop = _loop_of_this_thread()
        try:
            if loop is not None:
                loop.call_soon_threadsafe(lambda: _publisher().put(messages))
            else:
                async_to_sync(_send)(messages)
        except Exception:
            logger.warning("Could not publish task events", exc_info=True)

    transaction.on_commit(publish)
