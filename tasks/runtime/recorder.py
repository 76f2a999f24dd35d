"""Batches a running task's events into one short transaction per turn.

The run loop adds events as the model streams; ``flush`` stores them (with any task field
updates such as token counts) in one transaction, then publishes them. The run loop flushes at
every turn and tool boundary and at the end, so nothing is lost, and one write per turn keeps
hundreds of concurrent tasks from queueing on the database."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async

from tasks.events import EventSpec, events_publish, events_store, live_publish
from tasks.models import Task, TaskEvent


def _store_batch(
    task_id: int, events: list[EventSpec], updates: dict[str, Any]
) -> tuple[list[TaskEvent], bool]:
    stored = events_store(task_id=task_id, events=events, task_updates=updates)
    cancel = Task.objects.filter(pk=task_id, cancel_requested=True).exists()
    return stored, cancel


class EventRecorder:
    def __init__(self, task_id: int) -> None:
        self.task_id = task_id
        self._events: list[EventSpec] = []
        self._updates: dict[str, Any] = {}
        self.stored = 0

    @property
    def pending(self) -> int:
        return len(self._events)

    def add(self, event_type: str, data: dict[str, Any]) -> None:
        self._events.append((event_type, data))

    def update_task(self, **fields: Any) -> None:
        """Task fields written with the next batch (e.g. token counts)."""
        self._updates.update(fields)

    async def flush(self) -> bool:
        """Stores and publishes what is pending. Returns whether staff asked to cancel."""
        events, updates = self._events, self._updates
        self._events, self._updates = [], {}
        stored, cancel = await sync_to_async(_store_batch)(self.task_id, events, updates)
        self.stored += len(stored)
        if stored:
            await events_publish(stored)
        return cancel

    async def live(self, event_type: str, data: dict[str, Any]) -> None:
        """A live-only event (a delta): published now, never stored."""
        await live_publish(task_id=self.task_id, type=event_type, data=data)
