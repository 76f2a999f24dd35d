"""The support agent's tools: thin async adapters over services and selectors.

Every tool returns a JSON string; a business failure or bad input is
``{"error": "<readable message>", "field": "<arg at fault>"}`` and the run goes on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tasks.agents.context import SupportContext
from tools_app.agent_tools.base import tool_error_formatter
from tools_app.agent_tools.customers import get_order, lookup_customer
from tools_app.agent_tools.knowledge import (
    get_runbook,
    read_document,
    search_knowledge_base,
    search_policies,
    write_document,
)
from tools_app.agent_tools.refunds import describe_refund, issue_refund
from tools_app.agent_tools.tickets import (
    add_internal_note,
    get_ticket_thread,
    reply_to_customer,
    search_tickets,
    set_ticket_status,
)
from tools_app.agent_tools.todos import TODO_TOOL_NAMES, add_todos, set_todo_status

SUPPORT_TOOLS = [
    add_todos,
    set_todo_status,
    lookup_customer,
    get_order,
    get_ticket_thread,
    search_tickets,
    get_runbook,
    search_knowledge_base,
    search_policies,
    read_document,
    write_document,
    reply_to_customer,
    add_internal_note,
    set_ticket_status,
    issue_refund,
]

# How to describe a paused call to an approver: ``(summary, reason)``.
APPROVAL_DESCRIBERS: dict[
    str, Callable[[SupportContext, dict[str, Any]], Awaitable[tuple[str, str]]]
] = {
    "issue_refund": describe_refund,
}

__all__ = [
    "APPROVAL_DESCRIBERS",
    "SUPPORT_TOOLS",
    "TODO_TOOL_NAMES",
    "tool_error_formatter",
]
