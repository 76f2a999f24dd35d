"""A run's conversation so far, saved as ``Task.history`` at every turn boundary.

A worker that dies mid-run loses only the turn in progress: the worker that finds the task again
(lease expiry) starts from the saved history (``runner.run_input``), so tool calls whose results
were saved are not made again. A call that was in flight when the worker died may run again;
every side-effecting tool is idempotent (replies and notes per call id, refunds per key, to-dos
per text).

The history is built from the stream itself (the run's input plus each streamed item as an input
item, as ``RunResult.to_input_list`` does): the SDK adds a turn to ``new_items`` only after the
stream has delivered that turn's events, so reading it at a boundary would lag. It is saved only
when every tool call in it has its result (a conversation the model can continue) and only by
the lease owner (a worker that lost its task writes nothing). A run resumed from a saved state
(approval) does not save history: that state is its record until the run ends."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from agents import ItemHelpers
from agents.items import TResponseInputItem
from agents.stream_events import RunItemStreamEvent, StreamEvent

from tasks.events import EventWrite
from tasks.runtime.writer import get_writer
from tasks.services.task_finish import run_guard

logger = logging.getLogger(__name__)


def _plain(items: list[Any]) -> list[Any]:
    # Items may hold SDK/pydantic objects: store what JSON holds, as the completed run does.
    return json.loads(json.dumps(items, default=str))


class RunProgress:
    def __init__(
        self,
        task_id: int,
        *,
        owner: str,
        prefix: list[Any],
        input: str | list[TResponseInputItem] | None,
    ) -> None:
        self.task_id = task_id
        self.owner = owner
        self.items: list[Any] | None = (
            None if input is None else [*prefix, *ItemHelpers.input_to_new_input_list(input)]
        )
        self._saved = len(self.items) if self.items is not None else 0
        self.saves = 0

    def track(self, event: StreamEvent) -> None:
        """Adds a streamed item (message, reasoning, tool call or result) to the history."""
        if self.items is None or not isinstance(event, RunItemStreamEvent):
            return
        to_input = getattr(event.item, "to_input_item", None)
        if to_input is None:
            return
        try:
            self.items.append(to_input())
        except Exception:
            logger.debug("Task %s: item %r kept out of the history", self.task_id, event.item)

    def save(self, *, settled: bool) -> None:
        """Queues a write of the history if it grew and ``settled`` (no call without result).

        The write goes with the process's next group transaction, guarded by the lease; the run
        does not wait for it (a later save or the run's end writes a newer history anyway)."""
        if self.items is None or not settled or len(self.items) == self._saved:
            return
        self._saved = len(self.items)
        write = EventWrite(
            task_id=self.task_id,
            # A resumed run replays this history in full: a Responses API id from before it
            # would make the server hold a different conversation.
            updates={"history": _plain(self.items), "previous_response_id": ""},
            guard=run_guard(self.owner),
        )
        get_writer().submit(write).add_done_callback(self._done)
        self.saves += 1

    def _done(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            logger.warning(
                "History of task %s not saved", self.task_id, exc_info=future.exception()
            )
