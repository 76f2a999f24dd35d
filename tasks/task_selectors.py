"""Reads over agent tasks: one task with what its panel shows, tasks by id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from tasks.events import TaskEventType
from tasks.models import ApprovalRequest, Task, TaskEvent, TaskSpan, TicketMessage, Todo
from tasks.services.usage import model_price
from tools_app.errors import ApplicationError

TASK_NOT_FOUND = "No task with that id."
TIMELINE_LIMIT = 400
# Shown elsewhere on the panel (the checklist, the token counter), not as timeline entries.
_NOT_IN_TIMELINE = {
    TaskEventType.TODO_ADDED,
    TaskEventType.TODO_UPDATED,
    TaskEventType.USAGE_UPDATED,
}
_STATUS_TITLES = {
    TaskEventType.TASK_CREATED: "Task queued",
    TaskEventType.TASK_STARTED: "Agent started",
    TaskEventType.TASK_COMPLETED: "Completed",
    TaskEventType.TASK_FAILED: "Failed",
    TaskEventType.TASK_CANCELLED: "Cancelled",
}


def task_get(*, task_id: int) -> Task:
    task = Task.objects.select_related("ticket", "ticket__customer").filter(pk=task_id).first()
    if task is None:
        raise ApplicationError(TASK_NOT_FOUND, {"field": "task_id", "value": task_id})
    return task


def task_todos(*, task_id: int) -> QuerySet[Todo]:
    return Todo.objects.filter(task_id=task_id).order_by("position")


def task_pending_approvals(*, task_id: int) -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(
        task_id=task_id, status=ApprovalRequest.Status.PENDING
    ).order_by("id")


@dataclass
class TimelineEntry:
    kind: str
    title: str
    at: datetime
    detail: str = ""
    is_error: bool = False
    output: Any = None
    # The seq of the entry's first event (its stable id on the page) and of its latest (a tool
    # call's result), so a live update can tell a newer rendering from an older one.
    seq: int = 0
    version: int = 0
    # A tool call whose result (or error) came back.
    finished: bool = False
    # A tool call paused for a person's approval (until it is decided).
    awaiting_approval: bool = False
    # How long a tool call took (milliseconds), when the run measured it.
    duration_ms: float | None = None
    # The specialist that made a tool call (empty: the support agent).
    agent: str = ""


def _arguments_text(arguments: Any) -> str:
    if isinstance(arguments, dict):
        parts = [
            f"{k}={v!r}" if not isinstance(v, list) else f"{k}=[…{len(v)}]"
            for k, v in arguments.items()
        ]
        text = ", ".join(parts)
    else:
        text = str(arguments)
    return text if len(text) <= 120 else text[:119] + "…"


def _mark_call(
    calls: dict[str, TimelineEntry], data: dict[str, Any], seq: int, *, awaiting: bool
) -> None:
    """A paused call waits for a person's approval (its line says so, not "running") until the
    request is decided; the line's version moves on so a live update replaces it."""
    entry = calls.get(str(data.get("call_id")))
    if entry is not None and not entry.finished:
        entry.awaiting_approval, entry.version = awaiting, seq


def timeline_entries(events: list[TaskEvent]) -> list[TimelineEntry]:
    """The events as a person reads them: a tool call and its result are one entry."""
    entries: list[TimelineEntry] = []
    calls: dict[str, TimelineEntry] = {}
    for event in events:
        data, kind = event.data or {}, event.type
        if kind in _NOT_IN_TIMELINE:
            continue
        count = len(entries)
        if kind == TaskEventType.TOOL_CALLED:
            entry = TimelineEntry(
                "tool",
                f"{data.get('name')}({_arguments_text(data.get('arguments'))})",
                event.created_at,
                agent=str(data.get("agent") or ""),
            )
            calls[str(data.get("call_id"))] = entry
            entries.append(entry)
        elif kind in (TaskEventType.TOOL_RETURNED, TaskEventType.TOOL_FAILED):
            found = calls.get(str(data.get("call_id")))
            if found is None:
                found = TimelineEntry("tool", str(data.get("name")), event.created_at)
                entries.append(found)
            entry = found
            failed = kind == TaskEventType.TOOL_FAILED
            entry.detail = str(data.get("error") if failed else data.get("summary", ""))
            entry.is_error, entry.output = failed, data.get("output")
            entry.finished, entry.version = True, event.seq
            took = data.get("duration_ms")
            entry.duration_ms = float(took) if isinstance(took, int | float) else None
        elif kind == TaskEventType.REASONING_COMPLETED:
            entries.append(
                TimelineEntry("reasoning", "Thinking", event.created_at, str(data.get("text", "")))
            )
        elif kind == TaskEventType.MESSAGE_COMPLETED:
            entries.append(
                TimelineEntry("message", "Agent", event.created_at, str(data.get("text", "")))
            )
        elif kind == TaskEventType.APPROVAL_REQUESTED:
            _mark_call(calls, data, event.seq, awaiting=True)
            entries.append(
                TimelineEntry(
                    "approval", "Approval requested", event.created_at, str(data.get("summary", ""))
                )
            )
        elif kind == TaskEventType.APPROVAL_DECIDED:
            _mark_call(calls, data, event.seq, awaiting=False)
            title = f"Approval {data.get('status', 'decided')}"
            entries.append(
                TimelineEntry("approval", title, event.created_at, str(data.get("note", "") or ""))
            )
        elif kind == TaskEventType.TASK_STATUS_CHANGED:
            entries.append(_status_entry(event))
        elif kind == TaskEventType.AGENT_HANDOFF:
            entries.append(
                TimelineEntry(
                    "handoff",
                    f"Handed to the {str(data.get('to', 'specialist')).lower()}",
                    event.created_at,
                    f"from the {str(data.get('from', 'support agent')).lower()}",
                )
            )
        elif kind == TaskEventType.GUARDRAIL_TRIPPED:
            entries.append(
                TimelineEntry(
                    "guardrail",
                    GUARDRAIL_TITLES.get(
                        str(data.get("guardrail", "")), "Guardrail: marked for review"
                    ),
                    event.created_at,
                    str(data.get("reason", "")),
                    is_error=True,
                )
            )
        elif kind == TaskEventType.TASK_STARTED:
            # Each start (a first run, a resume, a follow-up, a retry) opens a block of its own.
            entries.append(TimelineEntry("start", "Agent started", event.created_at))
        else:
            entries.append(
                TimelineEntry(
                    "status",
                    _STATUS_TITLES.get(kind, kind),
                    event.created_at,
                    str(data.get("error", "")),
                    is_error=kind == TaskEventType.TASK_FAILED,
                )
            )
        if len(entries) > count:
            entries[-1].seq = entries[-1].version = event.seq
    return entries


def _status_entry(event: TaskEvent) -> TimelineEntry:
    data = event.data or {}
    if data.get("follow_up"):
        return TimelineEntry(
            "follow_up", "Follow-up from staff", event.created_at, str(data["follow_up"])
        )
    if data.get("cancel_requested"):
        return TimelineEntry(
            "status",
            "Cancel requested",
            event.created_at,
            "The agent stops after its current step.",
        )
    status = str(data.get("status", "")).replace("_", " ")
    detail = str(data.get("reason", "") or "")
    return TimelineEntry("status", f"Status: {status}", event.created_at, detail)


@dataclass
class TaskPanel:
    """Everything the task panel shows, read in a fixed number of queries."""

    task: Task
    todos: list[Todo]
    timeline: list[TimelineEntry]
    approvals: list[ApprovalRequest] = field(default_factory=list)

    @property
    def todos_done(self) -> int:
        return sum(t.status in (Todo.Status.DONE, Todo.Status.SKIPPED) for t in self.todos)

    @property
    def progress(self) -> int:
        return round(100 * self.todos_done / len(self.todos)) if self.todos else 0

    @property
    def total_tokens(self) -> int:
        return self.task.input_tokens + self.task.output_tokens

    @property
    def is_offline_model(self) -> bool:
        return self.task.model == settings.OFFLINE_MODEL_NAME

    @property
    def price_known(self) -> bool:
        return model_price(self.task.model) is not None

    @property
    def can_cancel(self) -> bool:
        return self.task.is_active and not (
            self.task.status == Task.Status.RUNNING and self.task.cancel_requested
        )

    @property
    def can_retry(self) -> bool:
        return self.task.status in (Task.Status.FAILED, Task.Status.CANCELLED)

    @property
    def can_follow_up(self) -> bool:
        return self.task.status == Task.Status.COMPLETED

    @property
    def is_live(self) -> bool:
        return self.task.status in (Task.Status.QUEUED, Task.Status.RUNNING)


def task_panel(*, task: Task) -> TaskPanel:
    # Up to the task's last_seq as read with it: the page then says which seq it shows, and a
    # live client catches up from there without a duplicate (tasks.live).
    events = list(
        TaskEvent.objects.filter(task_id=task.pk, seq__lte=task.last_seq)
        .exclude(type__in=_NOT_IN_TIMELINE)
        .order_by("-seq")[:TIMELINE_LIMIT]
    )
    events.reverse()
    return TaskPanel(
        task=task,
        todos=list(task_todos(task_id=task.pk)),
        timeline=timeline_entries(events),
        approvals=list(task_pending_approvals(task_id=task.pk)),
    )


TRACE_LIMIT = 2000


def task_trace_spans(*, task_id: int, limit: int = TRACE_LIMIT) -> list[TaskSpan]:
    """A task's trace spans, oldest first (every start of the task is a trace of its own)."""
    return list(TaskSpan.objects.filter(task_id=task_id).order_by("started_at", "id")[:limit])


GUARDRAIL_TITLES = {
    "prompt_injection": "Input guardrail: marked for review",
    "customer_reply": "Output guardrail: reply held",
}


def task_customer_texts(*, task: Task) -> list[tuple[str, str]]:
    """What the customer wrote that the agent will read, as ``(where, text)``: the ticket
    (subject and body) and every later customer message of its thread (one query)."""
    ticket = task.ticket
    if ticket is None:
        return []
    texts = [("ticket", f"{ticket.subject}\n{ticket.body}")]
    later = (
        TicketMessage.objects.filter(
            ticket_id=ticket.pk, author_kind=TicketMessage.AuthorKind.CUSTOMER, is_internal=False
        )
        .exclude(body=ticket.body)
        .order_by("created_at", "id")
        .values_list("body", flat=True)
    )
    texts.extend(("customer's later message", body) for body in later)
    return texts
