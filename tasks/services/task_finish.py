"""How a worker's run of a task ends: completed, failed, cancelled, or paused for approval.

Each end is a write guarded by ``status=running`` and the worker's lease: a worker that lost its
task (lease expired, another worker took it) records nothing. The ``*_write`` builders give the
write itself, for the worker's group writer; ``task_finish_awaiting_approval`` and
``task_release`` apply theirs now."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tasks.event_factories import (
    approval_requested_event,
    task_awaiting_approval_event,
    task_cancelled_event,
    task_completed_event,
    task_failed_event,
    task_queued_event,
)
from tasks.events import (
    EventSpec,
    EventWrite,
    events_publish_on_commit,
    events_store,
    events_store_many,
)
from tasks.models import ApprovalRequest, Task
from tasks.services.approval_actions import PreparedAction
from tasks.services.autonomy import approvals_decide_by_policy
from tasks.services.task_outcome import completed_outcome_sql

# Format version of ``Task.run_state`` (the SDK's ``RunState.to_json()`` as a JSON string).
RUN_STATE_VERSION = 1
RELEASED = "The worker stopped; the task was put back in the queue."
ONE_REQUEST_PER_SUBJECT = (
    "Only one request per order can wait for a person's decision: ask for the whole amount in"
    " one call."
)
SUPERSEDED_NOTE = "superseded: the call was asked again with other arguments"


@dataclass(frozen=True)
class ApprovalSpec:
    """One tool call the run paused on, checked and stated as the action it would take."""

    tool_name: str
    call_id: str
    arguments: dict[str, Any]
    prepared: PreparedAction


class ApprovalConflict(Exception):
    """Another pending request holds the subject (the order) of one of the calls."""


def run_guard(owner: str) -> dict[str, Any]:
    """The condition of every write of a run: the task still runs under ``owner``'s lease."""
    return {"status": Task.Status.RUNNING, "lease_owner": owner}


def _ended(status: str) -> dict[str, Any]:
    now = timezone.now()
    return {
        "status": status,
        "finished_at": now,
        "lease_owner": "",
        "lease_expires_at": None,
        "updated_at": now,
    }


def completed_write(
    *,
    task_id: int,
    owner: str,
    final_output: str,
    history: list[Any],
    previous_response_id: str,
    events: list[EventSpec] | None = None,
) -> EventWrite:
    """Stores the final output and the conversation (for follow-ups); ``task.completed``."""
    return EventWrite(
        task_id=task_id,
        events=[
            *(events or []),
            task_completed_event(final_output=final_output),
        ],
        updates={
            **_ended(Task.Status.COMPLETED),
            "outcome": completed_outcome_sql(),
            "final_output": final_output,
            "history": history,
            "previous_response_id": previous_response_id or "",
            "run_state": "",
            "cancel_requested": False,
        },
        guard=run_guard(owner),
    )


def failed_write(
    *, task_id: int, owner: str, reason: str, events: list[EventSpec] | None = None
) -> EventWrite:
    """A readable failure reason; Retry re-queues the task."""
    return EventWrite(
        task_id=task_id,
        events=[
            *(events or []),
            task_failed_event(error=reason),
        ],
        updates={**_ended(Task.Status.FAILED), "outcome": Task.Outcome.FAILED, "error": reason},
        guard=run_guard(owner),
    )


def cancelled_write(
    *, task_id: int, owner: str, events: list[EventSpec] | None = None
) -> EventWrite:
    """The run stopped after a turn because staff cancelled it."""
    return EventWrite(
        task_id=task_id,
        events=[*(events or []), task_cancelled_event()],
        updates={**_ended(Task.Status.CANCELLED), "outcome": Task.Outcome.CANCELLED},
        guard=run_guard(owner),
    )


def _apply(write: EventWrite) -> bool:
    result = events_store_many([write])[0]
    events_publish_on_commit(result.events)
    return result.applied


def task_finish_awaiting_approval(
    *, task_id: int, owner: str, run_state: dict[str, Any], approvals: list[ApprovalSpec]
) -> list[ApprovalRequest]:
    """Pauses the task: one new ``ApprovalRequest`` per paused call (a decided request is
    never reused: call ids repeat across runs), bound to its action's digest; the SDK run state
    saved for the resume; status ``awaiting_approval``. Returns the requests ([] if the run
    is no longer this worker's). Raises ``ApprovalConflict``, writing nothing, when another
    pending request holds one of the orders."""
    try:
        return _pause(task_id=task_id, owner=owner, run_state=run_state, approvals=approvals)
    except IntegrityError as exc:
        raise ApprovalConflict(str(exc)) from exc


@transaction.atomic
def _pause(
    *, task_id: int, owner: str, run_state: dict[str, Any], approvals: list[ApprovalSpec]
) -> list[ApprovalRequest]:
    if not Task.objects.select_for_update().filter(pk=task_id, **run_guard(owner)).exists():
        return []
    now = timezone.now()
    expires = now + timedelta(hours=settings.APPROVAL_EXPIRY_HOURS)
    requests = []
    for spec in approvals:
        prepared = spec.prepared
        action = prepared.action
        # A call id paused earlier in this run and still pending is the same request.
        ApprovalRequest.objects.filter(
            task_id=task_id, call_id=spec.call_id, status=ApprovalRequest.Status.PENDING
        ).exclude(digest=action.digest).update(
            status=ApprovalRequest.Status.EXPIRED, decided_at=now, note=SUPERSEDED_NOTE
        )
        request, _ = ApprovalRequest.objects.get_or_create(
            task_id=task_id,
            call_id=spec.call_id,
            status=ApprovalRequest.Status.PENDING,
            defaults={
                "run_number": action.run_number,
                "tool_name": spec.tool_name,
                "arguments": spec.arguments,
                "action": action.as_dict(),
                "digest": action.digest,
                "subject": prepared.subject,
                "summary": prepared.summary[:300],
                "reason": prepared.reason,
                "expires_at": expires,
            },
        )
        requests.append(request)
    events: list[EventSpec] = [approval_requested_event(r) for r in requests]
    events.append(task_awaiting_approval_event(approval_ids=[r.pk for r in requests]))
    stored = events_store(
        task_id=task_id,
        events=events,
        task_updates={
            "status": Task.Status.AWAITING_APPROVAL,
            "run_state": json.dumps(run_state),
            "run_state_version": RUN_STATE_VERSION,
            "lease_owner": "",
            "lease_expires_at": None,
            "updated_at": now,
        },
    )
    events_publish_on_commit(stored)
    # An active autonomy policy may approve some at once (recorded as its decision; the last
    # decision queues the task to resume, as a person's would).
    approvals_decide_by_policy(task_id=task_id, requests=requests)
    return requests


def task_release(*, task_id: int, owner: str) -> bool:
    """A worker shutting down hands its running task back to the queue."""
    return _apply(
        EventWrite(
            task_id=task_id,
            events=[task_queued_event(reason=RELEASED)],
            updates={"status": Task.Status.QUEUED, "lease_owner": "", "lease_expires_at": None},
            guard=run_guard(owner),
        )
    )
