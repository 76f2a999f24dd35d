"""Live publishing: task events on the channel layer, to the groups of the task, of the
dashboard and of the ticket page. A listener of the domain's events (``tasks.events``),
registered at app start (``tasks.apps``): storing an event never renders or sends anything
itself.

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

Events published together go to each group as one message when there are several::

    {"type": "task.events", "task_ids": [7, 7], "seqs": [12, None],
     "frames_json": ["...", "..."], "frames_html": ["...", "..."], "frame_html": "..."}

(one group send and one consumer wake-up per batch, not per event, and flat lists of ready
frames, which the in-memory layer copies cheaply for each socket: under load, hundreds of
sockets stay cheap).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from tasks.compat import event_loop_of_this_thread
from tasks.live.groups import DASHBOARD_GROUP, task_group
from tasks.live.outgoing import build_outgoing, deltas_outgoing
from tasks.live.presence import anyone_listening, watched_check
from tasks.live.threads import in_live_thread
from tasks.models import TaskEvent

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "task.event"
LIVE_EVENT_TYPES = frozenset({"message.delta", "reasoning.delta"})
# Messages published (and rendered) together at most.
MAX_BATCH = 500
# Seconds streamed deltas wait for more words before they are sent.
DELTA_WINDOW = 0.05


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
    batch = list(messages)
    if not anyone_listening(layer):
        return
    watched = watched_check(layer)
    try:
        if any(message["seq"] is not None for message in batch):
            outgoing = await in_live_thread(build_outgoing)(batch, watched=watched)
        else:  # deltas only: nothing to render or read
            outgoing = deltas_outgoing(batch)
    except Exception:
        logger.warning("Could not render live updates", exc_info=True)
        outgoing = _plain(batch)
    # One message per group: sent to all groups at once (a Redis round trip each).
    await asyncio.gather(*(_group_send(layer, group, message) for group, message in outgoing))


async def _group_send(layer: Any, group: str, message: dict[str, Any]) -> None:
    try:
        await layer.group_send(group, message)
    except Exception:  # a full or unreachable layer must never fail the task
        logger.warning("Could not publish task events to %s", group, exc_info=True)


def coalesce_deltas(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deltas of one task and kind with nothing else of that task between them become one
    message (the words streamed while the publisher was busy): the same text in the same
    order, in far fewer messages under load."""
    out: list[dict[str, Any]] = []
    last: dict[int, int] = {}  # task id -> index in ``out`` of its latest message
    for message in batch:
        index = last.get(message["task_id"])
        if index is not None and _joins(out[index], message):
            previous = out[index]
            text = previous["data"]["delta"] + message["data"]["delta"]
            out[index] = {**previous, "data": {**previous["data"], "delta": text}}
            continue
        last[message["task_id"]] = len(out)
        out.append(message)
    return out


def _joins(previous: dict[str, Any], message: dict[str, Any]) -> bool:
    return (
        message["seq"] is None
        and previous["seq"] is None
        and previous["event"] == message["event"]
        and isinstance(previous["data"].get("delta"), str)
        and isinstance(message["data"].get("delta"), str)
    )


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

    def _take(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        while self._queue and len(batch) < MAX_BATCH:
            batch.extend(self._queue.popleft())
        return batch

    async def _drain(self) -> None:
        while True:
            while self._queue:
                # Everything queued meanwhile goes as one batch: rendered together, each
                # task's panel and dashboard row once (under load, fewer and larger batches).
                batch = self._take()
                if all(message["seq"] is None for message in batch):
                    # Only streamed words: gather a few more (a word per frame per socket
                    # is most of a busy server's frames; 20 updates a second still read as
                    # typing). A stored event arriving meanwhile joins the batch, in order.
                    await asyncio.sleep(DELTA_WINDOW)
                    batch += self._take()
                await _send(coalesce_deltas(batch))
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


def publish_from_sync(events: Sequence[TaskEvent]) -> None:
    """From sync code, after the events' transaction committed: inside a worker or web process
    the messages are handed to the event loop without waiting; elsewhere sent now."""
    messages = [event_message(event) for event in events]
    if not messages:
        return
    loop = event_loop_of_this_thread()
    if loop is not None:
        loop.call_soon_threadsafe(lambda: _publisher().put(messages))
    else:
        async_to_sync(_send)(messages)


class LivePublisher:
    """The listener ``tasks.apps`` registers with the domain's events (``EventListener``)."""

    def stored_nowait(self, events: Sequence[TaskEvent]) -> None:
        publish_nowait(events)

    def stored_committed(self, events: Sequence[TaskEvent]) -> None:
        publish_from_sync(events)

    def live_nowait(self, *, task_id: int, type: str, data: dict[str, Any]) -> None:
        live_publish_nowait(task_id=task_id, type=type, data=data)

    async def stored(self, events: Sequence[TaskEvent]) -> None:
        await events_publish(events)

    async def live(self, *, task_id: int, type: str, data: dict[str, Any]) -> None:
        await live_publish(task_id=task_id, type=type, data=data)


live_publisher = LivePublisher()
