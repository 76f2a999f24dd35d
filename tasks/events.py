"""Task events: names, storage with a per-task sequence number, and listeners told after
commit (factories per event live with the services that cause them).

Every change to a task is one stored ``TaskEvent`` with the next ``seq`` of that task. The
database is the record. Once the events' transaction has committed, the registered listeners
hear of them (``event_listener_add``; live publishing, ``tasks.live.publisher``, is one,
registered at app start): storing an event never renders or sends anything itself. Streaming
deltas are never stored: listeners hear of them live only. Events that change the task's
status carry ``data["status"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import F, Field, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from tasks.models import Task, TaskEvent, TaskSpan

logger = logging.getLogger(__name__)

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
    GUARDRAIL_TRIPPED = "guardrail.tripped"
    AGENT_HANDOFF = "agent.handoff"
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
            GUARDRAIL_TRIPPED,
            AGENT_HANDOFF,
        }
    )


# --- listeners --------------------------------------------------------------------------------


class EventListener(Protocol):
    """Hears of stored events once their transaction has committed, and of live-only events.
    A listener never fails the caller: what it raises is logged."""

    def stored_nowait(self, events: Sequence[TaskEvent]) -> None:
        """From the event loop (the worker's group writer), without waiting."""

    def stored_committed(self, events: Sequence[TaskEvent]) -> None:
        """From sync code, right after the commit."""

    def live_nowait(self, *, task_id: int, type: str, data: dict[str, Any]) -> None:
        """A live-only event (a delta), from the event loop."""

    async def stored(self, events: Sequence[TaskEvent]) -> None:
        """Now, awaited (tests, async callers after their commit)."""

    async def live(self, *, task_id: int, type: str, data: dict[str, Any]) -> None:
        """A live-only event, now, awaited."""


_listeners: list[EventListener] = []


def event_listener_add(listener: EventListener) -> None:
    """Registers ``listener`` (once, however often the app starts)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _tell(method: str, *args: Any, **kwargs: Any) -> None:
    for listener in list(_listeners):
        try:
            getattr(listener, method)(*args, **kwargs)
        except Exception:
            logger.warning("A task event listener failed", exc_info=True)


def events_publish_on_commit(events: Sequence[TaskEvent]) -> None:
    """For sync code: listeners hear of ``events`` once the current transaction commits (at
    once when there is none), so no one hears of an event the database does not hold."""
    if events:
        stored = list(events)
        transaction.on_commit(lambda: _tell("stored_committed", stored))


def publish_nowait(events: Sequence[TaskEvent]) -> None:
    """From the event loop, after commit: listeners hear of ``events`` without waiting."""
    if events:
        _tell("stored_nowait", list(events))


def live_publish_nowait(*, task_id: int, type: str, data: dict[str, Any]) -> None:
    """From the event loop: a live-only event (a delta), never stored."""
    _tell("live_nowait", task_id=task_id, type=type, data=data)


async def events_publish(events: Sequence[TaskEvent]) -> None:
    """Listeners hear of stored events now (call after their transaction committed)."""
    for listener in list(_listeners):
        try:
            await listener.stored(list(events))
        except Exception:
            logger.warning("A task event listener failed", exc_info=True)


async def live_publish(*, task_id: int, type: str, data: dict[str, Any]) -> None:
    """Listeners hear of a live-only event now."""
    for listener in list(_listeners):
        try:
            await listener.live(task_id=task_id, type=type, data=data)
        except Exception:
            logger.warning("A task event listener failed", exc_info=True)


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
    # Integer fields to add to (``attempts``: 1), in the same UPDATE.
    increments: dict[str, int] = field(default_factory=dict)
    # Where the database can (PostgreSQL), take the guarded row with FOR UPDATE SKIP LOCKED
    # first: a row another transaction holds (another worker claiming the same task) makes
    # the write not applied at once, instead of waiting behind that group transaction.
    skip_locked: bool = False
    # Read the task (with its ticket) once the write applied, in the same transaction: what a
    # claim needs to start the run, without a query of its own.
    load: bool = False
    # Ended trace spans of the run (``TaskSpan`` fields), stored if the write applies.
    spans: Sequence[dict[str, Any]] = ()


@dataclass
class WriteResult:
    applied: bool
    events: list[TaskEvent]
    cancel_requested: bool = False
    task: Task | None = None  # with ``EventWrite.load``


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
        returned: dict[int, tuple[int, bool]] = {}
        for write in writes:
            if write.skip_locked and not _row_free(write):
                applied.append(False)
                continue
            increments = dict(write.increments)
            if write.events:
                increments["last_seq"] = increments.get("last_seq", 0) + len(write.events)
            if not write.updates and not increments and not write.guard:
                applied.append(True)
                returned.pop(write.task_id, None)
                continue
            ok, row = _update_task_row(write, increments)
            applied.append(ok)
            # The row after this write (RETURNING), unless a later write of the task changes it
            # again; a write that did not match, or went through the ORM, reads it below.
            if ok and row is not None:
                returned[write.task_id] = row
            else:
                returned.pop(write.task_id, None)
        unread = {w.task_id for w in writes} - set(returned)
        state = dict(returned)
        if unread:
            state.update(
                (pk, (last_seq, cancel))
                for pk, last_seq, cancel in Task.objects.filter(pk__in=unread).values_list(
                    "pk", "last_seq", "cancel_requested"
                )
            )
        to_load = [w.task_id for w, ok in zip(writes, applied, strict=True) if ok and w.load]
        loaded = Task.objects.select_related("ticket").in_bulk(to_load) if to_load else {}
        # Number each task's writes from its final last_seq backwards, in write order.
        seq_end = {pk: last_seq for pk, (last_seq, _) in state.items()}
        results: list[WriteResult] = [WriteResult(False, [])] * len(writes)
        rows_to_insert: list[TaskEvent] = []
        spans_to_insert: list[tuple[int, Sequence[dict[str, Any]]]] = []
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
            if write.spans:
                spans_to_insert.append((write.task_id, write.spans))
            task = loaded.get(write.task_id) if write.load else None
            results[index] = WriteResult(True, stored, cancel, task)
        if rows_to_insert:
            TaskEvent.objects.bulk_create(rows_to_insert)
        if spans_to_insert:
            TaskSpan.objects.store_many(spans_to_insert)
    return results


def _update_task_row(
    write: EventWrite, increments: dict[str, int]
) -> tuple[bool, tuple[int, bool] | None]:
    """The write's guarded ``UPDATE`` of its task row: whether the guard matched, and the row's
    ``(last_seq, cancel_requested)`` after it when the database returned them.

    This runs once per turn of every running task, so a plain write (field values, equality
    guards: every write of a run) is one statement built from the model's fields, without the
    ORM's query building, returning what the write needs to know (``UPDATE ... RETURNING``,
    where the database supports it) instead of reading it again. Anything else (expressions,
    lookups) goes through ``QuerySet.update``."""
    if not _plain_row_write(write):
        updates: dict[str, Any] = {
            **write.updates,
            **{name: F(name) + amount for name, amount in increments.items()},
        }
        # A guard-only write still locks the row, to the end of the transaction.
        updates = updates or {"last_seq": F("last_seq")}
        matched = Task.objects.filter(pk=write.task_id, **write.guard).update(**updates) == 1
        return matched, None
    qn = connection.ops.quote_name
    sets, params = [], []
    for name, amount in increments.items():
        column = qn(_COLUMNS[name])
        sets.append(f"{column} = {column} + %s")
        params.append(amount)
    for name, value in write.updates.items():
        if isinstance(value, RawSQL):  # an expression compiled once (the task's outcome)
            sets.append(f"{qn(_COLUMNS[name])} = ({value.sql})")
            params.extend(value.params)
            continue
        sets.append(f"{qn(_COLUMNS[name])} = %s")
        params.append(_PLAIN_FIELDS[name].get_db_prep_save(value, connection=connection))
    if not sets:
        column = qn(_COLUMNS["last_seq"])
        sets.append(f"{column} = {column}")
    where = [f"{qn(_COLUMNS[Task._meta.pk.name])} = %s"]
    params.append(write.task_id)
    for name, value in write.guard.items():
        if value is None:
            where.append(f"{qn(_COLUMNS[name])} IS NULL")
            continue
        where.append(f"{qn(_COLUMNS[name])} = %s")
        params.append(_PLAIN_FIELDS[name].get_db_prep_value(value, connection, prepared=False))
    table = qn(Task._meta.db_table)
    sql = f"UPDATE {table} SET {', '.join(sets)} WHERE {' AND '.join(where)}"
    returning = connection.features.can_return_rows_from_update
    if returning:
        sql += f" RETURNING {qn(_COLUMNS['last_seq'])}, {qn(_COLUMNS['cancel_requested'])}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not returning:
            return cursor.rowcount == 1, None
        rows = cursor.fetchall()
    if len(rows) != 1:
        return False, None
    last_seq, cancel = rows[0]
    return True, (int(last_seq), bool(cancel))


_PLAIN_FIELDS: dict[str, Field[Any, Any]] = {
    f.name: f for f in Task._meta.concrete_fields if not f.is_relation and not f.primary_key
}
_COLUMNS: dict[str, str] = {
    f.name: f.get_attname_column()[1] or f.name for f in Task._meta.concrete_fields
}


def _plain_row_write(write: EventWrite) -> bool:
    """Only concrete, non-relation fields set to values (or SQL compiled once, ``RawSQL``) and
    compared for equality."""
    return (
        all(
            name in _PLAIN_FIELDS
            and (isinstance(value, RawSQL) or not hasattr(value, "resolve_expression"))
            for name, value in write.updates.items()
        )
        and all(
            name in _PLAIN_FIELDS and not hasattr(value, "resolve_expression")
            for name, value in write.guard.items()
        )
        and all(name in _PLAIN_FIELDS for name in write.increments)
    )


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
