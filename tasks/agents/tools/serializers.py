"""Compact dicts of tickets and their messages for agent tool results."""

from __future__ import annotations

from typing import Any

from tasks.models import Ticket, TicketMessage
from tools_app.agent_tools.serializers import iso


def ticket_dict(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "category": ticket.category,
        "priority": ticket.priority,
        "status": ticket.status,
        "created_at": iso(ticket.created_at),
    }


def message_dict(message: TicketMessage) -> dict[str, Any]:
    return {
        "author": message.author_kind,
        "internal": message.is_internal,
        "body": message.body,
        "created_at": iso(message.created_at),
    }
