"""What the ticket page shows: the thread merged with the change history, the customer's
orders, the agent's recent tasks and the action forms. A fixed number of queries however long
the thread is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from tasks.forms import AssignForm, MessageForm, StatusForm
from tasks.models import Ticket, TicketChange, TicketMessage
from tasks.selectors import (
    staff_users,
    ticket_change_list,
    ticket_recent_tasks,
    ticket_thread,
)
from tools_app.selectors import order_list_for_customer

RECENT_ORDERS = 10
RECENT_TASKS = 5

STATUS_LABELS = dict(Ticket.Status.choices)


@dataclass(frozen=True)
class ThreadEntry:
    """One line of the ticket's history: a message, or a change of status or assignee."""

    at: datetime
    message: TicketMessage | None = None
    change: TicketChange | None = None
    # Who wrote the message, as shown in the thread.
    author: str = ""

    @property
    def is_change(self) -> bool:
        return self.change is not None

    @property
    def change_text(self) -> str:
        change = self.change
        if change is None:
            return ""
        if change.field == TicketChange.Field.STATUS:
            old = STATUS_LABELS.get(change.old_value, change.old_value)
            new = STATUS_LABELS.get(change.new_value, change.new_value)
            return f"changed the status from {old} to {new}"
        if not change.new_value:
            return f"unassigned the ticket (was {change.old_value})"
        if change.actor is not None and change.actor.get_username() == change.new_value:
            return "took the ticket"
        return f"assigned the ticket to {change.new_value}"

    @property
    def change_actor(self) -> str:
        change = self.change
        if change is None:
            return ""
        if change.actor is not None:
            return change.actor.get_username()
        return "AI agent" if change.task_id else "System"


def thread_entries(
    ticket: Ticket, messages: list[TicketMessage], changes: list[TicketChange]
) -> list[ThreadEntry]:
    """Messages and changes in time order; at the same instant a message comes first (a reply
    that opens a ticket reads before the status change it caused)."""
    entries = [
        ThreadEntry(at=m.created_at, message=m, author=message_author(ticket, m)) for m in messages
    ]
    entries += [ThreadEntry(at=c.created_at, change=c) for c in changes]
    return sorted(entries, key=lambda e: (e.at, e.is_change))


def message_author(ticket: Ticket, message: TicketMessage) -> str:
    if message.author_kind == TicketMessage.AuthorKind.AGENT:
        return "AI agent"
    if message.author is not None:
        # Usernames, as in the assignee lists and the change history.
        return message.author.get_username()
    if message.author_kind == TicketMessage.AuthorKind.CUSTOMER:
        return ticket.customer.name if ticket.customer else ticket.requester_email or "Customer"
    return message.get_author_kind_display()


def agent_panel_context(ticket: Ticket) -> dict[str, Any]:
    """What ``tasks/partials/agent_panel.html`` shows: the ticket's recent tasks, newest first
    (the page, an htmx start and a live push all show the same)."""
    tasks = ticket_recent_tasks(ticket_id=ticket.pk, limit=RECENT_TASKS)
    return {"ticket": ticket, "tasks": tasks, "latest_task": tasks[0] if tasks else None}


def ticket_orders(ticket: Ticket) -> list[Any]:
    """The customer's recent orders, as the ticket page lists them."""
    if not ticket.customer_id:
        return []
    return list(order_list_for_customer(customer_id=ticket.customer_id, limit=RECENT_ORDERS))


def ticket_page_context(
    *,
    ticket: Ticket,
    user: AbstractBaseUser,
    forms: dict[str, Any] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """The context of ``tasks/ticket_detail.html`` and its partials. ``forms`` replaces the
    fresh forms with bound ones carrying errors (and the text the person typed)."""
    messages = list(ticket_thread(ticket_id=ticket.pk))
    changes = list(ticket_change_list(ticket_id=ticket.pk))
    orders = ticket_orders(ticket)
    context: dict[str, Any] = {
        **agent_panel_context(ticket),
        "thread": thread_entries(ticket, messages, changes),
        "message_count": len(messages),
        "orders": orders,
        "staff_users": list(staff_users()),
        "status_choices": Ticket.Status.choices,
        "reply_form": MessageForm(),
        "note_form": MessageForm(),
        "status_form": StatusForm(initial={"status": ticket.status}),
        "assign_form": AssignForm(acting_user=user),
        "notice": notice,
    }
    context.update(forms or {})
    return context
