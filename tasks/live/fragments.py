"""The HTML a websocket push carries: the same template partials the pages render, with
``hx-swap-oob`` and stable ids, rendered once per batch of events for everyone watching.

One call renders a batch of one task's events (in seq order). Timeline lines come from the
events themselves; the parts that show state (status, to-dos, usage, result, actions) are read
from the database once for the batch and attached to its last event: a burst of events costs
one rendering of each part, and the last rendering is always of the newest state."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tasks.approval_selectors import task_approvals_context
from tasks.context_processors import agentdesk as model_context
from tasks.dashboard_selectors import (
    DashboardRow,
    dashboard_approvals,
    dashboard_counts,
    dashboard_rows,
    dashboard_version,
)
from tasks.events import TaskEventType
from tasks.models import Task, TaskEvent, Ticket
from tasks.presentation.ticket_page import agent_panel_context, thread_entries, ticket_orders
from tasks.selectors import ticket_change_list, ticket_changed_by_task, ticket_thread
from tasks.task_selectors import TaskPanel, task_todos, timeline_entries

logger = logging.getLogger(__name__)

PANEL = "tasks/partials/task_panel.html"
AGENT_PANEL = "tasks/partials/agent_panel.html"
APPROVALS = "tasks/partials/task_approvals.html"
DASHBOARD = "tasks/dashboard.html"
TICKET = "tasks/ticket_detail.html"

Message = dict[str, Any]

# Events after which the task's status line, result, actions and approvals may have changed.
STATUS_EVENTS = frozenset(
    {
        TaskEventType.TASK_CREATED,
        TaskEventType.TASK_STARTED,
        TaskEventType.TASK_STATUS_CHANGED,
        TaskEventType.TASK_COMPLETED,
        TaskEventType.TASK_FAILED,
        TaskEventType.TASK_CANCELLED,
        TaskEventType.APPROVAL_REQUESTED,
        TaskEventType.APPROVAL_DECIDED,
    }
)
TODO_EVENTS = frozenset({TaskEventType.TODO_ADDED, TaskEventType.TODO_UPDATED})
RESULT_EVENTS = frozenset({TaskEventType.TOOL_RETURNED, TaskEventType.TOOL_FAILED})
# Events that change a tool call's line: its result, and the approval it waits for.
CALL_UPDATES = RESULT_EVENTS | {TaskEventType.APPROVAL_REQUESTED, TaskEventType.APPROVAL_DECIDED}
# A completed text ends what the stream box was showing.
STREAM_ENDS = frozenset({TaskEventType.MESSAGE_COMPLETED, TaskEventType.REASONING_COMPLETED})
END_EVENTS = frozenset(
    {TaskEventType.TASK_COMPLETED, TaskEventType.TASK_FAILED, TaskEventType.TASK_CANCELLED}
)


def event_of(message: Message) -> TaskEvent:
    """An unsaved ``TaskEvent`` from a group message, for the selectors that read events."""
    created = message.get("created_at")
    return TaskEvent(
        task_id=message["task_id"],
        seq=message["seq"],
        type=message["event"],
        data=message.get("data") or {},
        created_at=(parse_datetime(created) if isinstance(created, str) else None)
        or timezone.now(),
    )


def _partial(name: str, context: dict[str, Any]) -> str:
    return render_to_string(f"{PANEL}#{name}", {**context, "oob": True})


# --- the task panel -----------------------------------------------------------------------------


def _earlier_calls(task_id: int, events: list[TaskEvent]) -> list[TaskEvent]:
    """The ``tool.called`` events of results and approvals in this batch whose call came in an
    earlier one (their line on the page is rendered again)."""
    called = {e.data.get("call_id") for e in events if e.type == TaskEventType.TOOL_CALLED}
    missing = {
        str(e.data.get("call_id"))
        for e in events
        if e.type in CALL_UPDATES and e.data.get("call_id") not in called
    }
    if not missing:
        return []
    return list(
        TaskEvent.objects.filter(
            task_id=task_id,
            type=TaskEventType.TOOL_CALLED,
            seq__lt=events[0].seq,
            data__call_id__in=sorted(missing),
        ).order_by("seq")
    )


def task_fragments(task: Task, messages: Sequence[Message]) -> list[str]:
    """The panel fragments of a batch of ``task``'s stored events, one string per message.

    A timeline line is rendered at the first event of the batch that touches it (a call
    and its result in one batch make one line, in call order); a result whose call came
    earlier replaces the line already on the page."""
    events = [event_of(m) for m in messages]
    html = [""] * len(events)
    position = {event.seq: index for index, event in enumerate(events)}
    context = {"task": task}
    for entry in timeline_entries(_earlier_calls(task.pk, events) + events):
        index = position.get(entry.seq, position.get(entry.version))
        if index is not None:
            html[index] += _partial("entry", {**context, "entry": entry})
    for index, event in enumerate(events):
        if event.type in STREAM_ENDS:
            html[index] += _partial("stream", context)
    html[-1] += task_state_fragments(task, {e.type for e in events})
    return html


def task_state_fragments(task: Task, types: set[str]) -> str:
    """The parts of the panel that show the task's state and that ``types`` changed."""
    status = bool(types & STATUS_EVENTS)
    todos = bool(types & TODO_EVENTS)
    if not (status or todos or TaskEventType.USAGE_UPDATED in types):
        return ""
    panel = TaskPanel(
        task=task, todos=list(task_todos(task_id=task.pk)) if todos else [], timeline=[]
    )
    context = {"task": task, "panel": panel}
    parts = []
    if status:
        parts += [_partial(name, context) for name in ("head", "error", "output", "actions")]
        parts.append(approvals_fragment(task))
    if todos:
        parts.append(_partial("todos", context))
    parts.append(_partial("usage", context))
    return "".join(parts)


def approvals_fragment(task: Task) -> str:
    """The task's approval requests (as the approvals partial shows them without a user:
    the "Decide in admin" link is for approvers, and a push is the same for everyone)."""

    try:
        return render_to_string(APPROVALS, {**task_approvals_context(task=task), "oob": True})
    except Exception:  # the rest of the panel still updates
        logger.exception("Rendering the approvals of task %s failed", task.pk)
        return ""


# --- the dashboard ------------------------------------------------------------------------------


def dashboard_row_fragment(row: DashboardRow) -> str:
    return render_to_string(f"{DASHBOARD}#row", {"row": row, "oob": True})


def dashboard_summary_fragments() -> str:
    """Counts by status and the pending approvals, stamped with when they were read."""
    version = dashboard_version()
    approvals, total = dashboard_approvals()
    context = {
        "oob": True,
        "board": {
            "counts": dashboard_counts(),
            "approvals": approvals,
            "approvals_total": total,
            "version": version,
        },
    }
    return render_to_string(f"{DASHBOARD}#counts", context) + render_to_string(
        f"{DASHBOARD}#approvals", context
    )


def dashboard_fragments(batches: dict[int, list[Message]]) -> dict[int, str]:
    """For each task with events in the batch, its row (read once); plus the counts and
    approvals when a status changed, on the last task's key."""
    rows = dashboard_rows(task_ids=batches)
    html = {task_id: "" for task_id in batches}
    for task_id, row in rows.items():
        html[task_id] = dashboard_row_fragment(row)
    if any(m["event"] in STATUS_EVENTS for batch in batches.values() for m in batch):
        last = next(reversed(batches))
        html[last] += dashboard_summary_fragments()
    return html


# --- the ticket page ----------------------------------------------------------------------------


def agent_panel_fragment(ticket: Ticket) -> str:
    """The ticket page's agent panel, for a task started anywhere (a bulk start, the API)."""

    context = {
        **model_context(None),  # type: ignore[arg-type]
        **agent_panel_context(ticket),
        "oob": True,
    }
    return render_to_string(AGENT_PANEL, context)


def ticket_thread_fragments(ticket: Ticket) -> str:
    """The ticket page's header, thread, status and orders, after the agent wrote to the ticket
    (a reply, a note, a status) or refunded one of its customer's orders."""

    messages = list(ticket_thread(ticket_id=ticket.pk))
    changes = list(ticket_change_list(ticket_id=ticket.pk))
    context = {
        "ticket": ticket,
        "thread": thread_entries(ticket, messages, changes),
        "message_count": len(messages),
        "status_choices": Ticket.Status.choices,
        # A refund the agent made shows on the order at once, not after a reload.
        "orders": ticket_orders(ticket),
        "oob": True,
    }
    # The status <select> rather than the whole properties card: the card differs per viewer
    # ("Assign to me"), the select does not.
    return "".join(
        render_to_string(f"{TICKET}#{name}", context)
        for name in ("header", "thread", "status_select", "orders")
    )


def may_change_ticket_page(message: Message) -> bool:
    """Whether the event may come with a change of the ticket page outside the agent panel:
    the end of a task, or a tool's result (``ticket_page_changed`` says whether it did)."""
    return message["event"] in END_EVENTS or message["event"] == TaskEventType.TOOL_RETURNED


def ticket_page_changed(task_id: int, batch: Sequence[Message]) -> bool:
    """Whether the ticket page changed with ``batch`` (a task's events, in seq order): at the
    end of a task, or when the task wrote to its ticket since the event before the batch
    (its ``TicketMessage``, ``TicketChange`` and ``Refund`` rows say so, whichever tool wrote
    them)."""
    if any(m["event"] in END_EVENTS for m in batch):
        return True
    first = min(m["seq"] for m in batch)
    return ticket_changed_by_task(task_id=task_id, after_seq=first - 1)
