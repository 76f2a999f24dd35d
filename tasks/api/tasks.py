"""Task endpoints: start a task (for a ticket or from free text), read its state and events,
cancel, retry and follow up. Writes go through the task services; a refused action is a 400
with the field at fault (the shared ``ApplicationError`` handler)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import P, PathEx, Query, Router, Status

from tasks.api.auth import api_user
from tasks.api.common import ERROR_SHAPES, MAX_ID, error_responses, not_found
from tasks.api.task_schemas import (
    EventPage,
    EventParams,
    FollowUpIn,
    TaskDetailOut,
    TaskIn,
    TraceResponse,
)
from tasks.api.tickets import ticket_or_404
from tasks.events import event_list
from tasks.models import Task
from tasks.presentation.trace import trace_blocks
from tasks.services.task_lifecycle import task_cancel, task_follow_up, task_retry
from tasks.services.task_start import task_start_for_ticket, task_start_free_text
from tasks.task_selectors import task_get, task_trace_spans
from tools_app.errors import ApplicationError

router = Router(tags=["tasks"])

TASK_INPUT_CHOICE = "Give either ticket_number or input, not both."

TaskId = PathEx[int, P(ge=1, le=MAX_ID, description="The task id.")]


def _task(task_id: int) -> Task:
    try:
        return task_get(task_id=task_id)
    except ApplicationError as exc:
        raise not_found("task", task_id) from exc


def _detail(task: Task) -> Task:
    """The task reloaded (with its ticket) after an action changed it."""
    return _task(task.pk)


@router.post(
    "",
    response={201: TaskDetailOut, 200: TaskDetailOut, **error_responses(400, 401, 403, 404)},
    operation_id="createTask",
    summary="Start a task",
    description="Queues an agent task and returns at once (201). With `ticket_number` the "
    "agent investigates that ticket; if the ticket already has a queued, running or waiting "
    "task, that task is returned instead (200). A closed or solved ticket is refused (400). "
    "With `input` (and no ticket) the text is the agent's request.\n" + ERROR_SHAPES,
)
def task_create(request: HttpRequest, payload: TaskIn) -> Status[Task]:
    user = api_user(request)
    if (payload.ticket_number is None) == (payload.input is None):
        raise ApplicationError(TASK_INPUT_CHOICE, {"field": None})
    if payload.ticket_number is not None:
        ticket = ticket_or_404(payload.ticket_number)
        task, created = task_start_for_ticket(ticket=ticket, user=user)
        return Status(201 if created else 200, _detail(task))
    task = task_start_free_text(text=payload.input or "", user=user)
    return Status(201, _detail(task))


@router.get(
    "/{task_id}",
    response={200: TaskDetailOut, **error_responses(400, 401, 403, 404)},
    operation_id="getTask",
    summary="Get a task",
    description="Status, to-dos, token usage and cost, final output, error and pending "
    "approvals of one task.\n" + ERROR_SHAPES,
)
def task_detail(request: HttpRequest, task_id: TaskId) -> Task:
    return _task(task_id)


@router.get(
    "/{task_id}/events",
    response={200: EventPage, **error_responses(400, 401, 403, 404)},
    operation_id="getTaskEvents",
    summary="Get a task's events",
    description="Stored events after `after_seq`, oldest first: a client that saw event N "
    "asks for `after_seq=N` and misses nothing. Streaming deltas are live only (websocket) "
    "and never listed.\n" + ERROR_SHAPES,
)
def task_events(
    request: HttpRequest, task_id: TaskId, params: Query[EventParams]
) -> dict[str, Any]:
    task = _task(task_id)
    events = list(event_list(task_id=task.pk, after_seq=params.after_seq, limit=params.limit))
    return {"task_id": task.pk, "last_seq": task.last_seq, "results": events}


@router.get(
    "/{task_id}/trace",
    response={200: TraceResponse, **error_responses(400, 401, 403, 404)},
    operation_id="getTaskTrace",
    summary="Get a task's trace",
    description="The spans its runs recorded (the run, turns, the agent, model calls with "
    "latency, time to first token, tokens and cost, tool calls with arguments and result, "
    "approval waits, guardrails, handoffs), one trace per start of the task.\n" + ERROR_SHAPES,
)
def task_trace(request: HttpRequest, task_id: TaskId) -> dict[str, Any]:
    task = _task(task_id)
    blocks = trace_blocks(task_trace_spans(task_id=task.pk))
    return {
        "task_id": task.pk,
        "traces": [
            {
                "trace_id": block.trace_id,
                "run_number": block.run_number,
                "started_at": block.started_at,
                "duration_ms": block.duration_ms,
                "spans": [
                    {
                        "span_id": row.span.span_id,
                        "parent_id": row.span.parent_id,
                        "kind": row.span.kind,
                        "name": row.span.name,
                        "started_at": row.span.started_at,
                        "ended_at": row.span.ended_at,
                        "duration_ms": row.span.duration_ms,
                        "offset_ms": row.offset_ms,
                        "depth": row.depth,
                        "data": row.span.data or {},
                        "error": row.span.error,
                    }
                    for row in block.rows
                ],
            }
            for block in blocks
        ],
    }


@router.post(
    "/{task_id}/cancel",
    response={200: TaskDetailOut, **error_responses(400, 401, 403, 404)},
    operation_id="cancelTask",
    summary="Cancel a task",
    description="A queued or waiting task is cancelled at once; a running one stops after "
    "its current turn (`cancel_requested`). A finished task is refused (400).\n" + ERROR_SHAPES,
)
def task_cancel_endpoint(request: HttpRequest, task_id: TaskId) -> Task:
    return _detail(task_cancel(task=_task(task_id), user=api_user(request)))


@router.post(
    "/{task_id}/retry",
    response={200: TaskDetailOut, **error_responses(400, 401, 403, 404)},
    operation_id="retryTask",
    summary="Retry a task",
    description="Queues a failed or cancelled task again with its error cleared; any other "
    "status is refused (400).\n" + ERROR_SHAPES,
)
def task_retry_endpoint(request: HttpRequest, task_id: TaskId) -> Task:
    return _detail(task_retry(task=_task(task_id), user=api_user(request)))


@router.post(
    "/{task_id}/follow-up",
    response={200: TaskDetailOut, **error_responses(400, 401, 403, 404)},
    operation_id="followUpTask",
    summary="Send a follow-up",
    description="Staff's message to a completed task: the agent continues the same "
    "conversation. A task that is still working (or failed: retry it) is refused (400).\n"
    + ERROR_SHAPES,
)
def task_follow_up_endpoint(request: HttpRequest, task_id: TaskId, payload: FollowUpIn) -> Task:
    task = task_follow_up(task=_task(task_id), text=payload.text, user=api_user(request))
    return _detail(task)
