"""The offline model's to-do plans and how it ticks them off.

A plan is fixed per ticket category (its module in ``categories/``) when the run starts. The
board (which to-do has which id and status) is read back from the add_todos result and the
set_todo_status calls made since, so each turn only emits the status changes still missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tasks.agents.providers.offline.transcript import Transcript
from tasks.agents.providers.offline.types import PlannedCall

# A plan step: its key (what the engine ticks off) and the to-do text.
Step = tuple[str, str]
# The steps every ticket plan starts and ends with; each category adds its own between them.
LOOKUP: Step = ("lookup", "Look up the customer and recent orders")
REPLY: Step = ("reply", "Reply to the customer")
WRAPUP: Step = ("wrapup", "Leave an internal note and set the ticket status")
FREE_TEXT_PLAN: tuple[Step, ...] = (
    ("understand", "Understand the request"),
    ("search", "Search the knowledge base"),
    ("answer", "Write the answer"),
)


@dataclass(frozen=True)
class TodoBoard:
    """To-do ids and current statuses by plan key, as the tools last reported them."""

    ids: dict[str, int]
    statuses: dict[str, str]

    @classmethod
    def read(cls, transcript: Transcript, plan: Sequence[Step]) -> TodoBoard:
        added = transcript.latest("add_todos")
        todos = added.result.get("todos") if added is not None and added.ok else None
        if not isinstance(todos, list):
            return cls({}, {})
        ids: dict[str, int] = {}
        statuses: dict[str, str] = {}
        for (plan_key, _), todo in zip(plan, todos, strict=False):
            if isinstance(todo, dict) and isinstance(todo.get("id"), int):
                ids[plan_key] = todo["id"]
                statuses[plan_key] = str(todo.get("status", "pending"))
        by_id = {todo_id: key for key, todo_id in ids.items()}
        for exchange in transcript.calls("set_todo_status"):
            todo_id = exchange.arguments.get("todo_id")
            key = by_id.get(todo_id) if isinstance(todo_id, int) else None
            if key is not None and exchange.error is None:
                statuses[key] = str(exchange.arguments.get("status"))
        return cls(ids, statuses)

    def move(self, target: dict[str, str]) -> list[PlannedCall]:
        """set_todo_status calls that bring the board to ``target`` (plan order kept)."""
        return [
            PlannedCall("set_todo_status", {"todo_id": self.ids[key], "status": status})
            for key, status in target.items()
            if key in self.ids and self.statuses.get(key) != status
        ]


def add_todos_call(plan: Sequence[Step]) -> PlannedCall:
    return PlannedCall("add_todos", {"texts": [text for _, text in plan]})
