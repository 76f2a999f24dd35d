"""The offline model's to-do plans and how it ticks them off.

A plan is fixed per ticket category when the run starts. The board (which to-do has which id and
status) is read back from the add_todos result and the set_todo_status calls made since, so each
turn only emits the status changes still missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from tasks.agents.providers.offline_transcript import Transcript
from tasks.agents.providers.offline_types import PlannedCall

LOOKUP = ("lookup", "Look up the customer and recent orders")
REPLY = ("reply", "Reply to the customer")
WRAPUP = ("wrapup", "Leave an internal note and set the ticket status")

PLANS: dict[str, list[tuple[str, str]]] = {
    "billing": [
        LOOKUP,
        ("policy", "Read the billing runbook and refund policy"),
        ("investigate", "Check the charges for duplicates"),
        ("act", "Refund the duplicate charge (needs approval)"),
        REPLY,
        WRAPUP,
    ],
    "refund": [
        LOOKUP,
        ("policy", "Read the refund runbook and refund policy"),
        ("investigate", "Check the order against the refund window, limit and status"),
        ("act", "Refund the order if the policy allows it (needs approval)"),
        REPLY,
        WRAPUP,
    ],
    "shipping": [
        LOOKUP,
        ("policy", "Read the shipping runbook and policy"),
        ("investigate", "Check the shipping dates against the expected delivery"),
        REPLY,
        WRAPUP,
    ],
    "damaged_item": [
        LOOKUP,
        ("policy", "Read the damaged-item runbook and policy"),
        ("investigate", "Find the order and decide replacement or refund"),
        REPLY,
        WRAPUP,
    ],
    "account_access": [
        LOOKUP,
        ("policy", "Read the account security policy"),
        ("investigate", "Work out what must be verified before any account change"),
        REPLY,
        WRAPUP,
    ],
    "bug_report": [
        LOOKUP,
        ("policy", "Read the bug-report runbook and search for a known issue"),
        ("investigate", "Extract the reproduction steps and match them to known issues"),
        ("act", "Write a bug summary for engineering (if it is not a known issue)"),
        REPLY,
        WRAPUP,
    ],
    "how_to": [
        LOOKUP,
        ("policy", "Search the knowledge base for the answer"),
        ("investigate", "Read the guide that answers the question"),
        REPLY,
        WRAPUP,
    ],
    "invoice": [
        LOOKUP,
        ("policy", "Read the invoice runbook"),
        ("investigate", "Collect the order and invoice details"),
        REPLY,
        WRAPUP,
    ],
    "other": [
        LOOKUP,
        ("policy", "Read the runbook and search the knowledge base"),
        ("investigate", "Work out what the customer needs"),
        REPLY,
        WRAPUP,
    ],
}
FREE_TEXT_PLAN = [
    ("understand", "Understand the request"),
    ("search", "Search the knowledge base"),
    ("answer", "Write the answer"),
]


def plan_for(category: str) -> list[tuple[str, str]]:
    return PLANS.get(category, PLANS["other"])


@dataclass(frozen=True)
class TodoBoard:
    """To-do ids and current statuses by plan key, as the tools last reported them."""

    ids: dict[str, int]
    statuses: dict[str, str]

    @classmethod
    def read(cls, transcript: Transcript, plan: list[tuple[str, str]]) -> TodoBoard:
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


def add_todos_call(plan: list[tuple[str, str]]) -> PlannedCall:
    return PlannedCall("add_todos", {"texts": [text for _, text in plan]})
