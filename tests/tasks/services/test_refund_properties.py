"""Property-based tests (hypothesis) of the money path.

1. Refund validation: whatever a model sends as an order number and an amount, asking either
   fails with ``ApplicationError`` or yields an action for the customer's own order, a
   positive two-decimal amount within what remains refundable and the agent's limit per order.
2. The invariant, under any interleaving of asks, decisions and executions (honest or
   tampered: another amount, order, call id or run): the money refunded on an order equals
   the sum of its refunds, each tied to an approved request whose digest matches it, each
   request paying at most once, and the agent never refunds more than the limit on an order."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.models import ApprovalRequest, Task
from tasks.services.approvals import approval_decide
from tasks.services.task_refunds import (
    task_refund_action,
    task_refund_execute,
    task_refund_prepare,
)
from tests.factories import (
    make_approver,
    make_customer,
    make_order,
    make_refund_policy,
    make_task,
    make_ticket,
)
from tools_app.errors import ApplicationError
from tools_app.models import Order, Refund

pytestmark = pytest.mark.django_db

LIMIT = Decimal("200.00")
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

amounts = st.one_of(
    st.decimals(min_value=-1000, max_value=1000, places=2).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12),
    st.sampled_from(["1e2", "1E-2", " 19.00 ", "19,00", "0x10", "١٩", "19.001", "-0", "+5"]),
    st.integers(),
    st.floats(),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)


class Rollback(Exception):
    pass


def _world() -> dict[str, Any]:
    make_refund_policy(max_refund_amount=str(LIMIT))
    customer = make_customer()
    orders = [
        make_order(customer=customer, number="ORD-A", amount=Decimal("300.00")),
        make_order(customer=customer, number="ORD-B", amount=Decimal("19.00")),
    ]
    foreign = make_order(customer=make_customer(), number="ORD-X", amount=Decimal("50.00"))
    tasks = [
        make_task(ticket=make_ticket(customer=customer), status=Task.Status.AWAITING_APPROVAL)
        for _ in range(2)
    ]
    return {
        "customer": customer,
        "orders": orders,
        "foreign": foreign,
        "tasks": tasks,
        "approver": make_approver(),
    }


def _in_rollback(check: Any) -> None:
    """Runs ``check`` in a transaction that is always rolled back (one hypothesis example)."""
    try:
        with transaction.atomic():
            check()
            raise Rollback
    except Rollback:
        pass


@PROPERTY_SETTINGS
@given(number=st.sampled_from(["ORD-A", "ORD-B", "ORD-X", "", "ord-a", "ORD-A "]), amount=amounts)
def test_a_refund_ask_is_refused_or_is_within_every_rule(number: str, amount: Any) -> None:
    def check() -> None:
        w = _world()
        task = w["tasks"][0]
        arguments = {"order_number": number, "amount": amount, "reason": "duplicate charge"}
        try:
            prepared = task_refund_prepare(
                task_id=task.pk, run_number=1, customer_id=w["customer"].pk, arguments=arguments
            )
        except ApplicationError as exc:
            assert exc.message
            return
        canonical = prepared.action.arguments
        order = Order.objects.get(number=canonical["order_number"])
        assert order.customer_id == w["customer"].pk
        assert re.fullmatch(r"\d+\.\d{2}", canonical["amount"])
        value = Decimal(canonical["amount"])
        assert Decimal("0") < value <= min(LIMIT, order.refundable_amount)
        assert isinstance(amount, str)

    _in_rollback(check)


operation = st.tuples(
    st.sampled_from(["ask", "approve", "reject", "execute", "tamper"]),
    st.integers(0, 1),  # task
    st.integers(0, 1),  # order
    st.sampled_from(["19.00", "100.00", "150.00", "199.99", "50.00", "0.01"]),
    st.integers(0, 9),  # which request
)


@PROPERTY_SETTINGS
@given(operations=st.lists(operation, min_size=1, max_size=14))
def test_money_moves_only_for_approved_exact_actions(operations: list[Any]) -> None:
    def check() -> None:
        w = _world()
        calls = 0
        for kind, task_index, order_index, amount, pick in operations:
            task = w["tasks"][task_index]
            order = w["orders"][order_index]
            requests = list(ApprovalRequest.objects.order_by("pk"))
            chosen = requests[pick % len(requests)] if requests else None
            try:
                if kind == "ask":
                    calls += 1
                    _ask(w, task, order, amount, call_id=f"c{calls}")
                elif chosen is not None and kind in ("approve", "reject"):
                    approval_decide(
                        approval_id=chosen.pk, user=w["approver"], approve=kind == "approve"
                    )
                elif chosen is not None and kind == "execute":
                    _execute(w, chosen, chosen.action["arguments"])
                elif chosen is not None and kind == "tamper":
                    tampered = {**chosen.action["arguments"], "amount": amount}
                    if order_index:
                        tampered["order_number"] = w["foreign"].number
                    _execute(w, chosen, tampered, call_id=f"x{pick}")
            except ApplicationError:
                pass
        _assert_invariant(w)

    _in_rollback(check)


def _ask(w: dict[str, Any], task: Task, order: Order, amount: str, *, call_id: str) -> None:
    arguments = {"order_number": order.number, "amount": amount, "reason": "duplicate charge"}
    prepared = task_refund_prepare(
        task_id=task.pk, run_number=1, customer_id=w["customer"].pk, arguments=arguments
    )
    with transaction.atomic():
        ApprovalRequest.objects.create(
            task=task,
            run_number=1,
            tool_name="issue_refund",
            call_id=call_id,
            arguments=arguments,
            action=prepared.action.as_dict(),
            digest=prepared.action.digest,
            subject=prepared.subject,
            summary=prepared.summary,
        )


def _execute(
    w: dict[str, Any],
    request: ApprovalRequest,
    arguments: dict[str, Any],
    call_id: str | None = None,
) -> None:
    task_refund_execute(
        task_id=request.task_id,
        run_number=request.run_number,
        customer_id=w["customer"].pk,
        call_id=call_id or request.call_id,
        **arguments,
    )


def _assert_invariant(w: dict[str, Any]) -> None:
    for order in Order.objects.all():
        refunds = list(order.refunds.all())
        assert order.refunded_amount == sum((r.amount for r in refunds), Decimal("0"))
        assert order.refunded_amount <= order.amount
        agent = sum((r.amount for r in refunds if r.task_id is not None), Decimal("0"))
        assert agent <= LIMIT
    for refund in Refund.objects.select_related("order"):
        approval = ApprovalRequest.objects.get(refund=refund)
        assert approval.status == ApprovalRequest.Status.APPROVED
        assert refund.decided_by_id == approval.decided_by_id == w["approver"].pk
        action = task_refund_action(
            task_id=approval.task_id,
            run_number=approval.run_number,
            customer_id=w["customer"].pk,
            arguments={
                "order_number": refund.order.number,
                "amount": str(refund.amount),
                "reason": refund.reason,
            },
        )
        assert action.digest == approval.digest
    assert Refund.objects.count() == ApprovalRequest.objects.filter(refund__isnull=False).count()
