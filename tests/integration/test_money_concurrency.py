"""The money path under real concurrency on PostgreSQL: threads with connections of their own,
released together by a barrier.

* two tasks pausing on the same order at once: one pending request, the other refused;
* one approved request executed by several workers at once: one refund;
* approvals racing each other on one order: never more than the agent limit refunded;
* an approver and a rejecter clicking at once: one decision."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from tasks.models import ApprovalRequest, Task
from tasks.services.approval_actions import Action, PreparedAction
from tasks.services.approvals import approval_decide
from tasks.services.task_finish import ApprovalConflict, ApprovalSpec, task_finish_awaiting_approval
from tasks.services.task_refunds import task_refund_execute
from tests.factories import (
    make_approval,
    make_approver,
    make_customer,
    make_order,
    make_refund_policy,
    make_task,
    make_ticket,
)
from tools_app.errors import ApplicationError
from tools_app.models import Order, Refund

pytestmark = [pytest.mark.services, pytest.mark.timeout(120)]

THREADS = 6


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Runs ``calls`` at once, one thread (and database connection) each; their results, or
    the exception each raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def shop(services: Any, transactional_db: Any) -> dict[str, Any]:
    make_refund_policy()
    customer = make_customer()
    order = make_order(customer=customer, number="ORD-RACE", amount=Decimal("300.00"))
    return {"customer": customer, "order": order, "approver": make_approver()}


def _spec(task: Task, order: Order, call_id: str) -> ApprovalSpec:
    arguments = {"order_number": order.number, "amount": "50.00", "reason": "duplicate"}
    action = Action("issue_refund", arguments, task.pk, task.run_number)
    prepared = PreparedAction(
        action, f"Refund 50.00 on {order.number}", "duplicate", f"order:{order.pk}"
    )
    return ApprovalSpec("issue_refund", call_id, arguments, prepared)


def test_tasks_pausing_on_one_order_at_once_leave_one_pending_request(shop):
    tasks = [
        make_task(
            ticket=make_ticket(customer=shop["customer"]),
            status=Task.Status.RUNNING,
            lease_owner=f"w{i}",
        )
        for i in range(THREADS)
    ]

    def pause(task: Task) -> Callable[[], Any]:
        return lambda: task_finish_awaiting_approval(
            task_id=task.pk,
            owner=task.lease_owner,
            run_state={},
            approvals=[_spec(task, shop["order"], "r1")],
        )

    results = race([pause(task) for task in tasks])

    paused = [r for r in results if isinstance(r, list) and r]
    refused = [r for r in results if isinstance(r, ApprovalConflict)]
    assert (len(paused), len(refused)) == (1, THREADS - 1)
    assert ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING).count() == 1
    # the refused ones wrote nothing: still running, no request, no event of a pause
    assert Task.objects.filter(status=Task.Status.RUNNING).count() == THREADS - 1


def _approved(shop: dict[str, Any], amount: str, call_id: str) -> ApprovalRequest:
    task = make_task(ticket=make_ticket(customer=shop["customer"]))
    arguments = {"order_number": shop["order"].number, "amount": amount, "reason": "duplicate"}
    return make_approval(
        task=task,
        order=shop["order"],
        arguments=arguments,
        call_id=call_id,
        status=ApprovalRequest.Status.APPROVED,
        decided_by=shop["approver"],
    )


def _execute(shop: dict[str, Any], approval: ApprovalRequest) -> Callable[[], Any]:
    arguments = approval.action["arguments"]
    return lambda: task_refund_execute(
        task_id=approval.task_id,
        run_number=approval.run_number,
        customer_id=shop["customer"].pk,
        call_id=approval.call_id,
        **arguments,
    )


def test_one_approval_executed_by_many_workers_at_once_refunds_once(shop):
    approval = _approved(shop, "40.00", "r1")

    results = race([_execute(shop, approval) for _ in range(THREADS)])

    refunds = [r for r in results if isinstance(r, Refund)]
    assert len(refunds) == THREADS and len({r.pk for r in refunds}) == 1
    order = Order.objects.get(pk=shop["order"].pk)
    assert order.refunded_amount == Decimal("40.00")
    approval.refresh_from_db()
    assert approval.refund_id == refunds[0].pk


def test_approvals_racing_on_one_order_never_pass_the_agent_limit(shop):
    # requests approved behind the rules' back (the ask would refuse the second one)
    approvals = [_approved(shop, "150.00", f"r{i}") for i in range(3)]

    results = race([_execute(shop, a) for a in approvals])

    assert all(isinstance(r, Refund | ApplicationError) for r in results), results
    order = Order.objects.get(pk=shop["order"].pk)
    assert order.refunded_amount <= Decimal("200.00")
    assert order.refunded_amount == sum(r.amount for r in Refund.objects.all())


def test_an_approve_and_a_reject_at_once_make_one_decision(shop):
    task = make_task(
        ticket=make_ticket(customer=shop["customer"]), status=Task.Status.AWAITING_APPROVAL
    )
    approval = make_approval(task=task, order=shop["order"])
    other = make_approver()

    results = race(
        [
            lambda: approval_decide(approval_id=approval.pk, user=shop["approver"], approve=True),
            lambda: approval_decide(approval_id=approval.pk, user=other, approve=False),
        ]
    )

    assert sum(isinstance(r, ApprovalRequest) for r in results) == 1
    assert sum(isinstance(r, ApplicationError) for r in results) == 1
    task.refresh_from_db()
    assert task.status == Task.Status.QUEUED
