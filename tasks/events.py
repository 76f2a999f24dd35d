"""Task events: names, storage with a per-task sequence number, and publishing.

Every change to a task is one stored ``TaskEvent`` with the next ``seq`` of that task, then a
message to the channel-layer groups of the task and of the dashboard. The database is the
record: a publish is best effort (a client that missed it reads the events after its last seq).
Streaming deltas are published live only and never stored.

Channel-layer message (``type`` routes to a consumer's ``task_event`` handler)::

    {"type": "task.event", "task_id": 7, "seq": 12, "event": "tool.called",
     "data": {...}, "created_at": "2026-10-02T10:00:00+00:00"}

``seq`` is ``None`` for live-only events. Events that change the task's status carry
``data["status"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tasks.models import Task, TaskEvent

logger = logging.getLogger(__name__)

DASHBOARD_GROUP = "dashboard"
MESSAGE_TYPE = "task.event"

EventSpec = tuple[str, dict[str, Any]]


class TaskEventType:
    TASK_CREATED = "task.created"
    TASK_STARTED = "task.started"
    TASK_STATUS_CHANGED = "task.status_changed"
    TODO_ADDED = "todo.added"
    TODO_UPDATED = "todo.updated"
    TOOL_CALLED = "tool.called"
    TOOL_RETURNED = "tool.returned"
    TOOL_FAILED = "tool.failed"
    REASONING_COMPLETED = "reasoning.completed"
    MESSAGE_COMPLETED = "message.completed"
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_DECIDED = "approval.decided"
    TASK_COMPLETED = "task.completed"
    TASK_FAILED = "task.failed"
    TASK_CANCELLED = "task.cancelled"
    USAGE_UPDATED = "usage.updated"
    # Live only: published as they stream, never stored one row each.
    MESSAGE_DELTA = "message.delta"
    REASONING_DELTA = "reasoning.delta"

    LIVE_ONLY = frozenset({MESSAGE_DELTA, REASONING_DELTA})
    STORED = frozenset(
        {
            TASK_CREATED,
            TASK_STARTED,
            TASK_STATUS_CHANGED,
            TODO_ADDED,
            TODO_UPDATED,
            TOOL_CALLED,
            TOOL_RETURNED,
            TOOL_FAILED,
            REASONING_COMPLETED,
            MESSAGE_COMPLETED,
            APPROVAL_REQUESTED,
            APPROVAL_DECIDED,
            TASK_COMPLETED,
            TASK_FAILED,
            TASK_CANCELLED,
            USAGE_UPDATED,
        }
    )


def task_group(task_id: int) -> str:
    """The channel-layer group of one task (only ``[a-zA-Z0-9-_.]``, well under 100 chars)."""
    return f"task-{int(task_id)}"


# --- storing ----------------------------------------------------------------------------------


def events_store(
    *,
    task_id: int,
    events: Sequence[EventSpec],
    task_updates: dict[str, Any] | None = None,
) -> list[TaskEvent]:
    """Stores ``events`` with the task's next sequence numbers, and applies ``task_updates``
    to the task row in the same transaction.

    The task row is locked while the numbers are taken (``select_for_update``; SQLite runs
    IMMEDIATE transactions, which hold the write lock), so concurrent writers of one task get
    contiguous, unique numbers and a crash stores all of a batch or none of it."""
    for event_type, _ in events:
        if event_type not in TaskEventType.STORED:
            raise ValueError(f"{event_type!r} is not a stored task event type")
    with transaction.atomic():
        last_seq = (
            Task.objects.select_for_update().filter(pk=task_id).values_list("last_seq", flat=True)
        ).get()
        now = timezone.now()
        rows = [
            TaskEvent(task_id=task_id, seq=last_seq + i, type=event_type, data=data, created_at=now)
            for i, (event_type, data) in enumerate(events, start=1)
        ]
        if rows:
            TaskEvent.objects.bulk_create(rows)
        updates: dict[str, Any] = dict(task_updates or {})
        if rows:
            updates["last_seq"] = last_seq + len(rows)
        if updates:
            Task.objects.filter(pk=task_id).update(**updates)
    return rows


def event_store(*, task_id: int, type: str, data: dict[str, Any]) -> TaskEvent:
    """Stores one event (see ``events_store``)."""
    return events_store(task_id=task_id, events=[(type, data)])[0]


def event_list(
    *, task_id: int, after_seq: int = 0, limit: int | None = None
) -> QuerySet[TaskEvent]:
    """The stored events of a task after ``after_seq``, in order: what a client missed."""
    qs = TaskEvent.objects.filter(task_id=task_id, seq__gt=after_seq).order_by("seq")
    return qs[:limit] if limit else qs


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
            if message["event"] not in TaskEventType.LIVE_ONLY:
                await layer.group_send(DASHBOARD_GROUP, message)
        except Exception:  # a full or unreachable layer must never fail the task
            logger.warning("Could not publish task event %s", message.get("event"), exc_info=True)


async def events_publish(events: Iterable[TaskEvent]) -> None:
    """Publishes stored events (call after their transaction committed)."""
    await _send([event_message(event) for event in events])


async def live_publish(*, task_id: int, type: str, data: dict[str, Any]) -> None:
    """Publishes a live-only event to the task's group (deltas do not go to the dashboard)."""
    await _send([live_message(task_id=task_id, type=type, data=data)])


def events_publish_on_commit(events: Sequence[TaskEvent]) -> None:
    """For sync code: publishes ``events`` once the current transaction commits (at once when
    there is none), so no one hears of an event the database does not hold."""
    if not events:
        return
    messages = [event_message(event) for event in events]

    def publish() -> None:
        try:
            async_to_sync(_send)(messages)
        except Exception:
            logger.warning("Could not publish task events", exc_info=True)

    transaction.on_commit(publish)
