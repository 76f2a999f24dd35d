"""The copilot's tools: read-only answers from the data, and delegation that returns at once.

Reads: tickets (search and counts with the backlog's filters), one ticket, a customer, a task's
status, the refunds waiting for approval. Delegation: start investigations (one or many
tickets), start a free-text task, cancel, retry, follow up; each returns as soon as the task is
queued, and the task becomes a live card in the conversation. The copilot never approves: the
approvals tool lists what waits and where approvers decide.

Every call acts as the staff member who owns the conversation (taken from the run context,
never from the model's arguments), with the same services, limits and errors as the portal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents import RunContextWrapper
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.urls import reverse

from tasks.copilot.db import db
from tasks.copilot_events import cards_added
from tasks.copilot_selectors import (
    CREATED_RANGES,
    copilot_tickets,
    latest_task,
    pending_approvals,
    task_for_copilot,
    ticket_by_number,
)
from tasks.dashboard_selectors import dashboard_rows
from tasks.models import ApprovalRequest, Task, Ticket
from tasks.services.conversations import delegation_add
from tasks.services.task_lifecycle import task_cancel, task_follow_up, task_retry
from tasks.services.task_start import task_bulk_start, task_start_free_text
from tools_app.agent_tools.base import support_tool
from tools_app.errors import ApplicationError
from tools_app.selectors import customer_find, customer_list, order_list_for_customer

SEARCH_LIMIT = 25
FINAL_OUTPUT_CHARS = 600

UNKNOWN_VALUE = "Unknown {field} {value!r}; use one of: {choices}."
TICKET_UNKNOWN = "No ticket #{number}."
TASK_UNKNOWN = "No task found for {what}."
WHICH_TASK = "Say which task: a task_id or a ticket_number."
NO_NUMBERS = "Give at least one ticket number."
TOO_MANY = (
    "That would start {count} investigations; one request may start at most {limit}. "
    "Narrow it down (a category, a priority, today's tickets) or start them in parts."
)
CUSTOMER_UNKNOWN = "No customer matches {query!r}."
OWNER_INACTIVE = "The staff member this conversation belongs to is no longer active staff."


@dataclass
class CopilotContext:
    """Who the copilot works for and where its answer goes."""

    user_id: int
    conversation_id: int
    answer_id: int | None = None
    # Tasks delegated during this answer (cards to show).
    delegated: list[int] = field(default_factory=list)


def _user(user_id: int) -> Any:
    """The conversation's owner, who every delegation acts as; no longer active: refused."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).first()
    if user is None:
        raise ApplicationError(OWNER_INACTIVE, {"field": None})
    return user


def _check(field_name: str, value: str, choices: list[str] | tuple[str, ...]) -> str:
    value = (value or "").strip().lower()
    if value and value not in choices:
        raise ApplicationError(
            UNKNOWN_VALUE.format(field=field_name, value=value, choices=", ".join(choices)),
            {"field": field_name},
        )
    return value


def _task_url(task: Task) -> str:
    return reverse("tasks:task_detail", args=[task.pk])


def _ticket_brief(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "category": ticket.category,
        "priority": ticket.priority,
        "customer": ticket.customer.name if ticket.customer is not None else None,
        "created_at": ticket.created_at.isoformat(),
    }


def task_briefs(tasks: list[Task]) -> list[dict[str, Any]]:
    """What the copilot is told about tasks: status, to-do progress (counted as on the
    dashboard), outcome and pending approvals, in two queries however many tasks."""
    rows = dashboard_rows(task_ids=[task.pk for task in tasks])
    pending: dict[int, list[dict[str, Any]]] = {}
    for approval in ApprovalRequest.objects.filter(
        task__in=tasks, status=ApprovalRequest.Status.PENDING
    ).order_by("created_at", "id"):
        pending.setdefault(approval.task_id, []).append(
            {"approval_id": approval.pk, "summary": approval.summary}
        )
    briefs = []
    for task in tasks:
        row = rows.get(task.pk)
        brief: dict[str, Any] = {
            "task_id": task.pk,
            "title": task.title,
            "status": task.status,
            "ticket_number": task.ticket.number if task.ticket is not None else None,
            "todos_done": row.todo_done if row is not None else 0,
            "todos_total": row.todo_total if row is not None else 0,
            "url": _task_url(task),
        }
        if task.status == Task.Status.COMPLETED and task.final_output:
            brief["final_output"] = task.final_output[:FINAL_OUTPUT_CHARS]
        if task.error:
            brief["error"] = task.error
        if task.pk in pending:
            brief["pending_approvals"] = pending[task.pk]
        briefs.append(brief)
    return briefs


def task_brief(task: Task) -> dict[str, Any]:
    return task_briefs([task])[0]


# --- reads -------------------------------------------------------------------------------------


def _filters(status: str, category: str, priority: str, created: str) -> dict[str, str]:
    return {
        "status": _check("status", status, ["active", *Ticket.Status.values]),
        "category": _check("category", category, Ticket.Category.values),
        "priority": _check("priority", priority, Ticket.Priority.values),
        "created": _check("created", created, CREATED_RANGES),
    }


def _search(filters: dict[str, str], query: str) -> dict[str, Any]:
    qs = copilot_tickets(q=(query or "").strip()[:200], **filters)
    tickets = list(qs[: SEARCH_LIMIT + 1])
    return {
        "filters": {k: v for k, v in {**filters, "query": query}.items() if v},
        "count": qs.count() if len(tickets) > SEARCH_LIMIT else len(tickets),
        "tickets": [_ticket_brief(t) for t in tickets[:SEARCH_LIMIT]],
    }


@support_tool
async def search_tickets(
    ctx: RunContextWrapper[CopilotContext],
    status: str = "",
    category: str = "",
    priority: str = "",
    created: str = "",
    query: str = "",
) -> dict[str, Any]:
    """Find tickets in the backlog. Every filter is optional.

    Args:
        status: "active" (new, open or pending), or one of new, open, pending, solved, closed.
        category: billing, refund, shipping, damaged_item, account_access, bug_report, how_to,
            invoice or other.
        priority: low, normal, high or urgent.
        created: today, yesterday, last_7_days or this_week.
        query: words that must appear in the subject, body or customer, or a ticket number.
    """
    filters = _filters(status, category, priority, created)
    return await db(_search)(filters, query)


def _counts(filters: dict[str, str], query: str) -> dict[str, Any]:
    qs = copilot_tickets(q=(query or "").strip()[:200], **{**filters, "status": ""})
    counts = {status: 0 for status in Ticket.Status.values}
    # One grouped query, however large the backlog.
    for row in qs.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    counts_active = sum(counts[s] for s in Ticket.ACTIVE_STATUSES)
    return {
        "filters": {k: v for k, v in {**filters, "query": query}.items() if v},
        "by_status": counts,
        "active": counts_active,
        "total": sum(counts.values()),
    }


@support_tool
async def count_tickets(
    ctx: RunContextWrapper[CopilotContext],
    category: str = "",
    priority: str = "",
    created: str = "",
    query: str = "",
) -> dict[str, Any]:
    """Count tickets by status (new, open, pending, solved, closed; "active" sums the first
    three), with the same optional filters as search_tickets."""
    filters = _filters("", category, priority, created)
    return await db(_counts)(filters, query)


def _ticket(number: int) -> dict[str, Any]:
    ticket = ticket_by_number(number=number)
    if ticket is None:
        raise ApplicationError(TICKET_UNKNOWN.format(number=number), {"field": "number"})
    result: dict[str, Any] = {
        "ticket": {
            **_ticket_brief(ticket),
            "body": ticket.body[:1000],
            "assignee": ticket.assignee.get_username() if ticket.assignee is not None else None,
            "url": reverse("tasks:ticket_detail", args=[ticket.number]),
        }
    }
    task = latest_task(ticket_id=ticket.pk)
    result["latest_task"] = task_brief(task) if task is not None else None
    return result


@support_tool
async def get_ticket(ctx: RunContextWrapper[CopilotContext], number: int) -> dict[str, Any]:
    """One ticket: its subject, body, status, customer and the latest task on it."""
    return await db(_ticket)(number)


def _customer(query: str) -> dict[str, Any]:
    query = query.strip()[:200]
    customer = customer_find(query=query) or (
        customer_list(search=query).first() if query else None
    )
    if customer is None:
        raise ApplicationError(CUSTOMER_UNKNOWN.format(query=query), {"field": "query"})
    orders = order_list_for_customer(customer_id=customer.pk, limit=10)
    tickets = Ticket.objects.filter(customer=customer).order_by("-created_at")[:10]
    return {
        "customer": {
            "name": customer.name,
            "email": customer.email,
            "plan": customer.plan,
        },
        "orders": [
            {
                "number": o.number,
                "description": o.description,
                "amount": str(o.amount),
                "currency": o.currency,
                "status": o.status,
            }
            for o in orders
        ],
        "tickets": [_ticket_brief(t) for t in tickets],
    }


@support_tool
async def find_customer(ctx: RunContextWrapper[CopilotContext], query: str) -> dict[str, Any]:
    """A customer by email, username or name, with their latest orders and tickets."""
    return await db(_customer)(query)


def _task(task_id: int | None, ticket_number: int | None) -> Task:
    if task_id is None and ticket_number is None:
        raise ApplicationError(WHICH_TASK, {"field": "task_id"})
    task = task_for_copilot(task_id=task_id, ticket_number=ticket_number)
    if task is None:
        what = f"task {task_id}" if task_id is not None else f"ticket #{ticket_number}"
        field_name = "task_id" if task_id is not None else "ticket_number"
        raise ApplicationError(TASK_UNKNOWN.format(what=what), {"field": field_name})
    return task


@support_tool
async def get_task(
    ctx: RunContextWrapper[CopilotContext],
    task_id: int | None = None,
    ticket_number: int | None = None,
) -> dict[str, Any]:
    """A task's status, to-do progress, outcome and pending approvals, by task id or by ticket
    number (its latest task)."""
    return await db(lambda: {"task": task_brief(_task(task_id, ticket_number))})()


def _approvals() -> dict[str, Any]:
    pending = pending_approvals()
    return {
        "count": pending.count,
        "total_amount": str(pending.total),
        "currencies": sorted(pending.currencies),
        "approvals": [
            {
                "approval_id": a.pk,
                "summary": a.summary,
                "task_id": a.task_id,
                "ticket_number": a.task.ticket.number if a.task.ticket is not None else None,
                "waiting_since": a.created_at.isoformat(),
            }
            for a in pending.items
        ],
        "reply_drafts_waiting": pending.reply_drafts,
        "decide_at": reverse("admin:tasks_approvalrequest_changelist") + "?status__exact=pending",
        "note": "Approvers decide in the admin; the copilot cannot approve or reject.",
    }


@support_tool
async def list_pending_approvals(ctx: RunContextWrapper[CopilotContext]) -> dict[str, Any]:
    """Refund requests waiting for a person: how many, the total amount, the oldest ones, and
    where approvers decide them."""
    return await db(_approvals)()


# --- delegation ------------------------------------------------------------------------------


async def _delegated(ctx: RunContextWrapper[CopilotContext], tasks: list[Task]) -> None:
    context = ctx.context

    def record() -> list[int]:
        for task in tasks:
            delegation_add(
                conversation_id=context.conversation_id, task=task, message_id=context.answer_id
            )
        return [task.pk for task in tasks]

    ids = await db(record)()
    context.delegated.extend(i for i in ids if i not in context.delegated)
    await cards_added(conversation_id=context.conversation_id, task_ids=ids)


def _start(user_id: int, numbers: list[int]) -> tuple[dict[str, Any], list[Task]]:
    numbers = list(dict.fromkeys(numbers))
    if not numbers:
        raise ApplicationError(NO_NUMBERS, {"field": "ticket_numbers"})
    limit = settings.COPILOT_MAX_STARTS
    if len(numbers) > limit:
        raise ApplicationError(
            TOO_MANY.format(count=len(numbers), limit=limit),
            {"field": "ticket_numbers", "limit": limit},
        )
    result = task_bulk_start(numbers=numbers, user=_user(user_id))
    briefs = task_briefs([*result.started, *result.already_running])
    brief = {
        "started": briefs[: len(result.started)],
        "already_running": briefs[len(result.started) :],
        "not_started": [{"ticket_number": n, "reason": reason} for n, reason in result.skipped],
    }
    return brief, [*result.started, *result.already_running]


@support_tool
async def start_investigations(
    ctx: RunContextWrapper[CopilotContext], ticket_numbers: list[int]
) -> dict[str, Any]:
    """Start an investigation (a background task) on each ticket. Returns at once: which
    started, which already had a task running, and which could not start and why (unknown,
    closed or solved tickets)."""
    brief, tasks = await db(_start)(ctx.context.user_id, ticket_numbers)
    await _delegated(ctx, tasks)
    return brief


@support_tool
async def start_task(ctx: RunContextWrapper[CopilotContext], instructions: str) -> dict[str, Any]:
    """Start a free-text background task (for example: draft a runbook from last week's
    tickets). Returns at once."""

    def start() -> Task:
        return task_start_free_text(text=instructions, user=_user(ctx.context.user_id))

    task = await db(start)()
    await _delegated(ctx, [task])
    return {"started": await db(task_brief)(task)}


def _act(
    action: str, user_id: int, task_id: int | None, ticket_number: int | None, text: str = ""
) -> Task:
    task = _task(task_id, ticket_number)
    user = _user(user_id)
    if action == "cancel":
        return task_cancel(task=task, user=user)
    if action == "retry":
        return task_retry(task=task, user=user)
    return task_follow_up(task=task, text=text, user=user)


async def _task_action(
    ctx: RunContextWrapper[CopilotContext],
    action: str,
    task_id: int | None,
    ticket_number: int | None,
    text: str = "",
) -> dict[str, Any]:
    task = await db(_act)(action, ctx.context.user_id, task_id, ticket_number, text)
    await _delegated(ctx, [task])
    return {"task": await db(task_brief)(task)}


@support_tool
async def cancel_task(
    ctx: RunContextWrapper[CopilotContext],
    task_id: int | None = None,
    ticket_number: int | None = None,
) -> dict[str, Any]:
    """Cancel a task (by id, or the latest task of a ticket): queued or waiting at once,
    running after its current step."""
    return await _task_action(ctx, "cancel", task_id, ticket_number)


@support_tool
async def retry_task(
    ctx: RunContextWrapper[CopilotContext],
    task_id: int | None = None,
    ticket_number: int | None = None,
) -> dict[str, Any]:
    """Queue a failed or cancelled task again."""
    return await _task_action(ctx, "retry", task_id, ticket_number)


@support_tool
async def follow_up_task(
    ctx: RunContextWrapper[CopilotContext],
    text: str,
    task_id: int | None = None,
    ticket_number: int | None = None,
) -> dict[str, Any]:
    """Send a follow-up message to a completed task; it continues the same conversation."""
    return await _task_action(ctx, "follow_up", task_id, ticket_number, text)


COPILOT_TOOLS = [
    search_tickets,
    count_tickets,
    get_ticket,
    find_customer,
    get_task,
    list_pending_approvals,
    start_investigations,
    start_task,
    cancel_task,
    retry_task,
    follow_up_task,
]
