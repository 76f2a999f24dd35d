"""Task events: names, and storage with a per-task sequence number (factories per event live
with the services that cause them).

Every change to a task is one stored ``TaskEvent`` with the next ``seq`` of that task, then a
message to the channel-layer groups of the task and of the dashboard (``tasks.event_bus``,
re-exported here). The database is the record. Streaming deltas are published live only and
never stored. Events that change the task's status carry ``data["status"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from tasks.event_bus import (
    DASHBOARD_GROUP,
    MESSAGE_TYPE,
    event_message,
    events_publish,
    events_publish_on_commit,
    live_message,
    live_publish,
    live_publish_nowait,
    publish_nowait,
    task_group,
)
from tasks.models import Task, TaskEvent

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


# --- storing ----------------------------------------------------------------------------------


@dataclass
class EventWrite:
    """Events of one task to store with the task's next sequence numbers, task field updates
    to apply in the same transaction, and a ``guard`` (extra conditions on the task row, such
    as its status and lease owner) without which nothing is written."""

    task_id: int
    events: Sequence[EventSpec] = ()
    updates: dict[str, Any] = field(default_factory=dict)
    guard: dict[str, Any] = field(default_factory=dict)
    # Where the database can (PostgreSQL), take the guarded row with FOR UPDATE SKIP LOCKED
    # first: a row another transaction holds (another worker claiming the same task) makes
    # the write not applied at once, instead of waiting behind that group transaction.
    skip_locked: bool = False


@dataclass
class WriteResult:
    applied: bool
    events: list[TaskEvent]
    cancel_requested: bool = False


def events_store_many(writes: Sequence[EventWrite]) -> list[WriteResult]:
    """Applies ``writes`` (of one or many tasks) in one transaction; one result each.

    Each write takes its numbers with ``UPDATE ... SET last_seq = last_seq + n`` guarded by
    its conditions: the row stays locked to the end of the transaction (PostgreSQL row lock,
    SQLite IMMEDIATE transactions), so concurrent writers of a task get contiguous, unique
    numbers, and a crash stores all of a batch or none of it. The caller learns whether staff
    asked to cancel from the same read."""
    for write in writes:
        for event_type, _ in write.events:
            if event_type not in TaskEventType.STORED:
                raise ValueError(f"{event_type!r} is not a stored task event type")
    now = timezone.now()
    with transaction.atomic():
        applied = []
        for write in writes:
            if write.skip_locked and not _row_free(write):
                applied.append(False)
                continue
            updates: dict[str, Any] = dict(write.updates)
            if write.events:
                updates["last_seq"] = F("last_seq") + len(write.events)
            if not updates and not write.guard:
                applied.append(True)
                continue
            updates = updates or {"last_seq": F("last_seq")}
            rows = Task.objects.filter(pk=write.task_id, **write.guard).update(**updates)
            applied.append(rows == 1)
        state = {
            pk: (last_seq, cancel)
            for pk, last_seq, cancel in Task.objects.filter(
                pk__in={w.task_id for w in writes}
            ).values_list("pk", "last_seq", "cancel_requested")
        }
        # Number each task's writes from its final last_seq backwards, in write order.
        seq_end = {pk: last_seq for pk, (last_seq, _) in state.items()}
        results: list[WriteResult] = [WriteResult(False, [])] * len(writes)
        rows_to_insert: list[TaskEvent] = []
        for index in reversed(range(len(writes))):
            write = writes[index]
            cancel = state.get(write.task_id, (0, False))[1]
            if not applied[index] or write.task_id not in state:
                results[index] = WriteResult(False, [], cancel)
                continue
            first = seq_end[write.task_id] - len(write.events) + 1
            seq_end[write.task_id] = first - 1
            stored = [
                TaskEvent(task_id=write.task_id, seq=first + i, type=t, data=d, created_at=now)
                for i, (t, d) in enumerate(write.events)
            ]
            rows_to_insert.extend(stored)
            results[index] = WriteResult(True, stored, cancel)
        if rows_to_insert:
            TaskEvent.objects.bulk_create(rows_to_insert)
    return results


def _row_free(write: EventWrite) -> bool:
    """Locks the write's task row if it matches the guard and no other transaction holds it
    (PostgreSQL); True where SKIP LOCKED does not exist (the guarded update decides alone)."""
    if not connection.features.has_select_for_update_skip_locked:
        return True
    locked = Task.objects.select_for_update(skip_locked=True).filter(
        pk=write.task_id, **write.guard
    )
    return bool(list(locked.values_list("pk", flat=True)))


def events_store(
    *,
    task_id: int,
    events: Sequence[EventSpec],
    task_updates: dict[str, Any] | None = None,
) -> list[TaskEvent]:
    """Stores one task's ``events`` (and ``task_updates``) in one transaction."""
    write = EventWrite(task_id=task_id, events=events, updates=dict(task_updates or {}))
    return events_store_many([write])[0].events


def event_store(*, task_id: int, type: str, data: dict[str, Any]) -> TaskEvent:
    """Stores one event (see ``events_store``)."""
    return events_store(task_id=task_id, events=[(type, data)])[0]


def event_list(
    *, task_id: int, after_seq: int = 0, limit: int | None = None
) -> QuerySet[TaskEvent]:
    """The stored events of a task after ``after_seq``, in order: what a client missed."""
    qs = TaskEvent.objects.filter(task_id=task_id, seq__gt=after_seq).order_by("seq")
    return qs[:limit] if limit else qs


__all__ = [
    "DASHBOARD_GROUP",
    "MESSAGE_TYPE",
    "EventSpec",
    "EventWrite",
    "TaskEventType",
    "WriteResult",
    "event_list",
    "event_message",
    "event_store",
    "events_publish",
    "events_publish_on_commit",
    "events_store",
    "events_store_many",
    "live_message",
    "live_publish",
    "live_publish_nowait",
    "publish_nowait",
    "task_group",
]
