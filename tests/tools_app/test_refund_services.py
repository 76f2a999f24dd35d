from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import make_customer, make_order, make_refund_policy
from tools_app.errors import ApplicationError
from tools_app.models import Order, Refund
from tools_app.services.refunds import (
    REFUND_ABOVE_LIMIT,
    REFUND_EXCEEDS_REFUNDABLE,
    REFUND_OUTSIDE_WINDOW,
    REFUND_WRONG_CUSTOMER,
    refund_issue,
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
