"""How a worker's run of a task ends: completed, failed, cancelled, or paused for approval.

Each transition is guarded by ``status=running`` and the worker's lease: a worker that lost its
task (lease expired, another worker took it) records nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tasks.events import TaskEventType, events_publish_on_commit, events_store
from tasks.models import ApprovalRequest, Task

# Format version of ``Task.run_state`` (the SDK's ``RunState.to_json()`` as a JSON string).
RUN_STATE_VERSION = 1


@dataclass(frozen=True)
class ApprovalSpec:
    """One tool call the run paused on."""

    tool_name: str
    call_id: str
    arguments: dict[str, Any]
    summary: str
    reason: str


def _owned(task_id: int, owner: str):
    return Task.objects.filter(pk=task_id, status=Task.Status.RUNNING, lease_owner=owner)


def _finish(task_id: int, events: list[tuple[str, dict[str, Any]]], updates: dict[str, Any]):
    stored = events_store(task_id=task_id, events=events, task_updates=updates)
    events_publish_on_commit(stored)


@transaction.atomic
def task_finish_completed(
    *,
    task_id: int,
    owner: str,
    final_output: str,
    history: list[Any],
    previous_response_id: str,
) -> bool:
    """Stores the final output and the conversation (for follow-ups); ``task.completed``."""
    if not _owned(task_id, owner).select_for_update().exists():
        return False
    now = timezone.now()
    _finish(
        task_id,
        [(TaskEventType.TASK_COMPLETED, {"status": "completed", "final_output": final_output})],
        {
            "status": Task.Status.COMPLETED,
            "final_output": final_output,
            "history": history,
            "previous_response_id": previous_response_id or "",
            "run_state": "",
            "finished_at": now,
            "lease_owner": "",
            "lease_expires_at": None,
            "cancel_requested": False,
            "updated_at": now,
        },
    )
    return True


@transaction.atomic
def task_finish_failed(*, task_id: int, owner: str, reason: str) -> bool:
    """Records a readable failure reason; Retry re-queues the task."""
    if not _owned(task_id, owner).select_for_update().exists():
        return False
    now = timezone.now()
    _finish(
        task_id,
        [(TaskEventType.TASK_FAILED, {"status": "failed", "error": reason})],
        {
            "status": Task.Status.FAILED,
            "error": reason,
            "finished_at": now,
            "lease_owner": "",
            "lease_expires_at": None,
            "updated_at": now,
        },
    )
    return True


@transaction.atomic
def task_finish_cancelled(*, task_id: int, owner: str) -> bool:
    """The run stopped after a turn because staff cancelled it."""
    if not _owned(task_id, owner).select_for_update().exists():
        return False
    now = timezone.now()
    _finish(
        task_id,
        [(TaskEventType.TASK_CANCELLED, {"status": "cancelled"})],
        {
            "status": Task.Status.CANCELLED,
            "finished_at": now,
            "lease_owner": "",
            "lease_expires_at": None,
            "updated_at": now,
        },
    )
    return True


@transaction.atomic
def task_finish_awaiting_approval(
    *, task_id: int, owner: str, run_state: dict[str, Any], approvals: list[ApprovalSpec]
) -> list[ApprovalRequest]:
    """Pauses the task: one ``ApprovalRequest`` per pending tool call, the SDK run state saved
    for the resume, status ``awaiting_approval``. Returns the requests ([] if not owned)."""
    if not _owned(task_id, owner).select_for_update().exists():
        return []
    now = timezone.now()
    expires = now + timedelta(hours=settings.APPROVAL_EXPIRY_HOURS)
    requests = []
    for spec in approvals:
        request, _ = ApprovalRequest.objects.get_or_create(
            task_id=task_id,
            call_id=spec.call_id,
            defaults={
                "tool_name": spec.tool_name,
                "arguments": spec.arguments,
                "summary": spec.summary[:300],
                "reason": spec.reason,
                "expires_at": expires,
            },
        )
        requests.append(request)
    events: list[tuple[str, dict[str, Any]]] = [
        (
            TaskEventType.APPROVAL_REQUESTED,
            {
                "approval_id": r.pk,
                "tool_name": r.tool_name,
                "call_id": r.call_id,
                "arguments": r.arguments,
                "summary": r.summary,
                "reason": r.reason,
            },
        )
        for r in requests
    ]
    events.append(
        (
            TaskEventType.TASK_STATUS_CHANGED,
            {"status": "awaiting_approval", "approvals": [r.pk for r in requests]},
        )
    )
    _finish(
        task_id,
        events,
        {
            "status": Task.Status.AWAITING_APPROVAL,
            "run_state": json.dumps(run_state),
            "run_state_version": RUN_STATE_VERSION,
            "lease_owner": "",
            "lease_expires_at": None,
            "updated_at": now,
        },
    )
    return requests


@transaction.atomic
def task_release(*, task_id: int, owner: str) -> bool:
    """A worker shutting down hands its running task back to the queue."""
    if not _owned(task_id, owner).update(
        status=Task.Status.QUEUED, lease_owner="", lease_expires_at=None
    ):
        return False
    _finish(
        task_id,
        [(TaskEventType.TASK_STATUS_CHANGED, {"status": "queued", "reason": "worker stopped"})],
        {},
    )
    return True
