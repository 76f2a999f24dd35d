"""Group commit for the worker's event writes.

Every running task writes at each turn boundary; hundreds of tasks in one process would queue
hundreds of small transactions on the database thread. Writes that arrive while a transaction
runs, or within ``GROUP_WINDOW`` of the previous one, wait and go together in the next one
(``events_store_many``), and their events are then published in order. The window applies only
while several tasks write (the last group held writes of more than one): a lone run's writes
are never delayed, and under load a commit's fixed costs (and the database thread's turns at
the GIL) are shared by many writes. A write still returns only once its transaction has
committed, so nothing is published or acknowledged that the database does not hold."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import json
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async

from tasks.events import EventWrite, WriteResult, events_store_many, publish_nowait

logger = logging.getLogger(__name__)

MAX_GROUP = 500
# At most one group transaction per window: under load, writes that arrive within it share a
# commit (per-commit costs dominate small transactions); an idle writer starts at once.
GROUP_WINDOW = 0.02

Outcome = WriteResult | BaseException


def _store_group(writes: list[EventWrite]) -> list[Outcome]:
    try:
        return list(events_store_many(writes))
    except Exception:
        logger.warning("A group of %d event writes failed; storing each alone", len(writes))
    # One bad write must not sink the others: retry each in its own transaction, and a write
    # whose data the database refuses (NaN from a model's arguments fails SQLite's JSON check)
    # once more with that data made plain JSON, so its events still land.
    outcomes: list[Outcome] = []
    for write in writes:
        try:
            outcomes.append(events_store_many([write])[0])
        except Exception as exc:
            try:
                outcomes.append(events_store_many([storable(write)])[0])
            except Exception:
                outcomes.append(exc)
    return outcomes


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str), parse_constant=str)


def storable(write: EventWrite) -> EventWrite:
    """``write`` with every event's data as strict JSON: NaN and Infinity become strings,
    anything ``json`` cannot encode becomes its ``str``."""
    return dataclasses.replace(
        write,
        events=[(event_type, _plain(data)) for event_type, data in write.events],
        updates={
            name: _plain(value) if isinstance(value, dict | list) else value
            for name, value in write.updates.items()
        },
    )


class GroupWriter:
    """``clock`` and ``window_wait`` are the event loop's time and ``asyncio.sleep`` unless a
    test gives its own (a window that ends when the test says)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] | None = None,
        window_wait: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._window_wait = window_wait
        self._pending: list[tuple[EventWrite, asyncio.Future[WriteResult]]] = []
        self._task: asyncio.Task[None] | None = None
        self._last_group = float("-inf")
        self._busy = False  # the last group held writes of several tasks

    def submit(self, write: EventWrite) -> asyncio.Future[WriteResult]:
        """Queues ``write`` for the next group transaction; the future resolves after commit
        (writes are applied in submission order)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[WriteResult] = loop.create_future()
        self._pending.append((write, future))
        if self._task is None or self._task.done():
            # A fresh context: the writer outlives whichever run happened to start it.
            self._task = loop.create_task(self._drain(), context=contextvars.Context())
        return future

    async def drained(self) -> None:
        """Returns once everything submitted so far is committed (and published)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def write(self, write: EventWrite) -> WriteResult:
        """Stores ``write`` (in the next group transaction) and publishes its events."""
        return await self.submit(write)

    async def _drain(self) -> None:
        clock = self._clock or asyncio.get_running_loop().time
        while self._pending:
            wait = self._last_group + GROUP_WINDOW - clock()
            if self._busy and wait > 0:
                await self._window_wait(wait)
            self._last_group = clock()
            batch, self._pending = self._pending[:MAX_GROUP], self._pending[MAX_GROUP:]
            writes = [write for write, _ in batch]
            self._busy = len({write.task_id for write in writes}) > 1
            try:
                outcomes = await sync_to_async(_store_group)(writes)
            except Exception as exc:
                logger.exception("Storing %d task event writes failed", len(writes))
                outcomes = [exc] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    if not future.done():
                        future.set_exception(outcome)
                    continue
                publish_nowait(outcome.events)
                if not future.done():
                    future.set_result(outcome)


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupWriter] = (
    weakref.WeakKeyDictionary()
)


def get_writer() -> GroupWriter:
    """The group writer of the running event loop."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = GroupWriter()
    return writer
