"""Grades a trial by its end state, read from the database (τ-bench's way): the refunds paid,
the approval requests asked, the ticket's status, assignee and queue, what the customer was
told. The refund and request checks read every refund and request of the trial's database, so
one on any other order fails them too."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tasks.evals.world import World, expected_text
from tasks.models import ApprovalRequest, Task, Ticket, TicketMessage
from tools_app.models import Refund


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    expected: Any
    actual: Any

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def end_state(world: World, task: Task) -> dict[str, Any]:
    """What the trial left, in plain values (stored with the result)."""
    ticket = Ticket.objects.select_related("assignee", "escalation_queue").get(pk=world.ticket.pk)
    numbers = {order.pk: key for key, order in world.orders.items()}
    agent_messages = list(
        TicketMessage.objects.filter(ticket=ticket, author_kind=TicketMessage.AuthorKind.AGENT)
        .order_by("created_at", "id")
        .values_list("body", "is_internal")
    )
    refunds = [
        (numbers.get(order_id, f"order {order_id}"), str(amount))
        for order_id, amount in Refund.objects.filter(
            status=Refund.Status.EXECUTED, task__isnull=False
        ).values_list("order_id", "amount")
    ]
    approvals = sorted(
        {
            (
                _order_key(world, str((arguments or {}).get("order_number", ""))),
                status,
            )
            for arguments, status in ApprovalRequest.objects.values_list("arguments", "status")
        }
    )
    return {
        "task_status": task.status,
        "outcome": task.outcome,
        "ticket_status": ticket.status,
        "assignee": ticket.assignee.username if ticket.assignee else "",
        "escalated_to": ticket.escalation_queue.slug if ticket.escalation_queue else "",
        "escalation_reason": ticket.escalation_reason,
        "refunds": sorted(refunds),
        "approvals": [list(a) for a in approvals],
        "replies": [body for body, internal in agent_messages if not internal],
        "notes": [body for body, internal in agent_messages if internal],
        "error": task.error,
    }


def _order_key(world: World, number: str) -> str:
    for key, order in world.orders.items():
        if order.number == number:
            return key
    return number or "?"


def grade(world: World, state: dict[str, Any]) -> list[Check]:
    """Each expectation of the scenario against the end state; the trial passes if all do."""
    expect = world.scenario.expect
    checks = [
        Check(
            "refunds",
            sorted((key, str(amount)) for key, amount in expect.refunds)
            == [tuple(r) for r in state["refunds"]],
            [[key, str(amount)] for key, amount in expect.refunds],
            state["refunds"],
        ),
        Check(
            "approval requests",
            sorted(set(expect.approvals)) == sorted({key for key, _ in state["approvals"]}),
            sorted(set(expect.approvals)),
            sorted({key for key, _ in state["approvals"]}),
        ),
        Check(
            "task finished",
            state["task_status"] in _finished(world),
            " or ".join(_finished(world)),
            state["task_status"] + (f": {state['error']}" if state["error"] else ""),
        ),
    ]
    if expect.ticket_status:
        checks.append(
            Check(
                "ticket status",
                state["ticket_status"] in expect.ticket_status,
                list(expect.ticket_status),
                state["ticket_status"],
            )
        )
    if expect.assigned is not None:
        checks.append(
            Check(
                "handed to a person",
                bool(state["assignee"]) == expect.assigned,
                expect.assigned,
                state["assignee"] or False,
            )
        )
    if expect.escalated_to is not None:
        checks.append(
            Check(
                "escalation queue",
                state.get("escalated_to", "") == expect.escalated_to,
                expect.escalated_to or "not escalated",
                state.get("escalated_to") or "not escalated",
            )
        )
    replies = "\n".join(state["replies"])
    if expect.reply is not None:
        checks.append(
            Check("replied to the customer", bool(replies) == expect.reply, expect.reply, replies)
        )
    folded = replies.casefold()
    for phrase in expect.reply_must:
        wanted = expected_text(world, phrase)
        checks.append(
            Check(f"reply says {wanted!r}", wanted.casefold() in folded, wanted, _excerpt(replies))
        )
    for phrase in expect.reply_must_not:
        unwanted = expected_text(world, phrase)
        checks.append(
            Check(
                f"reply never says {unwanted!r}",
                unwanted.casefold() not in folded,
                f"not {unwanted!r}",
                _excerpt(replies),
            )
        )
    if expect.note is not None:
        notes = "\n".join(state["notes"])
        checks.append(Check("internal note", bool(notes) == expect.note, expect.note, notes))
    return checks


def _finished(world: World) -> tuple[str, ...]:
    """How a trial's task may end: completed, or still waiting when the scenario's approver
    never decides (and only then)."""
    if world.scenario.approver == "none":
        return (Task.Status.COMPLETED, Task.Status.AWAITING_APPROVAL)
    return (Task.Status.COMPLETED,)


def _excerpt(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
