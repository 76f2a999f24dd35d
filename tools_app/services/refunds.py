"""Refunds: the one side effect that moves money. Checked against policy, idempotent by key."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from tools_app.errors import ApplicationError
from tools_app.models import Order, Refund
from tools_app.selectors import refund_policy_rules

REFUND_AMOUNT_INVALID = "The refund amount must be a positive number with at most 2 decimals."
REFUND_EXCEEDS_REFUNDABLE = "The refund amount is more than what remains refundable on the order."
REFUND_ORDER_STATE = "This order's status does not allow a refund."
REFUND_OUTSIDE_WINDOW = "The order is outside the refund window of the refund policy."
REFUND_ABOVE_LIMIT = (
    "The amount is above the refund policy's limit for agent-initiated refunds, which applies to"
    " the total the agent refunds on one order (see limit, committed and remaining)."
)
REFUND_WRONG_CUSTOMER = "The order does not belong to this ticket's customer."
REFUND_REASON_REQUIRED = "A refund needs a reason."


def refund_parse_amount(raw: object) -> Decimal:
    try:
        amount = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ApplicationError(REFUND_AMOUNT_INVALID, {"field": "amount", "value": raw}) from exc
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ApplicationError(REFUND_AMOUNT_INVALID, {"field": "amount", "value": str(raw)})
    return amount


def agent_refunded_total(order: Order) -> Decimal:
    """What agent tasks have refunded on ``order`` so far (refunds made by a task)."""
    total = Refund.objects.filter(order=order, task__isnull=False).aggregate(total=Sum("amount"))
    return total["total"] or Decimal("0")


def refund_check(
    *, order: Order, amount: Decimal, customer_id: int | None, reserved: Decimal = Decimal("0")
) -> None:
    """Raises ApplicationError unless ``amount`` may be refunded on ``order`` for the customer
    taken from the run context. Called before a human is asked and again before executing.

    ``reserved`` is money already approved on the order but not yet paid out (other requests):
    it counts against what remains refundable and against the agent's limit, which applies to
    the total the agent refunds per order, not to each call."""
    if customer_id is None or order.customer_id != customer_id:
        raise ApplicationError(REFUND_WRONG_CUSTOMER, {"field": "order_number"})
    if amount <= 0:
        raise ApplicationError(REFUND_AMOUNT_INVALID, {"field": "amount"})
    rules = refund_policy_rules()
    if order.status not in rules["refundable_statuses"]:
        raise ApplicationError(
            REFUND_ORDER_STATE, {"field": "order_number", "status": order.status}
        )
    if amount + reserved > order.refundable_amount:
        raise ApplicationError(
            REFUND_EXCEEDS_REFUNDABLE,
            {"field": "amount", "refundable": str(max(order.refundable_amount - reserved, 0))},
        )
    window = timedelta(days=int(rules["refund_window_days"]))
    if timezone.now() - order.charged_at > window:
        raise ApplicationError(
            REFUND_OUTSIDE_WINDOW,
            {"field": "order_number", "window_days": int(rules["refund_window_days"])},
        )
    limit = Decimal(str(rules["max_refund_amount"]))
    committed = agent_refunded_total(order) + reserved
    if committed + amount > limit:
        left = max(limit - committed, Decimal("0"))
        raise ApplicationError(
            REFUND_ABOVE_LIMIT,
            {
                "field": "amount",
                "limit": f"{limit:.2f}",
                "committed": f"{committed:.2f}",
                "remaining": f"{left:.2f}",
            },
        )


@transaction.atomic
def refund_issue(
    *,
    order: Order,
    amount: Decimal,
    reason: str,
    idempotency_key: str,
    customer_id: int | None,
    task_id: int | None = None,
    decided_by: User | None = None,
    reserved: Decimal = Decimal("0"),
) -> Refund:
    """Executes a refund exactly once per ``idempotency_key``: a repeated call returns the
    refund the first call made and moves no money."""
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if not reason.strip():
        raise ApplicationError(REFUND_REASON_REQUIRED, {"field": "reason"})
    # Lock the order so two refunds on it cannot both pass the "remaining" check.
    locked = Order.objects.select_for_update().get(pk=order.pk)
    refund_check(order=locked, amount=amount, customer_id=customer_id, reserved=reserved)
    try:
        with transaction.atomic():
            refund = Refund.objects.create(
                order=locked,
                amount=amount,
                reason=reason.strip(),
                idempotency_key=idempotency_key,
                task_id=task_id,
                decided_by=decided_by,
                status=Refund.Status.EXECUTED,
                executed_at=timezone.now(),
            )
    except IntegrityError:
        # A concurrent call with the same key won the race: its refund is the refund.
        return Refund.objects.get(idempotency_key=idempotency_key)
    locked.refunded_amount += amount
    locked.status = (
        Order.Status.REFUNDED
        if locked.refunded_amount >= locked.amount
        else Order.Status.PARTIALLY_REFUNDED
    )
    locked.save(update_fields=["refunded_amount", "status"])
    order.refunded_amount, order.status = locked.refunded_amount, locked.status
    return refund
