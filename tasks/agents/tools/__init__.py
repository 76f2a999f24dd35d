"""The support agent's tools, in the order the model is given them, and how calls that need a
person's approval become requests. The tools over the business systems live in
``tools_app.agent_tools``; the ones over tickets, to-dos and approvals here.

Every tool returns a JSON string; a business failure or bad input is
``{"error": "<readable message>", "field": "<arg at fault>"}`` and the run goes on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from agents import FunctionTool

from tasks.agents.tools.refunds import issue_refund, prepare_refund, refund_action
from tasks.agents.tools.tickets import (
    add_internal_note,
    escalate_to_human,
    get_ticket_thread,
    prepare_reply,
    reply_action,
    reply_to_customer,
    search_tickets,
    set_ticket_status,
)
from tasks.agents.tools.todos import TODO_TOOL_NAMES, add_todos, set_todo_status
from tasks.services.approval_actions import Action, PreparedAction
from tools_app.agent_tools.base import tool_error_formatter
from tools_app.agent_tools.context import SupportContext
from tools_app.agent_tools.customers import get_order, lookup_customer
from tools_app.agent_tools.knowledge import (
    get_runbook,
    read_document,
    search_knowledge_base,
    search_policies,
    write_document,
)
from tools_app.registry import ALL_TOOLSETS, BILLING, TECHNICAL, Risk, register, tools_for

REFUND_PERMISSION = "tasks.start_refund_work"
KNOWLEDGE_PERMISSION = "tools_app.add_article"

# The registry (tools_app.registry), in the order the model is given the tools. A new tool is
# one line here: the agents of its toolsets get it, and the admin lists it (after migrate).
# Toolsets: "support" (every support agent: reading the systems, the plan, the reply, the note,
# the status, escalation), "billing" (money: the billing specialist) and "technical" (writing
# the knowledge base: the technical specialist). Without specialists, one agent has all three.
REGISTRY: list[tuple[FunctionTool, Risk, dict[str, Any]]] = [
    (add_todos, Risk.WRITE, {"required": True}),
    (set_todo_status, Risk.WRITE, {"required": True}),
    (lookup_customer, Risk.READ, {}),
    (get_order, Risk.READ, {}),
    (get_ticket_thread, Risk.READ, {"needs_ticket": True}),
    (search_tickets, Risk.READ, {}),
    (get_runbook, Risk.READ, {}),
    (search_knowledge_base, Risk.READ, {}),
    (search_policies, Risk.READ, {}),
    (read_document, Risk.READ, {}),
    (
        write_document,
        Risk.WRITE,
        {"permission": KNOWLEDGE_PERMISSION, "toolsets": (TECHNICAL,)},
    ),
    (reply_to_customer, Risk.WRITE, {"required": True}),
    (add_internal_note, Risk.WRITE, {"required": True}),
    (set_ticket_status, Risk.WRITE, {"required": True}),
    (escalate_to_human, Risk.WRITE, {"needs_ticket": True}),
    (
        issue_refund,
        Risk.MONEY,
        {
            "permission": REFUND_PERMISSION,
            "needs_ticket": True,
            "categories_setting": "REFUND_CATEGORIES",
            "toolsets": (BILLING,),
        },
    ),
]
for tool, risk, options in REGISTRY:
    register(tool, risk, **options)

SUPPORT_TOOLS = tools_for(*ALL_TOOLSETS)

# How a paused call becomes an approval request: what it covers, its digest, how it reads.
# Raises ``ApplicationError`` for a call that may not be put before a person.
APPROVAL_PREPARERS: dict[
    str, Callable[[SupportContext, dict[str, Any]], Awaitable[PreparedAction]]
] = {
    "issue_refund": prepare_refund,
    "reply_to_customer": prepare_reply,
}
# The action a call would take, canonical, without any policy check: what resume matches a
# paused call's decision by.
APPROVAL_ACTIONS: dict[str, Callable[[SupportContext, dict[str, Any]], Awaitable[Action]]] = {
    "issue_refund": refund_action,
    "reply_to_customer": reply_action,
}

__all__ = [
    "APPROVAL_ACTIONS",
    "APPROVAL_PREPARERS",
    "KNOWLEDGE_PERMISSION",
    "REFUND_PERMISSION",
    "SUPPORT_TOOLS",
    "TODO_TOOL_NAMES",
    "tool_error_formatter",
]
