"""The scaled-out layout end to end: two daphne processes, two ``runworker`` processes,
PostgreSQL and Redis. Staff start an investigation through the API of one web process, follow
it on a websocket of the other, an approver approves the refund in Django admin, a worker
resumes the run and it completes with exactly one refund."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tasks.demo.data import SCENARIO_TICKETS
from tasks.models import ApprovalRequest, Task
from tests.integration.checks import (
    assert_no_seq_gap,
    assert_refunds_once,
    event_seqs,
    pending_approval,
    wait_status,
)
from tests.integration.clients import AdminClient, ApiClient, TaskStream
from tools_app.models import Refund

pytestmark = [pytest.mark.services, pytest.mark.timeout(180)]

DUPLICATE_CHARGE = SCENARIO_TICKETS["duplicate_charge"]


def test_an_investigation_pauses_for_approval_and_resumes_in_another_process(stack, demo):
    # given two web processes and two agent workers on PostgreSQL and Redis
    web_a, web_b = stack.webs(2)
    stack.workers(2)
    api = ApiClient(web_a.base_url, demo.support)

    # when staff start an investigation of the duplicate charge through web A's API
    created = api.start_ticket_task(DUPLICATE_CHARGE)
    task_id = created["id"]
    # and follow it on a websocket of web B
    stream = TaskStream(web_b.base_url, task_id, api.token).start()

    # then the run pauses for a person: one pending refund approval, nothing refunded yet
    approval = pending_approval(task_id)
    assert approval.tool_name == "issue_refund"
    assert not Refund.objects.filter(task_id=task_id).exists()
    assert api.task(task_id)["pending_approvals"][0]["id"] == approval.pk

    # when the approver approves it in Django admin (web B)
    AdminClient(web_b.base_url, demo.approver).decide(approval.pk, approve=True, note="ok")

    # then a worker resumes the saved run and completes it with exactly one refund
    task = wait_status(task_id, Task.Status.COMPLETED)
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by) == (
        ApprovalRequest.Status.APPROVED,
        demo.approver,
    )
    [refund] = Refund.objects.filter(task_id=task_id)
    assert refund.order.number == approval.arguments["order_number"]
    assert refund.amount == Decimal(approval.arguments["amount"])
    assert_refunds_once()
    assert task.final_output

    # and the websocket client saw every stored event once, in order, through task.completed
    assert stream.done.wait(30), stream.errors
    stream.stop()
    assert stream.seqs == event_seqs(task_id) == list(range(1, task.last_seq + 1))
    assert {"approval.requested", "approval.decided", "task.completed"} <= set(stream.events)
    assert_no_seq_gap(task_id)
