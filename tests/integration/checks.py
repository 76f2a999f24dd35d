"""What the integration tests wait for and assert, read from the database (the record)."""

from __future__ import annotations

from django.db import close_old_connections
from django.db.models import Count, Sum

from tasks.models import ApprovalRequest, Task, TaskEvent
from tests.integration.processes import wait_for
from tools_app.models import Order, Refund

ENDED = (Task.Status.COMPLETED, Task.Status.FAILED, Task.Status.CANCELLED)


def task_now(task_id: int) -> Task:
    close_old_connections()
    return Task.objects.get(pk=task_id)


def wait_status(task_id: int, *statuses: str, timeout: float = 60) -> Task:
    """Waits until the task has one of ``statuses``; fails early if it ended otherwise."""

    def reached() -> Task | None:
        task = task_now(task_id)
        if task.status in statuses:
            return task
        assert task.status not in ENDED, f"task {task_id} ended {task.status}: {task.error}"
        return None

    found = wait_for(reached, timeout=timeout, interval=0.1, what=f"task {task_id} {statuses}")
    assert isinstance(found, Task)
    return found


def pending_approval(task_id: int, *, timeout: float = 60) -> ApprovalRequest:
    wait_status(task_id, Task.Status.AWAITING_APPROVAL, timeout=timeout)
    return ApprovalRequest.objects.get(task_id=task_id, status=ApprovalRequest.Status.PENDING)


def event_seqs(task_id: int) -> list[int]:
    return list(
        TaskEvent.objects.filter(task_id=task_id).order_by("seq").values_list("seq", flat=True)
    )


def event_types(task_id: int) -> list[str]:
    return list(
        TaskEvent.objects.filter(task_id=task_id).order_by("seq").values_list("type", flat=True)
    )


def assert_no_seq_gap(task_id: int) -> None:
    """Stored events are numbered 1..last_seq with nothing missing or doubled."""
    task = task_now(task_id)
    assert event_seqs(task_id) == list(range(1, task.last_seq + 1)), f"task {task_id}"


def assert_refunds_once() -> None:
    """No order refunded beyond its amount, no tool call refunded twice, every refund backed
    by an approved request of its call."""
    for order in Order.objects.filter(refunds__isnull=False).distinct():
        total = order.refunds.aggregate(total=Sum("amount"))["total"]
        assert total <= order.amount, f"{order.number} refunded {total} of {order.amount}"
        assert order.refunded_amount == total
    keys = Refund.objects.values("idempotency_key").annotate(n=Count("id")).filter(n__gt=1)
    assert not keys.exists()
    for refund in Refund.objects.filter(task__isnull=False):
        approval = ApprovalRequest.objects.filter(refund=refund).first()
        assert approval is not None, f"refund {refund.pk} without an approval"
        assert approval.status == ApprovalRequest.Status.APPROVED
        assert approval.task_id == refund.task_id
        assert refund.idempotency_key == f"approval-{approval.pk}"


def assert_approved_refunds_made() -> None:
    """Every approved refund call of a completed task was executed (none lost)."""
    for approval in ApprovalRequest.objects.filter(
        status=ApprovalRequest.Status.APPROVED,
        tool_name="issue_refund",
        task__status=Task.Status.COMPLETED,
    ):
        assert approval.refund_id is not None, f"approval {approval.pk} not paid"
