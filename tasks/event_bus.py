"""Publishing task events on the channel layer: to the group of the task and of the dashboard.

A publish is best effort (the database is the record): a client that missed a message reads
the events after its last seq. Messages leave in order from one publisher task per event loop,
so writers never wait for the layer.

Channel-layer message (``type`` routes to a consumer's ``task_event`` handler)::

    {"type": "task.event", "task_id": 7, "seq": 12, "event": "tool.called",
     "data": {...}, "created_at": "2026-10-02T10:00:00+00:00"}

``seq`` is ``None`` for live-only events (deltas), which go to the task's group only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import weakref
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from tasks.models import TaskEvent

logger = logging.getLogger(__name__)

DASHBOARD_GROUP = "dashboard"
MESSAGE_TYPE = "task.event"
LIVE_EVENT_TYPES = frozenset({"message.delta", "reasoning.delta"})


def task_group(task_id: int) -> str:
    """The channel-layer group of one task (only ``[a-zA-Z0-9-_.]``, well under 100 chars)."""
    return f"task-{int(task_id)}"


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


async def _send(messages: Iterable[dict[str, Any]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for message in messages:
        try:
            await layer.group_send(task_group(message["task_id"]), message)
            if message["event"] not in LIVE_EVENT_TYPES:
                await layer.group_send(DASHBOARD_GROUP, message)
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
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while True:
            while self._queue:
                await _send(self._queue.popleft())
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
