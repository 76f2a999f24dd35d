"""API schemas for agent tasks, their to-dos, events and actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema

from tasks.api.common import MAX_INT32, OneOf, SafeStr, choice_values
from tasks.models import ApprovalRequest, Task, Todo
from tasks.services.task_lifecycle import MAX_FOLLOW_UP
from tasks.services.task_start import MAX_FREE_TEXT
from tasks.task_selectors import task_pending_approvals, task_todos

TaskStatus = Annotated[str, OneOf(choice_values(Task.Status), "Task status.")]
TodoStatus = Annotated[str, OneOf(choice_values(Todo.Status), "To-do status.")]


class TaskIn(Schema):
    ticket_number: int | None = Field(
        None, ge=1, le=MAX_INT32, description="Investigate this ticket; or give `input`."
    )
    input: SafeStr | None = Field(
        None,
        min_length=1,
        max_length=MAX_FREE_TEXT,
        description="A free-text request with no ticket; or give `ticket_number`.",
    )


class FollowUpIn(Schema):
    text: SafeStr = Field(min_length=1, max_length=MAX_FOLLOW_UP)


class TodoOut(Schema):
    id: int
    position: int
    text: str
    status: TodoStatus


class UsageOut(Schema):
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost: str = Field(description="USD, from the price table (0 for an unknown model).")


class ApprovalOut(Schema):
    id: int
    tool_name: str
    call_id: str
    summary: str
    status: str


class TaskOut(Schema):
    id: int
    status: TaskStatus
    ticket_number: int | None
    title: str
    model: str
    created_at: datetime

    @staticmethod
    def resolve_ticket_number(task: Task) -> int | None:
        return task.ticket.number if task.ticket is not None else None


class TaskDetailOut(TaskOut):
    input: str
    final_output: str
    error: str
    cancel_requested: bool
    attempts: int
    last_seq: int = Field(description="The seq of the newest stored event.")
    started_at: datetime | None
    finished_at: datetime | None
    todos: list[TodoOut]
    usage: UsageOut
    pending_approvals: list[ApprovalOut]

    @staticmethod
    def resolve_todos(task: Task) -> list[Todo]:
        return list(task_todos(task_id=task.pk))

    @staticmethod
    def resolve_pending_approvals(task: Task) -> list[ApprovalRequest]:
        return list(task_pending_approvals(task_id=task.pk))

    @staticmethod
    def resolve_usage(task: Task) -> dict[str, Any]:
        return {
            "input_tokens": task.input_tokens,
            "output_tokens": task.output_tokens,
            "total_tokens": task.input_tokens + task.output_tokens,
            "cost": str(task.cost),
        }


class EventOut(Schema):
    seq: int
    type: str
    data: dict[str, Any]
    created_at: datetime


class EventPage(Schema):
    task_id: int
    last_seq: int
    results: list[EventOut]


class SpanOut(Schema):
    span_id: str
    parent_id: str = Field(description="The enclosing span's id; empty for a trace's top spans.")
    kind: str = Field(
        description="run, turn, agent, model, response, generation, tool, approval, "
        "guardrail, handoff or other."
    )
    name: str
    started_at: datetime
    ended_at: datetime
    duration_ms: float
    offset_ms: float = Field(description="Milliseconds from the start of its trace.")
    depth: int = Field(description="How deep it nests under its trace's top span.")
    data: dict[str, Any] = Field(
        description="Per kind: a model call's model, latency_ms, ttft_ms, input_tokens, "
        "output_tokens, cached_tokens and cost; a tool call's input and output; an approval "
        "wait's tool and decision."
    )
    error: dict[str, Any] | None


class TraceOut(Schema):
    trace_id: str
    run_number: int
    started_at: datetime
    duration_ms: float
    spans: list[SpanOut]


class TraceResponse(Schema):
    task_id: int
    traces: list[TraceOut] = Field(description="One per start of the task, oldest first.")


class EventParams(Schema):
    after_seq: int = Field(0, ge=0, le=MAX_INT32, description="Only events after this seq.")
    limit: int = Field(500, ge=1, le=1000, description="At most this many events.")
