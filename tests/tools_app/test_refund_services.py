from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tasks.models import Task
from tests.factories import make_customer, make_order, make_refund_policy, make_user
from tools_app.errors import ApplicationError
from tools_app.models import Order, Refund
from tools_app.services.refunds import (
    REFUND_ABOVE_LIMIT,
    REFUND_AMOUNT_INVALID,
    REFUND_EXCEEDS_REFUNDABLE,
    REFUND_ORDER_STATE,
    REFUND_OUTSIDE_WINDOW,
    REFUND_REASON_REQUIRED,
    REFUND_WRONG_CUSTOMER,
    refund_check,
    refund_issue,
    refund_parse_amount,
)

pytestmark = pytest.mark.django_db


def test_refund_issue_is_idempotent_by_key():
    make_refund_policy()
    order = make_order(amount=Decimal("30.00"))

    first = refund_issue(
        order=order,
        amount=Decimal("30.00"),
        reason="dup",
        idempotency_key="k1",
        customer_id=order.customer_id,
    )
    second = refund_issue(
        order=order,
        amount=Decimal("30.00"),
        reason="dup",
        idempotency_key="k1",
        customer_id=order.customer_id,
    )

    assert first.pk == second.pk
    assert Refund.objects.count() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert order.refunded_amount == Decimal("30.00")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"amount": Decimal("30.00"), "refund": "40.00"}, REFUND_EXCEEDS_REFUNDABLE),
        ({"amount": Decimal("900.00"), "refund": "300.00"}, REFUND_ABOVE_LIMIT),
        ({"amount": Decimal("30.00"), "refund": "10.00", "days": 60}, REFUND_OUTSIDE_WINDOW),
    ],
)
def test_refund_issue_enforces_policy(setup, message):
    make_refund_policy()
    order = make_order(
        amount=setup["amount"], charged_at=timezone.now() - timedelta(days=setup.get("days", 2))
    )

    with pytest.raises(ApplicationError) as exc:
        refund_issue(
            order=order,
            amount=Decimal(setup["refund"]),
            reason="r",
            idempotency_key="k",
            customer_id=order.customer_id,
        )

    assert exc.value.message == message
    assert not Refund.objects.exists()


def test_refund_for_another_customers_order_is_refused():
    make_refund_policy()
    order = make_order()
    stranger = make_customer()

    with pytest.raises(ApplicationError) as exc:
        refund_issue(
            order=order,
            amount=Decimal("1.00"),
            reason="r",
            idempotency_key="k",
            customer_id=stranger.pk,
        )

    assert exc.value.message == REFUND_WRONG_CUSTOMER
    assert not Refund.objects.exists()


def _refund(order: Order, amount: str, key: str = "k", **kw) -> Refund:
    return refund_issue(
        order=order,
        amount=Decimal(amount),
        reason=kw.pop("reason", "customer request"),
        idempotency_key=key,
        customer_id=kw.pop("customer_id", order.customer_id),
        **kw,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19.00", Decimal("19.00")),
        (" 7 ", Decimal("7")),
        ("0.01", Decimal("0.01")),
        ("1e2", Decimal("100")),
        (12, Decimal("12")),
        (Decimal("3.50"), Decimal("3.50")),
    ],
)
def test_refund_parse_amount_accepts_positive_amounts_with_up_to_two_decimals(raw, expected):
    assert refund_parse_amount(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "1.005",
        "0.001",
        "-5",
        "-0.01",
        "0",
        "0.00",
        "abc",
        "",
        "  ",
        "12,50",
        "$10",
        None,
        "NaN",
        "sNaN",
        "Infinity",
        "-Infinity",
        "1e-3",
        True,
        12.345,
    ],
)
def test_refund_parse_amount_rejects_anything_else(raw):
    with pytest.raises(ApplicationError) as exc:
        refund_parse_amount(raw)

    assert exc.value.message == REFUND_AMOUNT_INVALID
    assert exc.value.extra["field"] == "amount"


def test_partial_refunds_add_up_and_move_the_order_status():
    make_refund_policy()
    order = make_order(amount=Decimal("30.00"))

    _refund(order, "10.00", key="k1")
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.PARTIALLY_REFUNDED, 10)
    assert order.refundable_amount == Decimal("20.00")

    _refund(order, "20.00", key="k2")
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.REFUNDED, 30)
    assert order.refundable_amount == 0
    assert sorted(r.amount for r in order.refunds.all()) == [Decimal("10.00"), Decimal("20.00")]


def test_a_partial_refund_above_what_remains_is_refused():
    make_refund_policy()
    order = make_order(amount=Decimal("30.00"))
    _refund(order, "25.00", key="k1")

    with pytest.raises(ApplicationError) as exc:
        _refund(order, "5.01", key="k2")

    assert exc.value.message == REFUND_EXCEEDS_REFUNDABLE
    assert exc.value.extra["refundable"] == "5.00"
    assert order.refunds.count() == 1


def test_a_fully_refunded_order_cannot_be_refunded_again():
    make_refund_policy()
    order = make_order(amount=Decimal("30.00"))
    _refund(order, "30.00", key="k1")

    with pytest.raises(ApplicationError) as exc:
        _refund(order, "1.00", key="k2")

    assert exc.value.message == REFUND_ORDER_STATE
    assert exc.value.extra["status"] == Order.Status.REFUNDED


def test_a_cancelled_order_is_never_refunded():
    make_refund_policy()
    order = make_order(status=Order.Status.CANCELLED, amount=Decimal("30.00"))

    with pytest.raises(ApplicationError) as exc:
        _refund(order, "30.00")

    assert exc.value.message == REFUND_ORDER_STATE
    assert not Refund.objects.exists()
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.CANCELLED, 0)


@pytest.mark.parametrize(
    "status",
    [Order.Status.PAID, Order.Status.SHIPPED, Order.Status.DELIVERED],
)
def test_refundable_statuses_become_refunded(status):
    make_refund_policy()
    order = make_order(status=status, amount=Decimal("20.00"))

    _refund(order, "20.00")

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED


def test_the_limit_and_window_are_inclusive():
    make_refund_policy(max_refund_amount="150.00", refund_window_days=30)
    order = make_order(
        amount=Decimal("200.00"), charged_at=timezone.now() - timedelta(days=29, hours=23)
    )

    _refund(order, "150.00")

    with pytest.raises(ApplicationError) as exc:
        _refund(make_order(amount=Decimal("200.00")), "150.01", key="k2")
    assert exc.value.message == REFUND_ABOVE_LIMIT
    assert exc.value.extra["limit"] == "150.00"


def test_without_a_policy_article_the_default_rules_apply():
    order = make_order(amount=Decimal("600.00"))

    _refund(order, "500.00", key="k1")
    with pytest.raises(ApplicationError) as exc:
        _refund(make_order(amount=Decimal("600.00")), "500.01", key="k2")

    assert exc.value.message == REFUND_ABOVE_LIMIT


def test_a_refund_needs_a_reason():
    make_refund_policy()
    order = make_order()

    with pytest.raises(ApplicationError) as exc:
        _refund(order, "1.00", reason="   ")

    assert exc.value.message == REFUND_REASON_REQUIRED
    assert not Refund.objects.exists()


def test_refund_check_refuses_without_a_customer_and_non_positive_amounts():
    make_refund_policy()
    order = make_order()

    with pytest.raises(ApplicationError) as no_customer:
        refund_check(order=order, amount=Decimal("1.00"), customer_id=None)
    with pytest.raises(ApplicationError) as zero:
        refund_check(order=order, amount=Decimal("0"), customer_id=order.customer_id)

    assert no_customer.value.message == REFUND_WRONG_CUSTOMER
    assert zero.value.message == REFUND_AMOUNT_INVALID


def test_refund_records_who_decided_and_the_task():
    make_refund_policy()
    order = make_order(amount=Decimal("30.00"))
    approver = make_user()
    task = Task.objects.create(title="t", model="agentdesk-offline")

    refund = _refund(order, "30.00", decided_by=approver, task_id=task.pk)

    refund.refresh_from_db()
    assert (refund.decided_by, refund.task, refund.status) == (
        approver,
        task,
        Refund.Status.EXECUTED,
    )
    assert refund.executed_at is not None


def test_the_callers_order_object_reflects_the_refund():
    make_refund_policy()
    order = make_order(amount=Decimal("30.00"))

    _refund(order, "12.00")

    assert (order.status, order.refunded_amount) == (Order.Status.PARTIALLY_REFUNDED, 12)


def test_a_repeated_key_returns_the_first_refund_even_with_other_arguments():
    make_refund_policy()
    order = make_order(amount=Decimal("30.00"))
    first = _refund(order, "10.00", key="call-1")

    again = _refund(order, "20.00", key="call-1")

    assert again.pk == first.pk
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("10.00")
