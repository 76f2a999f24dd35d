"""Status transitions: claim, cancel, retry, follow-up and recovery of dead workers' tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks.models import ApprovalRequest, Task, TaskEvent
from tasks.services.task_lifecycle import (
    FOLLOW_UP_NOT_COMPLETED,
    FOLLOW_UP_REQUIRED,
    FOLLOW_UP_WHILE_ACTIVE,
    TASK_ALREADY_FINISHED,
    TASK_NOT_RETRYABLE,
    WORKER_LOST,
    task_cancel,
    task_claim,
    task_follow_up,
    task_heartbeat,
    task_recover_stale,
    task_retry,
)
from tasks.services.task_start import task_start_free_text
from tools_app.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(staff_user) -> Task:
    return task_start_free_text(text="Do something", user=staff_user)


def _set(task: Task, **fields) -> Task:
    Task.objects.filter(pk=task.pk).update(**fields)
    task.refresh_from_db()
    return task


def _last_event(task: Task) -> TaskEvent:
    return TaskEvent.objects.filter(task=task).order_by("-seq").first()


def test_only_one_claim_wins(task):
    first = task_claim(task_id=task.pk, owner="w1")
    second = task_claim(task_id=task.pk, owner="w2")

    assert first is not None and first.status == Task.Status.RUNNING
    assert second is None
    task.refresh_from_db()
    assert (task.lease_owner, task.attempts) == ("w1", 1)
    assert _last_event(task).type == "task.started"


def test_heartbeat_extends_the_lease_and_reports_cancel(task):
    task_claim(task_id=task.pk, owner="w1")

    assert task_heartbeat(task_id=task.pk, owner="w1") == (True, False)
    assert task_heartbeat(task_id=task.pk, owner="someone-else") == (False, False)
    _set(task, cancel_requested=True)
    assert task_heartbeat(task_id=task.pk, owner="w1") == (True, True)


def test_cancel_a_queued_task_at_once(task, staff_user):
    task = task_cancel(task=task, user=staff_user)

    assert task.status == Task.Status.CANCELLED
    assert _last_event(task).data == {"status": "cancelled", "by": staff_user.pk}


def test_cancel_a_running_task_asks_the_worker_to_stop(task):
    task_claim(task_id=task.pk, owner="w1")

    task = task_cancel(task=task)

    assert task.status == Task.Status.RUNNING
    assert task.cancel_requested is True
    assert _last_event(task).data["cancel_requested"] is True


def test_cancel_a_waiting_task_expires_its_approvals(task):
    _set(task, status=Task.Status.AWAITING_APPROVAL, run_state="{}")
    approval = ApprovalRequest.objects.create(task=task, tool_name="issue_refund", call_id="c")

    task = task_cancel(task=task)

    approval.refresh_from_db()
    assert task.status == Task.Status.CANCELLED
    assert task.run_state == ""
    assert approval.status == ApprovalRequest.Status.EXPIRED


def test_cancel_a_finished_task_is_an_error(task):
    _set(task, status=Task.Status.COMPLETED)

    with pytest.raises(ApplicationError, match=TASK_ALREADY_FINISHED):
        task_cancel(task=task)


def test_retry_requeues_a_failed_task_and_clears_its_error(task):
    _set(task, status=Task.Status.FAILED, error="boom", attempts=3)

    task = task_retry(task=task)

    assert (task.status, task.error, task.attempts) == (Task.Status.QUEUED, "", 0)
    assert _last_event(task).data["reason"] == "retry"


@pytest.mark.parametrize("status", [Task.Status.COMPLETED, Task.Status.RUNNING])
def test_only_failed_or_cancelled_tasks_can_be_retried(task, status):
    _set(task, status=status)

    with pytest.raises(ApplicationError, match=TASK_NOT_RETRYABLE):
        task_retry(task=task)


def test_follow_up_requeues_a_completed_task_with_the_message(task):
    _set(task, status=Task.Status.COMPLETED, history=[{"role": "user", "content": "Do something"}])

    task = task_follow_up(task=task, text="And then?")

    assert task.status == Task.Status.QUEUED
    assert task.history[-1] == {"role": "user", "content": "And then?"}
    assert _last_event(task).data["follow_up"] == "And then?"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Task.Status.RUNNING, FOLLOW_UP_WHILE_ACTIVE),
        (Task.Status.QUEUED, FOLLOW_UP_WHILE_ACTIVE),
        (Task.Status.FAILED, FOLLOW_UP_NOT_COMPLETED),
    ],
)
def test_follow_up_to_an_unfinished_task_is_a_clear_error(task, status, message):
    _set(task, status=status)

    with pytest.raises(ApplicationError) as error:
        task_follow_up(task=task, text="Hello?")

    assert error.value.message == message
    assert error.value.extra["field"] == "text"


def test_an_empty_follow_up_is_refused(task):
    _set(task, status=Task.Status.COMPLETED)

    with pytest.raises(ApplicationError, match=FOLLOW_UP_REQUIRED):
        task_follow_up(task=task, text="  ")


def test_a_dead_workers_task_is_requeued_then_failed_after_max_attempts(task, settings):
    settings.TASK_MAX_ATTEMPTS = 2
    expired = timezone.now() - timedelta(seconds=1)
    _set(task, status=Task.Status.RUNNING, lease_owner="dead", lease_expires_at=expired, attempts=1)

    assert task_recover_stale() == [task.pk]
    task.refresh_from_db()
    assert (task.status, task.lease_owner) == (Task.Status.QUEUED, "")

    _set(task, status=Task.Status.RUNNING, lease_expires_at=expired, attempts=2)
    assert task_recover_stale() == []
    task.refresh_from_db()
    assert task.status == Task.Status.FAILED
    assert task.error == WORKER_LOST.format(attempts=2)


def test_a_live_lease_is_left_alone(task):
    task_claim(task_id=task.pk, owner="w1")

    assert task_recover_stale() == []
    task.refresh_from_db()
    assert task.status == Task.Status.RUNNING


def test_a_follow_up_goes_on_timing_the_task_from_its_first_start(task):
    # given a task that ran and completed
    first = task_claim(task_id=task.pk, owner="w1")
    assert first is not None and first.started_at is not None
    started = first.started_at
    _set(task, status=Task.Status.COMPLETED, history=[{"role": "user", "content": "Do something"}])

    # when staff follow up and a worker claims it again
    task_follow_up(task=task, text="And then?")
    again = task_claim(task_id=task.pk, owner="w2")

    # then "Took" still counts from the first start
    assert again is not None and again.started_at == started
