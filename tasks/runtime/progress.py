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
the lease owner: it rides on the run's event batch of that boundary (``EventRecorder``), whose
guard keeps a worker that lost its task from writing anything. A run resumed from a saved state
(approval) does not save history: that state is its record until the run ends.

A reply or note posted in the last moments before a worker died is in the ticket thread but not
in the saved history: a replayed turn (with new call ids, as OpenAI's models make) would post it
again. ``with_posted_messages`` puts the calls that posted them back into the history, with
their results, so the model sees what it already did."""

from __future__ import annotations

import json
import logging
from typing import Any

from agents import ItemHelpers
from agents.items import TResponseInputItem
from agents.stream_events import RunItemStreamEvent, StreamEvent

from tasks.agents.tools.tickets import message_call_items
from tasks.models import Task, TicketMessage

logger = logging.getLogger(__name__)


def plain(item: Any) -> Any:
    # Items may hold SDK/pydantic objects: store what JSON holds, as the completed run does.
    return json.loads(json.dumps(item, default=str))


class RunProgress:
    def __init__(
        self,
        task_id: int,
        *,
        prefix: list[Any],
        input: str | list[TResponseInputItem] | None,
    ) -> None:
        self.task_id = task_id
        self.items: list[Any] | None = (
            None
            if input is None
            else [*prefix, *map(plain, ItemHelpers.input_to_new_input_list(input))]
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
            # Each item is made plain once, when it arrives, not the whole history every turn.
            self.items.append(plain(to_input()))
        except Exception:
            logger.debug("Task %s: item %r kept out of the history", self.task_id, event.item)

    def updates(self, *, settled: bool) -> dict[str, Any]:
        """The task fields that save the history, if it grew and is ``settled`` (no call
        without its result); else nothing. Handed to the run's next event batch."""
        if self.items is None or not settled or len(self.items) == self._saved:
            return {}
        self._saved = len(self.items)
        self.saves += 1
        # A resumed run replays this history in full: a Responses API id from before it
        # would make the server hold a different conversation.
        return {"history": list(self.items), "previous_response_id": ""}


def with_posted_messages(task: Task, posted: list[tuple[str, TicketMessage]]) -> list[Any]:
    """The task's saved history (or its input, if none was saved) plus the calls that posted
    ``posted`` (call id, message: the task's replies and notes) missing from it, oldest first,
    each followed by its result."""
    history = list(task.history or []) or ItemHelpers.input_to_new_input_list(task.input)
    recorded = {
        item.get("call_id")
        for item in history
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    }
    missing = [(call_id, message) for call_id, message in posted if call_id not in recorded]
    if not missing:
        return list(task.history or [])
    logger.info(
        "Task %s: the saved history lacked %d posted message(s); their calls are added back",
        task.pk,
        len(missing),
    )
    return [*history, *(item for call_id, m in missing for item in message_call_items(m, call_id))]
