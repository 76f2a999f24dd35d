"""One factory per task event type (as Saleor's ``giftcard/events.py`` has one per gift-card
event): each builds the event with its data, in one shape wherever it is caused.

A factory returns an ``EventSpec`` (type, data) rather than a stored row: events of a task are
numbered and stored together with the task-row change that causes them, in one guarded write
(``tasks.events.events_store`` / ``EventWrite``), so a batch gets contiguous ``seq``s and a
crash stores all of it or none. Events that change the task's status carry
``data["status"]``."""

from __future__ import annotations

from typing import Any

from tasks.events import EventSpec, TaskEventType
from tasks.models import ApprovalRequest, Task, Todo

E = TaskEventType


# --- the task's life ----------------------------------------------------------------------


def task_created_event(task: Task, *, ticket_number: int | None) -> EventSpec:
    return E.TASK_CREATED, {
        "status": task.status,
        "title": task.title,
        "ticket_number": ticket_number,
        "model": task.model,
    }


def task_started_event(*, worker: str) -> EventSpec:
    return E.TASK_STARTED, {"status": Task.Status.RUNNING, "worker": worker}


def task_queued_event(*, reason: str, **details: Any) -> EventSpec:
    """Back in the queue: a resume, a retry, a follow-up, a worker that stopped."""
    return E.TASK_STATUS_CHANGED, {"status": Task.Status.QUEUED, "reason": reason, **details}


def task_awaiting_approval_event(*, approval_ids: list[int]) -> EventSpec:
    return E.TASK_STATUS_CHANGED, {
        "status": Task.Status.AWAITING_APPROVAL,
        "approvals": approval_ids,
    }


def task_cancel_requested_event(*, by: int | None) -> EventSpec:
    return E.TASK_STATUS_CHANGED, {
        "status": Task.Status.RUNNING,
        "cancel_requested": True,
        "by": by,
    }


def task_completed_event(*, final_output: str) -> EventSpec:
    return E.TASK_COMPLETED, {"status": Task.Status.COMPLETED, "final_output": final_output}


def task_failed_event(*, error: str) -> EventSpec:
    return E.TASK_FAILED, {"status": Task.Status.FAILED, "error": error}


def task_cancelled_event(*, by: int | None = None) -> EventSpec:
    data: dict[str, Any] = {"status": Task.Status.CANCELLED}
    if by is not None:
        data["by"] = by
    return E.TASK_CANCELLED, data


# --- the plan -----------------------------------------------------------------------------


def todo_data(todo: Todo) -> dict[str, Any]:
    return {"id": todo.pk, "position": todo.position, "text": todo.text, "status": todo.status}


def todo_added_event(todo: Todo) -> EventSpec:
    return E.TODO_ADDED, todo_data(todo)


def todo_updated_event(todo: Todo) -> EventSpec:
    return E.TODO_UPDATED, todo_data(todo)


# --- the run ------------------------------------------------------------------------------


def tool_called_event(*, name: str, call_id: str, arguments: Any, agent: str = "") -> EventSpec:
    """A tool call; ``agent``: the specialist that made it (empty: the support agent)."""
    data = {"name": name, "call_id": call_id, "arguments": arguments}
    if agent:
        data["agent"] = agent
    return E.TOOL_CALLED, data


def agent_handoff_event(*, from_agent: str, to_agent: str) -> EventSpec:
    """The run handed the case from one agent to another (a specialist), who goes on with it."""
    return E.AGENT_HANDOFF, {"from": from_agent, "to": to_agent}


def tool_returned_event(
    *, name: str, call_id: str, summary: str, output: Any, duration_ms: float | None = None
) -> EventSpec:
    data = {"name": name, "call_id": call_id, "summary": summary, "output": output}
    if duration_ms is not None:
        data["duration_ms"] = duration_ms
    return E.TOOL_RETURNED, data


def tool_failed_event(
    *,
    name: str,
    call_id: str,
    error: str,
    field: Any,
    output: Any,
    duration_ms: float | None = None,
) -> EventSpec:
    data = {"name": name, "call_id": call_id, "error": error, "field": field, "output": output}
    if duration_ms is not None:
        data["duration_ms"] = duration_ms
    return E.TOOL_FAILED, data


def reasoning_completed_event(*, text: str) -> EventSpec:
    return E.REASONING_COMPLETED, {"text": text}


def message_completed_event(*, text: str) -> EventSpec:
    return E.MESSAGE_COMPLETED, {"text": text}


def usage_updated_event(*, input_tokens: int, output_tokens: int, cost: Any) -> EventSpec:
    return E.USAGE_UPDATED, {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
        "cost": str(cost),
    }


def message_delta_event(*, delta: str) -> EventSpec:
    """Live only: published as it streams, never stored."""
    return E.MESSAGE_DELTA, {"delta": delta}


def reasoning_delta_event(*, delta: str) -> EventSpec:
    """Live only: published as it streams, never stored."""
    return E.REASONING_DELTA, {"delta": delta}


# --- approvals ----------------------------------------------------------------------------


def approval_requested_event(request: ApprovalRequest) -> EventSpec:
    return E.APPROVAL_REQUESTED, {
        "approval_id": request.pk,
        "tool_name": request.tool_name,
        "call_id": request.call_id,
        "arguments": request.arguments,
        "action": request.action,
        "digest": request.digest,
        "summary": request.summary,
        "reason": request.reason,
    }


def approval_decided_event(
    approval: ApprovalRequest, *, decided_by: str | None, note: str
) -> EventSpec:
    return E.APPROVAL_DECIDED, {
        "approval_id": approval.pk,
        "call_id": approval.call_id,
        "tool_name": approval.tool_name,
        "summary": approval.summary,
        "status": approval.status,
        "decided_by": decided_by,
        "decided_at": approval.decided_at.isoformat() if approval.decided_at else None,
        "note": note,
    }


def guardrail_tripped_event(*, guardrail: str, reason: str, tools_off: list[str]) -> EventSpec:
    """A guardrail tripped and the task is marked for review: the input guardrail flagged what
    the customer wrote (the run goes on without ``tools_off``), or the output guardrail held a
    reply (the model hears why and may rewrite it)."""
    return E.GUARDRAIL_TRIPPED, {"guardrail": guardrail, "reason": reason, "tools_off": tools_off}
