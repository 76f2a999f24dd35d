"""What an agent task does to its ticket: reply, note, status. Thin id-based entry points over
the ticket services, idempotent per tool call (a repeated call writes nothing new)."""

from __future__ import annotations

from tasks.models import Task, Ticket, TicketMessage
from tasks.services.tickets import (
    ticket_add_note,
    ticket_escalate,
    ticket_reply,
    ticket_set_status,
)
from tools_app.errors import ApplicationError

AGENT_STATUSES = ("open", "pending", "solved")
AGENT_STATUS_INVALID = "The agent can set a ticket to open, pending or solved only."


def task_call_key(*, task_id: int, run_number: int, call_id: str) -> str:
    """The idempotency key of one tool call of one run of a task (call ids repeat across runs
    with some providers: a follow-up's reply must not be taken for an earlier run's)."""
    return f"task-{task_id}-run-{run_number}-call-{call_id}"


def _load(task_id: int, ticket_id: int) -> tuple[Task, Ticket]:
    return Task.objects.get(pk=task_id), Ticket.objects.get(pk=ticket_id)


def task_reply_to_customer(
    *, task_id: int, ticket_id: int, body: str, call_id: str, run_number: int = 1
) -> TicketMessage:
    """The agent's reply on the ticket thread, visible to the customer."""
    task, ticket = _load(task_id, ticket_id)
    return ticket_reply(
        ticket=ticket,
        body=body,
        author_kind=TicketMessage.AuthorKind.AGENT,
        task=task,
        idempotency_key=task_call_key(task_id=task_id, run_number=run_number, call_id=call_id),
    )


def task_add_internal_note(
    *, task_id: int, ticket_id: int, body: str, call_id: str, run_number: int = 1
) -> TicketMessage:
    """The agent's internal note on the ticket, for staff only."""
    task, ticket = _load(task_id, ticket_id)
    return ticket_add_note(
        ticket=ticket,
        body=body,
        author_kind=TicketMessage.AuthorKind.AGENT,
        task=task,
        idempotency_key=task_call_key(task_id=task_id, run_number=run_number, call_id=call_id),
    )


def task_set_ticket_status(*, task_id: int, ticket_id: int, status: str) -> Ticket:
    """Sets the ticket's status (open, pending or solved: closing is for people)."""
    if status not in AGENT_STATUSES:
        raise ApplicationError(AGENT_STATUS_INVALID, {"field": "status", "value": status})
    task, ticket = _load(task_id, ticket_id)
    return ticket_set_status(ticket=ticket, status=status, task=task)


def task_escalate_ticket(*, task_id: int, ticket_id: int, queue: str, reason: str) -> Ticket:
    """The agent hands its ticket to people (a queue, with the reason)."""
    task, ticket = _load(task_id, ticket_id)
    return ticket_escalate(ticket=ticket, queue=queue, reason=reason, task=task)
