"""Task status transitions requested by people and by workers: claim, heartbeat, cancel,
retry, follow-up, and recovery of tasks whose worker died.

Every transition is a conditional ``UPDATE`` guarded by the current status (and, for a worker,
its lease), stored with its event in one transaction: a duplicated wake-up, a double click or a
worker that lost its lease changes nothing."""

from __future__ import annotations

import logging
import weakref
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from tasks.event_factories import (
    guardrail_tripped_event,
    task_cancel_requested_event,
    task_cancelled_event,
    task_failed_event,
    task_queued_event,
    task_started_event,
)
from tasks.events import (
    EventSpec,
    EventWrite,
    events_publish_on_commit,
    events_store,
    events_store_many,
)
from tasks.models import ApprovalRequest, Task
from tasks.services.task_start import task_wake_on_commit
from tools_app.errors import ApplicationError

TASK_ALREADY_FINISHED = "This task has already finished."
TASK_NOT_RETRYABLE = "Only a failed or cancelled task can be retried."
FOLLOW_UP_WHILE_ACTIVE = (
    "The agent is still working on this task; send the follow-up once it has completed."
)
FOLLOW_UP_NOT_COMPLETED = (
    "Follow-ups continue a completed task; retry a failed or cancelled task instead."
)
FOLLOW_UP_REQUIRED = "Write a follow-up message."
FOLLOW_UP_TOO_LONG = "A follow-up is limited to 10,000 characters."
WORKER_LOST = "The worker running this task stopped {attempts} times; giving up."
WORKER_STOPPED = "The worker stopped; the task was re-queued."
CANCELLED_NOTE = "The task was cancelled before a decision."

MAX_FOLLOW_UP = 10_000

logger = logging.getLogger(__name__)

# Workers of this process that want to hear of a cancel at once (the database is still the
# record: workers elsewhere see ``cancel_requested`` at their next write or heartbeat).
_cancel_listeners: weakref.WeakSet[Any] = weakref.WeakSet()


def cancel_listener_add(listener: Any) -> None:
    """Registers an object with ``on_cancel_requested(task_id)``, called from any thread."""
    _cancel_listeners.add(listener)


def _notify_cancel(task_id: int) -> None:
    for listener in list(_cancel_listeners):
        try:
            listener.on_cancel_requested(task_id)
        except Exception:
            logger.warning("A cancel listener failed", exc_info=True)


def _user_id(user: AbstractBaseUser | AnonymousUser | None) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


def _store(task_id: int, event: EventSpec) -> None:
    events_publish_on_commit(events_store(task_id=task_id, events=[event]))


# --- workers ----------------------------------------------------------------------------------


def claim_write(*, task_id: int, owner: str) -> EventWrite:
    """The guarded queued -> running transition of a claim, with its ``task.started``."""
    now = timezone.now()
    return EventWrite(
        task_id=task_id,
        events=[task_started_event(worker=owner)],
        updates={
            "status": Task.Status.RUNNING,
            "lease_owner": owner,
            "lease_expires_at": now + timedelta(seconds=settings.TASK_LEASE_SECONDS),
            "heartbeat_at": now,
            # The first start stays: a resume, a Retry or a follow-up goes on timing the task
            # ("Took" on the dashboard) from when it first ran.
            "started_at": Coalesce(F("started_at"), Value(now)),
            "finished_at": None,
            "error": "",
            "updated_at": now,
        },
        guard={"status": Task.Status.QUEUED},
        increments={"attempts": 1},
        # Several workers may try the same queued task: on PostgreSQL the losers skip it at once.
        skip_locked=True,
        load=True,
    )


def task_for_run(*, task_id: int) -> Task:
    """A claimed task with what a run reads (its ticket)."""
    return Task.objects.select_related("ticket").get(pk=task_id)


def task_claim(*, task_id: int, owner: str) -> Task | None:
    """Takes a queued task for the worker ``owner``: exactly one claimant wins, however many
    wake-ups arrive. Returns the claimed task, or None if it was not (or no longer) queued."""
    result = events_store_many([claim_write(task_id=task_id, owner=owner)])[0]
    if not result.applied:
        return None
    events_publish_on_commit(result.events)
    return result.task or task_for_run(task_id=task_id)


def task_heartbeat(*, task_id: int, owner: str) -> tuple[bool, bool]:
    """Extends the lease of a running task. Returns ``(still_owned, cancel_requested)``."""
    now = timezone.now()
    owned = Task.objects.filter(pk=task_id, status=Task.Status.RUNNING, lease_owner=owner).update(
        lease_expires_at=now + timedelta(seconds=settings.TASK_LEASE_SECONDS), heartbeat_at=now
    )
    cancel = Task.objects.filter(pk=task_id, cancel_requested=True).exists()
    return owned == 1, cancel


@transaction.atomic
def task_recover_stale(*, now=None) -> list[int]:
    """Running tasks whose lease expired (their worker died) go back to the queue, or fail
    after ``TASK_MAX_ATTEMPTS`` claims. Returns the ids put back in the queue."""
    now = now or timezone.now()
    # SKIP LOCKED: a row another worker's sweep (or the late owner's write) holds is theirs.
    stale = list(
        Task.objects.select_for_update(skip_locked=True)
        .filter(status=Task.Status.RUNNING, lease_expires_at__lt=now)
        .values_list("pk", "attempts")
    )
    requeued = []
    for task_id, attempts in stale:
        base = Task.objects.filter(pk=task_id, status=Task.Status.RUNNING, lease_expires_at__lt=now)
        if _requeue_or_fail(task_id=task_id, attempts=attempts, running=base, now=now):
            requeued.append(task_id)
    return requeued


def task_recover_orphans(*, orphans: list[tuple[int, str]], now=None) -> list[int]:
    """Running tasks whose worker is known dead (``(task id, lease owner)``: its run lock was
    released with its database connection, ``tasks.runtime.run_locks``) go back to the queue
    at once, without waiting for the lease. Guarded by the owner: a task claimed again in the
    meantime is left alone. Returns the ids put back in the queue."""
    now = now or timezone.now()
    requeued = []
    for task_id, owner in orphans:
        with transaction.atomic():
            row = (
                Task.objects.select_for_update(skip_locked=True)
                .filter(pk=task_id, status=Task.Status.RUNNING, lease_owner=owner)
                .values_list("attempts", flat=True)
                .first()
            )
            if row is None:
                continue
            running = Task.objects.filter(pk=task_id, status=Task.Status.RUNNING, lease_owner=owner)
            if _requeue_or_fail(task_id=task_id, attempts=row, running=running, now=now):
                requeued.append(task_id)
    return requeued


def task_running_leases(*, owner_prefix: str) -> list[tuple[int, str]]:
    """``(task id, lease owner)`` of running tasks whose owner name starts with the prefix."""
    return [
        (int(pk), str(owner))
        for pk, owner in Task.objects.filter(
            status=Task.Status.RUNNING, lease_owner__startswith=owner_prefix
        ).values_list("pk", "lease_owner")
    ]


def _requeue_or_fail(*, task_id: int, attempts: int, running: Any, now: Any) -> bool:
    """A task whose worker died: back in the queue, or failed after ``TASK_MAX_ATTEMPTS``
    claims. True if it was put back in the queue."""
    if attempts >= settings.TASK_MAX_ATTEMPTS:
        reason = WORKER_LOST.format(attempts=attempts)
        if running.update(
            status=Task.Status.FAILED,
            outcome=Task.Outcome.FAILED,
            error=reason,
            finished_at=now,
            lease_owner="",
        ):
            _store(task_id, task_failed_event(error=reason))
        return False
    if running.update(status=Task.Status.QUEUED, lease_owner="", lease_expires_at=None):
        _store(task_id, task_queued_event(reason=WORKER_STOPPED))
        return True
    return False


def task_queued_ids(*, limit: int = 500) -> list[int]:
    """Queued tasks, oldest first: what a worker's sweep wakes."""
    return list(
        Task.objects.filter(status=Task.Status.QUEUED)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def task_queued_stale_ids(*, older_than_seconds: float, limit: int = 500) -> list[int]:
    """Queued tasks nobody picked up for a while: their wake-up was probably lost."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        Task.objects.filter(status=Task.Status.QUEUED, updated_at__lt=cutoff)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


# --- people -----------------------------------------------------------------------------------


@transaction.atomic
def task_cancel(*, task: Task, user: AbstractBaseUser | AnonymousUser | None = None) -> Task:
    """Cancels a task. Queued or waiting for approval: at once. Running: asks the worker to stop
    after the current turn (``cancel_requested``); the worker records ``task.cancelled``."""
    now = timezone.now()
    by = _user_id(user)
    stoppable = (Task.Status.QUEUED, Task.Status.AWAITING_APPROVAL)
    if Task.objects.filter(pk=task.pk, status__in=stoppable).update(
        status=Task.Status.CANCELLED,
        outcome=Task.Outcome.CANCELLED,
        cancel_requested=True,
        finished_at=now,
        lease_owner="",
        run_state="",
        updated_at=now,
    ):
        # A saved run state is single-use; once cancelled, pending approvals can't be decided.
        ApprovalRequest.objects.filter(task=task, status=ApprovalRequest.Status.PENDING).update(
            status=ApprovalRequest.Status.EXPIRED, note=CANCELLED_NOTE, decided_at=now
        )
        _store(task.pk, task_cancelled_event(by=by))
    elif Task.objects.filter(pk=task.pk, status=Task.Status.RUNNING).update(
        cancel_requested=True, updated_at=now
    ):
        transaction.on_commit(lambda: _notify_cancel(task.pk))
        _store(task.pk, task_cancel_requested_event(by=by))
    else:
        raise ApplicationError(TASK_ALREADY_FINISHED, {"field": "task"})
    task.refresh_from_db()
    return task


@transaction.atomic
def task_retry(*, task: Task, user: AbstractBaseUser | AnonymousUser | None = None) -> Task:
    """Puts a failed or cancelled task back in the queue with its error cleared. It re-runs
    its last request (its history holds what completed before)."""
    updated = Task.objects.filter(
        pk=task.pk, status__in=(Task.Status.FAILED, Task.Status.CANCELLED)
    ).update(
        status=Task.Status.QUEUED,
        error="",
        cancel_requested=False,
        attempts=0,
        # A new run: approvals asked in the earlier one cover nothing in this one.
        run_number=F("run_number") + 1,
        lease_owner="",
        lease_expires_at=None,
        finished_at=None,
        run_state="",
        updated_at=timezone.now(),
    )
    if not updated:
        raise ApplicationError(TASK_NOT_RETRYABLE, {"field": "task", "status": task.status})
    _store(task.pk, task_queued_event(reason="retry", by=_user_id(user)))
    task_wake_on_commit(task.pk)
    task.refresh_from_db()
    return task


@transaction.atomic
def task_follow_up(
    *, task: Task, text: str, user: AbstractBaseUser | AnonymousUser | None = None
) -> Task:
    """Sends staff's message to a completed task: the agent continues the same conversation
    (its stored history, or ``previous_response_id`` on the Responses API)."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError(FOLLOW_UP_REQUIRED, {"field": "text"})
    if len(text) > MAX_FOLLOW_UP:
        raise ApplicationError(FOLLOW_UP_TOO_LONG, {"field": "text"})
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if locked.status in Task.ACTIVE_STATUSES:
        raise ApplicationError(FOLLOW_UP_WHILE_ACTIVE, {"field": "text", "status": locked.status})
    if locked.status != Task.Status.COMPLETED:
        raise ApplicationError(FOLLOW_UP_NOT_COMPLETED, {"field": "text", "status": locked.status})
    history = list(locked.history or [])
    if not history:
        # A task completed before history was kept: start the conversation from its input.
        history = [{"role": "user", "content": locked.input}]
        if locked.final_output:
            history.append({"role": "assistant", "content": locked.final_output})
    history.append({"role": "user", "content": text})
    Task.objects.filter(pk=locked.pk).update(
        status=Task.Status.QUEUED,
        history=history,
        cancel_requested=False,
        attempts=0,
        run_number=F("run_number") + 1,
        error="",
        finished_at=None,
        updated_at=timezone.now(),
    )
    _store(
        locked.pk,
        task_queued_event(reason="follow_up", follow_up=text, by=_user_id(user)),
    )
    task_wake_on_commit(locked.pk)
    task.refresh_from_db()
    return task


@transaction.atomic
def task_mark_for_review(
    *, task_id: int, guardrail: str, reason: str, tools_off: list[str], once: bool = True
) -> bool:
    """Marks the task for a person's review with the guardrail's reason and records it on the
    timeline (``guardrail.tripped``). With ``once`` (the input guardrail, checked at each start)
    nothing is recorded when the task was already marked, and the result is False; without it
    (a reply held by the output guardrail) every trip is recorded and the first reason kept."""
    marked = Task.objects.filter(pk=task_id, needs_review=False).update(
        needs_review=True, review_reason=reason[:2000], updated_at=timezone.now()
    )
    if not marked and once:
        return False
    _store(
        task_id, guardrail_tripped_event(guardrail=guardrail, reason=reason, tools_off=tools_off)
    )
    return True
