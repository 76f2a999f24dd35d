"""Tells conversations about the tasks they delegated: a task event listener (registered at app
start, like live publishing) that turns a delegated task's end, or its need for an approval,
into a notice in each conversation that delegated it; the copilot then sums it up.

Events come in batches (the worker's group commits); only the few event types that matter are
looked at, and one query per batch finds which of their tasks were delegated at all."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from asgiref.sync import sync_to_async

from tasks.events import TaskEventType
from tasks.models import ConversationTask, Task, TaskEvent
from tasks.services.conversations import notice_add

logger = logging.getLogger(__name__)

NOTICE_EVENTS = {
    TaskEventType.TASK_COMPLETED: "completed",
    TaskEventType.TASK_FAILED: "failed",
    TaskEventType.TASK_CANCELLED: "was cancelled",
    TaskEventType.APPROVAL_REQUESTED: "needs an approval",
}


def _changes(events: Sequence[TaskEvent]) -> dict[int, str]:
    changes: dict[int, str] = {}
    for event in events:
        what = NOTICE_EVENTS.get(event.type)
        if what is not None:
            changes[event.task_id] = what
    return changes


def notify_delegations(changes: dict[int, str]) -> int:
    """Adds the notices (sync; after the events' commit). Returns how many."""
    delegated = set(
        ConversationTask.objects.filter(task_id__in=changes).values_list("task_id", flat=True)
    )
    if not delegated:
        return 0
    tickets = dict(Task.objects.filter(pk__in=delegated).values_list("pk", "ticket__number"))
    added = 0
    for task_id in sorted(delegated):
        number = tickets.get(task_id)
        where = f" on #{number}" if number else ""
        added += len(notice_add(task_id=task_id, body=f"Task {task_id}{where} {changes[task_id]}."))
    return added


class DelegationNotifier:
    """A task event listener (``tasks.events.EventListener``)."""

    def __init__(self) -> None:
        self._background: set[asyncio.Task[Any]] = set()

    def stored_nowait(self, events: Sequence[TaskEvent]) -> None:
        changes = _changes(events)
        if not changes:
            return
        job = asyncio.get_running_loop().create_task(sync_to_async(notify_delegations)(changes))
        self._background.add(job)
        job.add_done_callback(self._done)

    def _done(self, job: asyncio.Task[Any]) -> None:
        self._background.discard(job)
        if not job.cancelled() and job.exception() is not None:
            logger.warning("Copilot notices failed", exc_info=job.exception())

    def stored_committed(self, events: Sequence[TaskEvent]) -> None:
        changes = _changes(events)
        if changes:
            notify_delegations(changes)

    def live_nowait(self, *, task_id: int, type: str, data: dict[str, Any]) -> None:
        return None

    async def stored(self, events: Sequence[TaskEvent]) -> None:
        changes = _changes(events)
        if changes:
            await sync_to_async(notify_delegations)(changes)

    async def live(self, *, task_id: int, type: str, data: dict[str, Any]) -> None:
        return None

    async def drained(self) -> None:
        """Waits for the notices in flight on this event loop (tests); jobs of a loop that
        has gone (an earlier test's) are forgotten."""
        loop = asyncio.get_running_loop()
        while True:
            for job in list(self._background):
                if job.done() or job.get_loop() is not loop:
                    self._background.discard(job)
            if not self._background:
                return
            await asyncio.gather(*self._background, return_exceptions=True)


_notifier = DelegationNotifier()


def get_notifier() -> DelegationNotifier:
    return _notifier
