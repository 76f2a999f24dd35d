"""Batches a running task's events into one write per turn, pipelined with the run.

The run loop adds events as the model streams and flushes at every turn and tool boundary:
the batch goes to the process's group writer and the run continues at once, so the model's
next turn overlaps the write. At most one batch per task is in flight: the next flush first
settles the previous one, and a batch whose write failed is sent again ahead of newer events,
so nothing is lost or reordered. ``settle`` waits for everything (before the final write).

Each batch is guarded like the run's end (``guard``: running, this worker's lease): a worker
that lost its task (lease expired, another worker took it) adds nothing to its timeline and
is told to stop through ``on_cancel``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from tasks.events import EventSpec, EventWrite, WriteResult, live_publish_nowait
from tasks.runtime.writer import get_writer

logger = logging.getLogger(__name__)

Batch = tuple[list[EventSpec], dict[str, Any], list[dict[str, Any]]]


class EventRecorder:
    def __init__(
        self,
        task_id: int,
        *,
        guard: dict[str, Any] | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        self.task_id = task_id
        self.guard = dict(guard or {})
        self.on_cancel = on_cancel
        self._events: list[EventSpec] = []
        self._updates: dict[str, Any] = {}
        self._spans: list[dict[str, Any]] = []
        self._inflight: tuple[asyncio.Future[WriteResult], Batch] | None = None
        self._wanted = False  # a flush came while a batch was in flight
        self.stored = 0

    def add(self, event_type: str, data: dict[str, Any]) -> None:
        self._events.append((event_type, data))

    def update_task(self, **fields: Any) -> None:
        """Task fields written with the next batch (e.g. token counts)."""
        self._updates.update(fields)

    def add_spans(self, spans: list[dict[str, Any]]) -> None:
        """Ended trace spans (tasks.runtime.tracing) written with the next batch."""
        self._spans.extend(spans)

    def take(self) -> Batch:
        """Hands over what is pending (to write it together with a final transition)."""
        batch = (self._events, self._updates, self._spans)
        self._events, self._updates, self._spans = [], {}, []
        return batch

    async def flush(self) -> None:
        """Sends what is pending to the writer without waiting for any commit. While the
        previous batch is still in flight, the pending events wait and go the moment it has
        committed (together with whatever was added meanwhile): the run never waits for the
        database between turns, and there is still one batch per task in flight at most."""
        if self._inflight is not None:
            future, _ = self._inflight
            if not future.done():
                self._wanted = True
                return
            self._written(future)
        self._submit()

    def _submit(self) -> None:
        events, updates, spans = self.take()
        write = EventWrite(
            task_id=self.task_id, events=events, updates=updates, guard=self.guard, spans=spans
        )
        future = get_writer().submit(write)
        self._inflight = (future, (events, updates, spans))
        future.add_done_callback(self._written)

    def _written(self, future: asyncio.Future[WriteResult]) -> None:
        """The batch in flight committed or failed. A failed batch goes back in front of the
        pending events (sent again with the next flush, so a database that is down is not
        retried in a loop); staff's cancel request, or the loss of the task to another
        worker, is passed on; events that waited for this commit go now."""
        if self._inflight is None or self._inflight[0] is not future:
            return
        _, (events, updates, spans) = self._inflight
        self._inflight = None
        wanted, self._wanted = self._wanted, False
        if future.cancelled() or future.exception() is not None:
            logger.warning(
                "Events of task %s not stored; retrying",
                self.task_id,
                exc_info=None if future.cancelled() else future.exception(),
            )
            self._events = events + self._events
            self._updates = {**updates, **self._updates}
            self._spans = spans + self._spans
            return
        result = future.result()
        self.stored += len(result.events)
        lost = not result.applied
        if (result.cancel_requested or lost) and self.on_cancel is not None:
            self.on_cancel()
        if wanted:
            self._submit()

    async def settle(self) -> None:
        """Waits until nothing is in flight (events that waited for a commit included)."""
        while self._inflight is not None:
            future, _ = self._inflight
            await asyncio.wait([future])
            self._written(future)

    def live(self, event_type: str, data: dict[str, Any]) -> None:
        """A live-only event (a delta): published now, never stored."""
        live_publish_nowait(task_id=self.task_id, type=event_type, data=data)
